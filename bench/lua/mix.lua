-- bench/lua/mix.lua: bench/restart-under-load's load, valid requests only:
-- GETs of the static file and 1 KB POSTs with their Content-Length, in turn.
local body = string.rep("x", 1024)
local n = 0
request = function()
    n = n + 1
    if n % 2 == 0 then
        return wrk.format("POST", "/reflect",
                          {["Content-Type"] = "application/octet-stream"}, body)
    end
    return wrk.format("GET", "/static.txt")
end
