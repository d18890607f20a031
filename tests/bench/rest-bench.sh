#!/bin/sh
# The REST gateway beside the client port: getData and setData of one
# 100-byte znode, as GET and PUT /v1/znodes/... with wrk (HTTP/1.1
# keep-alive, one request in flight per connection) and over the TCP port
# with coord-bench (the same connections, one request in flight each).
# The figure compared is coordd's CPU per request (utime+stime from
# /proc/PID/stat over the timed window, divided by the requests answered).
#
# Loopback only, bounded: every run is --duration seconds; the script ends
# only the coordd it started, by PID.
#
# usage: rest-bench.sh [--coordd PATH] [--bench PATH] [--duration S]
#                      [--clients N] [--sync yes|no] [--keep]
set -eu

COORDD=${COORDD:-/tmp/rest-build/server/coordd}
BENCH=${BENCH:-}
DURATION=5
CLIENTS=32
SYNC=yes
KEEP=no
while [ $# -gt 0 ]; do
    case "$1" in
    --coordd) COORDD=$2; shift 2 ;;
    --bench) BENCH=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --sync) SYNC=$2; shift 2 ;;
    --keep) KEEP=yes; shift ;;
    *) echo "rest-bench: unknown option $1" >&2; exit 2 ;;
    esac
done
[ -n "$BENCH" ] || BENCH=$(dirname "$COORDD")/../tests/bench/coord-bench
command -v wrk >/dev/null || { echo "rest-bench: needs wrk (apt-get install wrk)" >&2; exit 2; }
[ -x "$COORDD" ] || { echo "rest-bench: no coordd at $COORDD" >&2; exit 2; }
[ -x "$BENCH" ] || { echo "rest-bench: no coord-bench at $BENCH" >&2; exit 2; }
case "$DURATION" in *[!0-9]*|'') echo "rest-bench: --duration S" >&2; exit 2 ;; esac
[ "$DURATION" -le 60 ] || { echo "rest-bench: at most 60 s a run" >&2; exit 2; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

WORK=$(mktemp -d /tmp/rest-bench.XXXXXX)
CPORT=$(free_port)
HPORT=$(free_port)
cat > "$WORK/zoo.cfg" <<EOF
tickTime=2000
dataDir=$WORK/data
clientPort=$CPORT
clientPortAddress=127.0.0.1
httpPort=$HPORT
4lw.commands.whitelist=*
maxClientCnxns=0
forceSync=$SYNC
EOF
"$COORDD" -c "$WORK/zoo.cfg" > "$WORK/coordd.log" 2>&1 &
PID=$!
cleanup() {
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    [ "$KEEP" = yes ] && echo "rest-bench: kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
i=0
until curl -sf "http://127.0.0.1:$HPORT/health" >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "rest-bench: coordd did not start" >&2; cat "$WORK/coordd.log" >&2; exit 1; }
    sleep 0.1
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
TCK=$(getconf CLK_TCK)
DATA=$(printf '%0100d' 0)

curl -sf -XPOST "http://127.0.0.1:$HPORT/v1/znodes/rb" >/dev/null
curl -sf -XPOST "http://127.0.0.1:$HPORT/v1/znodes/rb/n" -d "{\"data\": \"$DATA\"}" >/dev/null
cat > "$WORK/put.lua" <<EOF
wrk.method = "PUT"
wrk.body = '{"data": "$DATA"}'
wrk.headers["Content-Type"] = "application/json"
EOF

# wrk: prints "op requests secs cpu_us_per_req"
http_run() {
    op=$1; shift
    # one untimed second first, as coord-bench's --warmup
    wrk -t1 -c"$CLIENTS" -d1s "$@" > /dev/null 2>&1 || true
    t0=$(cpu_ticks)
    out=$(wrk -t2 -c"$CLIENTS" -d"${DURATION}s" --latency "$@")
    t1=$(cpu_ticks)
    reqs=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
    non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $NF}')
    p50=$(printf '%s\n' "$out" | awk '$1 == "50%" {print $2}')
    p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
    [ -z "$non2xx" ] || { echo "rest-bench: $op: $non2xx non-2xx answers" >&2; exit 1; }
    awk -v op="$op" -v r="$reqs" -v d="$DURATION" -v t=$((t1 - t0)) -v hz="$TCK" \
        -v p50="$p50" -v p99="$p99" \
        'BEGIN { printf "http %s requests=%d per_s=%.0f p50=%s p99=%s cpu_us_per_req=%.2f\n",
                 op, r, r / d, p50, p99, t * 1e6 / hz / r }'
}

tcp_run() {
    op=$1
    out=$("$BENCH" --port "$CPORT" --op "$op" --clients "$CLIENTS" \
        --outstanding 1 --size 100 --duration "$DURATION" --warmup 1 \
        --prefix "/tb$op" --server-pid "$PID")
    printf '%s\n' "$out" | awk -v op="$op" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "tcp  %s requests=%d per_s=%.0f p50=%sus p99=%sus cpu_us_per_req=%.2f\n",
               op, v["ops"], v["ops_per_s"], v["p50_us"], v["p99_us"], v["cpu_us_per_op"] }'
}

echo "# coordd $("$COORDD" --version 2>/dev/null | head -1), $CLIENTS connections, 1 in flight each, ${DURATION}s, forceSync=$SYNC, $(nproc) CPUs"
tcp_run get
http_run get "http://127.0.0.1:$HPORT/v1/znodes/rb/n"
tcp_run set
http_run put -s "$WORK/put.lua" "http://127.0.0.1:$HPORT/v1/znodes/rb/n"
