#!/bin/bash
# Runs coordd and Apache ZooKeeper 3.8 side by side (standalone, fsync on),
# interleaving the same coord-bench load on both, and prints Markdown tables.
set -u

usage() {
    cat <<'EOF'
usage: run-bench.sh [options]
  --quick            fewer cases, 2 s windows, 100,000 znodes
  --duration S       timed window per case (5)
  --warmup S         untimed load before each window (1)
  --prewarm S        untimed load per workload on each fresh server, for the
                     JVM's JIT and both servers' caches (5; 0 = none)
  --ops LIST         workloads, e.g. "create set get" (create set get)
  --clients LIST     sessions per case (1 8 32)
  --outstanding LIST requests in flight per session (1 100)
  --znodes N         znodes for the RSS and restart measurement (1000000)
  --no-zkc           skip the libzookeeper_mt cross-check runs
  --no-coordd        run ZooKeeper only
  --no-zk            run coordd only
  --coordd PATH      coordd binary ($COORDD, else /tmp/build-main/server/coordd,
                     else ./server/coordd)
  --bench PATH       coord-bench binary ($BENCH, else ./tests/bench/coord-bench)
  --zk-heap SIZE     ZooKeeper's -Xmx (4g)
  --keep             keep the work directory (logs, data dirs)
EOF
}

duration=5
warmup=1
prewarm=5
zkc_clients="1 32"
ops="create set get"
clients="1 8 32"
outstanding="1 100"
znodes=1000000
zkc=1
use_coordd=1
use_zk=1
keep=0
zk_heap=4g
coordd_bin=${COORDD:-}
bench_bin=${BENCH:-}
cmdline="$0 $*"

while [ $# -gt 0 ]; do
    case "$1" in
    --quick)
        duration=2; warmup=0.5; prewarm=2; clients="1 32"; zkc_clients="32"
        znodes=100000 ;;
    --duration) duration=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --prewarm) prewarm=$2; shift ;;
    --ops) ops=$2; shift ;;
    --clients) clients=$2; shift ;;
    --outstanding) outstanding=$2; shift ;;
    --znodes) znodes=$2; shift ;;
    --no-zkc) zkc=0 ;;
    --no-coordd) use_coordd=0 ;;
    --no-zk) use_zk=0 ;;
    --coordd) coordd_bin=$2; shift ;;
    --bench) bench_bin=$2; shift ;;
    --zk-heap) zk_heap=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done

log() { echo "run-bench: $*" >&2; }

if [ -z "$bench_bin" ]; then
    bench_bin=./tests/bench/coord-bench
fi
if [ ! -x "$bench_bin" ]; then
    log "no coord-bench at $bench_bin (make tests/bench/coord-bench, or --bench)"
    exit 2
fi
if [ -z "$coordd_bin" ]; then
    for c in /tmp/build-main/server/coordd ./server/coordd; do
        if [ -x "$c" ]; then coordd_bin=$c; break; fi
    done
fi
if [ "$use_coordd" = 1 ] && [ ! -x "${coordd_bin:-/nonexistent}" ]; then
    log "no coordd binary found; its column will read pending"
    use_coordd=0
fi

zk_cp=/usr/share/java/zookeeper.jar
zk_jvm_flags="-Xmx$zk_heap -Dzookeeper.admin.enableServer=false"
zk_version=$(java -cp "$zk_cp" org.apache.zookeeper.Version 2>/dev/null |
    sed "s/-.*//")

work=$(mktemp -d /tmp/coord-bench.XXXXXX)
results=$work/results.txt
: >"$results"

# PIDs of the servers this script started, keyed by server name.
declare -A pid=() port=()

stop_server() {
    local name=$1 p=${pid[$1]:-}
    [ -n "$p" ] || return 0
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 1 200); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$p" 2>/dev/null; then
        log "$name (pid $p) ignored SIGTERM for 10 s; sending SIGKILL"
        kill -KILL "$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
    pid[$name]=""
}

cleanup() {
    for name in "${!pid[@]}"; do stop_server "$name"; done
    if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 30000))
        if port_is_free "$p" && [[ " ${port[*]} " != *" $p "* ]]; then
            echo "$p"; return 0
        fi
    done
    return 1
}

# Writes a zoo.cfg both servers understand; fsync stays at its default (on).
write_cfg() {
    local dir=$1 p=$2
    cat >"$dir/zoo.cfg" <<EOF
tickTime=2000
dataDir=$dir/data
clientPort=$p
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
EOF
}

# start_server NAME [fresh]: starts it (with a new data dir if fresh) and
# waits until it serves a read. Returns non-zero if it never does.
start_server() {
    local name=$1 fresh=${2:-} dir=$work/$1
    if [ -n "$fresh" ] || [ -z "${port[$name]:-}" ]; then
        rm -rf "$dir"; mkdir -p "$dir/data"
        port[$name]=$(pick_port) || return 1
        write_cfg "$dir" "${port[$name]}"
    fi
    case "$name" in
    zk)
        # shellcheck disable=SC2086
        java $zk_jvm_flags -cp "$zk_cp" \
            org.apache.zookeeper.server.ZooKeeperServerMain "$dir/zoo.cfg" \
            >>"$dir/log" 2>&1 &
        ;;
    coordd)
        "$coordd_bin" -c "$dir/zoo.cfg" >>"$dir/log" 2>&1 &
        ;;
    esac
    pid[$name]=$!
    if ! timeout -k 5 130 "$bench_bin" --op probe --path /zookeeper \
        --port "${port[$name]}" --label "$name" --duration 120 >/dev/null; then
        log "$name did not start; see $dir/log"
        stop_server "$name"
        return 1
    fi
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

# bench NAME ARGS...: one coord-bench run against a running server; its
# result line goes to $results.
bench() {
    local name=$1; shift
    local p=${pid[$name]:-}
    if [ -z "$p" ] || ! kill -0 "$p" 2>/dev/null; then
        log "$name is not running; skipping $*"
        return 1
    fi
    local limit=${bench_limit:-}
    [ -n "$limit" ] ||
        limit=$(awk -v d="$duration" -v w="$warmup" 'BEGIN {printf "%d", d + w + 60}')
    local out
    out=$(timeout -k 5 "$limit" "$bench_bin" --port "${port[$name]}" \
        --label "$name" --server-pid "$p" "$@")
    local rc=$?
    [ -n "$out" ] && echo "$out" | tee -a "$results" >&2
    [ $rc = 0 ] || log "$name: coord-bench exited $rc for: $*"
    return $rc
}

servers=()
[ "$use_coordd" = 1 ] && servers+=(coordd)
[ "$use_zk" = 1 ] && servers+=(zk)
running=()
for s in "${servers[@]}"; do
    if start_server "$s" fresh; then
        running+=("$s")
    fi
done
log "servers: ${running[*]:-none} (work dir $work)"
[ ${#running[@]} -gt 0 ] || exit 1

# A fresh JVM interprets before it compiles: give every server the same
# untimed load first so the first timed case does not measure start-up.
if awk -v p="$prewarm" 'BEGIN {exit !(p > 0)}'; then
    for s in "${running[@]}"; do
        for op in $ops; do
            timeout -k 5 "$(awk -v p="$prewarm" 'BEGIN {printf "%d", p + 60}')" \
                "$bench_bin" --port "${port[$s]}" --label "$s" --op "$op" \
                --clients 8 --outstanding 32 --warmup 0 --duration "$prewarm" \
                --prefix "/prewarm-$op" >/dev/null ||
                log "$s: prewarm $op failed"
        done
    done
fi

# Throughput/latency/CPU cases, interleaved: the server that goes first
# alternates from one case to the next, so drift on a shared machine (other
# load, JIT warm-up, growing trees) does not favour either.
case_no=0
run_cases() {
    local mode=$1 op c k s order
    for op in $ops; do
        for c in $clients; do
            for k in $outstanding; do
                case_no=$((case_no + 1))
                order=("${running[@]}")
                if [ $((case_no % 2)) = 0 ] && [ ${#order[@]} = 2 ]; then
                    order=("${order[1]}" "${order[0]}")
                fi
                for s in "${order[@]}"; do
                    bench "$s" --mode "$mode" --op "$op" --clients "$c" \
                        --outstanding "$k" --duration "$duration" \
                        --warmup "$warmup" --prefix "/b$case_no-$s"
                done
            done
        done
    done
}
run_cases raw
if [ "$zkc" = 1 ]; then
    # The C client as a cross-check: fewer cases; its own CPU per request
    # (bench_cpu_us_per_op) is the point of comparison.
    saved_clients=$clients saved_outstanding=$outstanding
    clients=$zkc_clients; outstanding="1 100"
    run_cases zkc
    clients=$saved_clients outstanding=$saved_outstanding
fi
for s in "${running[@]}"; do stop_server "$s"; done

# Memory and restart with many znodes: one server at a time, on a fresh
# data dir, so neither disturbs the other's measurement.
last=$((znodes - 1))
probe_path=$(printf '/bench/p%03d/m%07d' $((last % 1000)) "$last")
for s in "${running[@]}"; do
    start_server "$s" fresh || continue
    if ! bench_limit=1860 bench "$s" --load "$znodes" --size 10 --clients 4 --outstanding 500 \
        --prefix /bench --duration 1800; then
        stop_server "$s"; continue
    fi
    sleep 2
    echo "server=$s op=memory znodes=$znodes rss_kb=$(rss_kb "${pid[$s]}")" \
        "disk_kb=$(du -sk "$work/$s/data" | cut -f1)" | tee -a "$results" >&2
    stop_server "$s"
    t0=$(date +%s%N)
    start_server "$s" || continue
    out=$(timeout -k 5 620 "$bench_bin" --op probe --path "$probe_path" \
        --port "${port[$s]}" --label "$s" --duration 600)
    t1=$(date +%s%N)
    if [ -n "$out" ]; then
        echo "server=$s op=restart znodes=$znodes" \
            "restart_ms=$(( (t1 - t0) / 1000000 ))" \
            "rss_kb=$(rss_kb "${pid[$s]}")" | tee -a "$results" >&2
    fi
    stop_server "$s"
done

# --- report ---
machine() {
    echo "- machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))," \
        "$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM," \
        "Linux $(uname -r)"
    echo "- ZooKeeper $zk_version standalone, $(java -version 2>&1 | head -1)," \
        "JVM flags: \`$zk_jvm_flags\` (no SLF4J binding on the classpath, so it logs nothing)"
    if [ "$use_coordd" = 1 ]; then
        echo "- coordd: \`$coordd_bin\` ($(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo unknown))"
    else
        echo "- coordd: pending (no runnable coordd)"
    fi
    echo "- both: zoo.cfg with tickTime=2000, fresh dataDir, fsync on (default)," \
        "loopback only; window ${duration} s after ${warmup} s warm-up; 100-byte data"
    echo "- command: \`$cmdline\`"
}

echo
echo "## coord-bench results ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
machine
awk -v have_c="$use_coordd" '
function kv(line, key,   re, m) {
    re = "(^| )" key "=[^ ]*"
    if (match(line, re)) {
        m = substr(line, RSTART, RLENGTH); sub(/^ /, "", m)
        return substr(m, length(key) + 2)
    }
    return ""
}
function ratio(c, z) {
    if (c == "" || z == "" || c == "NA" || z == "NA" || z + 0 == 0) return "–"
    return sprintf("%.2f", c / z)
}
function cell(v) { return v == "" ? (have_c == 1 ? "NA" : "pending") : v }
function num(v, fmt) { return v == "" ? "" : sprintf(fmt, v) }
{
    server = kv($0, "server"); op = kv($0, "op")
    if (op == "memory" || op == "restart" || op == "load") {
        for (i = 1; i <= NF; i++) {
            split($i, a, "=")
            big[server, op "." a[1]] = a[2]
        }
        next
    }
    key = kv($0, "mode") " " op " " kv($0, "clients") " " kv($0, "outstanding")
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    r[server, key, "ops"] = num(kv($0, "ops_per_s"), "%d")
    r[server, key, "p50"] = num(kv($0, "p50_us"), "%.0f")
    r[server, key, "p99"] = num(kv($0, "p99_us"), "%.0f")
    r[server, key, "cpu"] = kv($0, "cpu_us_per_op")
    r[server, key, "bcpu"] = kv($0, "bench_cpu_us_per_op")
    r[server, key, "err"] = kv($0, "errors")
}
function table(mode,   i, k, f, line, c, z) {
    print ""
    if (mode == "raw") {
        print "### Throughput, latency and server CPU (raw pipelined load generator)"
    } else {
        print "### Cross-check with the official C client (libzookeeper_mt async API)"
    }
    print ""
    print "ratio = coordd / ZooKeeper (ops/s: higher is better; latency and CPU: lower is better)."
    print ""
    print "| op | clients | outst. | ops/s coordd | ops/s ZK | ratio | p50 µs coordd | p50 µs ZK | ratio | p99 µs coordd | p99 µs ZK | ratio | CPU µs/op coordd | CPU µs/op ZK | ratio | client CPU µs/op (c / ZK) |"
    print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    for (i = 1; i <= n; i++) {
        k = order[i]; split(k, f, " ")
        if (f[1] != mode) continue
        line = "| " f[2] " | " f[3] " | " f[4]
        split("ops p50 p99 cpu", m, " ")
        for (j = 1; j <= 4; j++) {
            c = r["coordd", k, m[j]]; z = r["zk", k, m[j]]
            line = line " | " cell(c) " | " (z == "" ? "NA" : z) " | " ratio(c, z)
        }
        line = line " | " cell(r["coordd", k, "bcpu"]) " / " r["zk", k, "bcpu"] " |"
        if (r["coordd", k, "err"] + 0 > 0 || r["zk", k, "err"] + 0 > 0)
            line = line " errors: " r["coordd", k, "err"] " / " r["zk", k, "err"]
        print line
    }
}
END {
    table("raw")
    has_zkc = 0
    for (i = 1; i <= n; i++) if (order[i] ~ /^zkc /) has_zkc = 1
    if (has_zkc) table("zkc")
    print ""
    print "### Many znodes: memory and restart"
    print ""
    print "| metric | coordd | ZooKeeper | ratio |"
    print "|---|--:|--:|--:|"
    split("load.ops_per_s memory.rss_kb memory.disk_kb restart.restart_ms restart.rss_kb", ms, " ")
    split("load rate (creates/s, 4×500 pipelined)|RSS after load (KiB)|data dir after load (KiB)|restart to first served read (ms)|RSS after restart (KiB)", names, "|")
    for (j = 1; j <= 5; j++) {
        c = big["coordd", ms[j]]; z = big["zk", ms[j]]
        if (ms[j] == "load.ops_per_s") { c = num(c, "%d"); z = num(z, "%d") }
        print "| " names[j] " | " cell(c) " | " (z == "" ? "NA" : z) " | " ratio(c, z) " |"
    }
    zn = big["zk", "memory.znodes"]; if (zn == "") zn = big["coordd", "memory.znodes"]
    print ""
    print "znodes: " zn " of 10 bytes as /bench/pNNN/mNNNNNNN under 1000 parents."
}' "$results"
echo
echo "Raw result lines:"
echo
echo '```'
cat "$results"
echo '```'
