-- bench/lua/post-1k.lua: wrk repeats one POST of 1024 bytes with its
-- Content-Length (wrk adds the header for a body), on keep-alive.
wrk.method = "POST"
wrk.body = string.rep("x", 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
