#!/bin/sh
# t/valgrind.sh [t/TEST options] [tests]   (run from t/; see make test-valgrind)
#
# Runs part of the suite against httpd under valgrind's memcheck, in one
# process (-X), and fails on any memcheck error or definite leak whose
# stack passes through mod_length_required.  Errors elsewhere (httpd, APR,
# libc) are printed as a count but do not fail the run.
set -u
cd "$(dirname "$0")"

./TEST -clean >/dev/null 2>&1 || true
./TEST -configure "$@" >/dev/null || { echo "valgrind: configure failed" >&2; exit 1; }
rm -f logs/valgrind.*.log
# The port Apache::Test chose (or was given with -port), from its config.
port=$(awk '$1 == "Listen" { sub(/.*:/, "", $2); print $2; exit }' conf/httpd.conf)

valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --keep-debuginfo=yes --num-callers=40 \
    --log-file="$PWD/logs/valgrind.%p.log" \
    /usr/sbin/apache2 -X -d "$PWD" -f "$PWD/conf/httpd.conf" \
    -D APACHE2 -D APACHE2_4 &
vpid=$!

# httpd under valgrind takes a while to start.
up=0
for i in $(seq 1 240); do
    if perl -MIO::Socket::INET -e \
        'exit !IO::Socket::INET->new(PeerAddr => "127.0.0.1:'"$port"'", Timeout => 1)'; then
        up=1
        break
    fi
    kill -0 $vpid 2>/dev/null || break
    sleep 0.5
done
if [ $up != 1 ]; then
    echo "valgrind: httpd did not come up; see t/logs" >&2
    kill -TERM $vpid 2>/dev/null
    exit 1
fi

./TEST -run-tests "$@"
tests=$?

kill -TERM $vpid
wait $vpid

# Each memcheck report is a block of lines between empty "==PID== " lines.
ours=$(awk '
    /^==[0-9]+== *$/ { if (blk ~ /mod_length_required/ && blk ~ /(Invalid|uninitialised|Uninitialised|definitely lost|Mismatched|overlap|Source and destination)/) { print blk; n++ } blk=""; next }
    { blk = blk $0 "\n" }
    END { if (blk ~ /mod_length_required/ && blk ~ /definitely lost|Invalid/) { print blk; n++ } exit n > 0 }
' logs/valgrind.*.log)
found=$?
grep -h "ERROR SUMMARY" logs/valgrind.*.log | sed "s/^/valgrind: /"
if [ $found != 0 ]; then
    echo "valgrind: reports in mod_length_required's code:"
    echo "$ours"
    exit 1
fi
echo "valgrind: no memcheck error or definite leak in mod_length_required"
exit $tests
