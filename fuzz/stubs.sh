#!/bin/sh
# fuzz/stubs.sh OBJECT > stubs.c
#
# The harness links the module without httpd.  For every httpd symbol the
# object still needs, emit a stub that aborts if it is ever called (the
# parsers under test call none of them).  ap_server_conf is data.
set -e
nm -u "$1" | awk '{print $NF}' | grep -E '^ap_' | sort -u | while read -r sym; do
    case "$sym" in
    ap_server_conf) echo "void *$sym;" ;;
    ap_method_number_of) ;;
    *) echo "void $sym(void); void $sym(void) { __builtin_trap(); }" ;;
    esac
done
