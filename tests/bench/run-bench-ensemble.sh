#!/bin/bash
# Runs a 3-node coordd ensemble and a 3-node Apache ZooKeeper 3.8 ensemble
# (QuorumPeerMain) side by side on loopback, fsync on, drives both with the
# same coord-bench load spread over all three servers of each (client i talks
# to server i % 3), measures leader failover (kill -9 the leader, time to the
# first write that succeeds through the survivors) and prints Markdown.
set -u

usage() {
    cat <<'EOF'
usage: run-bench-ensemble.sh [options]
  --quick            2 s windows, 8 clients only, get and create, 3 failovers
  --duration S       timed window per case (5)
  --warmup S         untimed load before each window (1)
  --prewarm S        untimed load per workload on each fresh ensemble (3; 0 = none)
  --ops LIST         workloads (create set get mixed)
  --clients LIST     sessions per case, spread over the 3 servers (8 32)
  --outstanding LIST requests in flight per session (100)
  --failovers N      leader kills per ensemble (5; 0 = none)
  --no-coordd        run ZooKeeper only
  --no-zk            run coordd only
  --coordd PATH      coordd binary ($COORDD, else /tmp/bench-build/server/coordd,
                     /tmp/build-main/server/coordd, ./server/coordd)
  --bench PATH       coord-bench binary ($BENCH, else next to this script's
                     build: /tmp/bench-build/tests/bench/coord-bench,
                     ./tests/bench/coord-bench)
  --zk-heap SIZE     each ZooKeeper's -Xmx (1g)
  --coordd-rev TEXT  what the report says coordd was built from (git describe
                     of this checkout)
  --keep             keep the work directory (logs, data dirs)
EOF
}

duration=5
warmup=1
prewarm=3
ops="create set get mixed"
clients="8 32"
outstanding="100"
failovers=5
use_coordd=1
use_zk=1
keep=0
zk_heap=1g
coordd_bin=${COORDD:-}
bench_bin=${BENCH:-}
coordd_rev=""
cmdline="$0 $*"
n=3

while [ $# -gt 0 ]; do
    case "$1" in
    --quick)
        duration=2; warmup=0.5; prewarm=1; clients="8"; ops="create get"
        failovers=3 ;;
    --duration) duration=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --prewarm) prewarm=$2; shift ;;
    --ops) ops=$2; shift ;;
    --clients) clients=$2; shift ;;
    --outstanding) outstanding=$2; shift ;;
    --failovers) failovers=$2; shift ;;
    --no-coordd) use_coordd=0 ;;
    --no-zk) use_zk=0 ;;
    --coordd) coordd_bin=$2; shift ;;
    --bench) bench_bin=$2; shift ;;
    --zk-heap) zk_heap=$2; shift ;;
    --coordd-rev) coordd_rev=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done

log() { echo "run-bench-ensemble: $(date +%T) $*" >&2; }

if [ -z "$bench_bin" ]; then
    for b in /tmp/bench-build/tests/bench/coord-bench ./tests/bench/coord-bench; do
        if [ -x "$b" ]; then bench_bin=$b; break; fi
    done
fi
if [ ! -x "${bench_bin:-/nonexistent}" ]; then
    log "no coord-bench (make tests/bench/coord-bench, or --bench)"
    exit 2
fi
if [ -z "$coordd_bin" ]; then
    for c in /tmp/bench-build/server/coordd /tmp/build-main/server/coordd ./server/coordd; do
        if [ -x "$c" ]; then coordd_bin=$c; break; fi
    done
fi
if [ "$use_coordd" = 1 ] && [ ! -x "${coordd_bin:-/nonexistent}" ]; then
    log "no coordd binary found; its column will read NA"
    use_coordd=0
fi

zk_cp=/usr/share/java/zookeeper.jar
zk_jvm_flags="-Xmx$zk_heap -Dzookeeper.admin.enableServer=false"
zk_version=$(java -cp "$zk_cp" org.apache.zookeeper.Version 2>/dev/null | sed "s/-.*//")
if [ "$use_zk" = 1 ] && [ -z "$zk_version" ]; then
    log "no ZooKeeper at $zk_cp (apt-get install zookeeper); its column will read NA"
    use_zk=0
fi

work=$(mktemp -d /tmp/coord-bench-ens.XXXXXX)
results=$work/results.txt
: >"$results"
loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Keyed by "NAME.I" (I = 0..2, server id I + 1): PIDs of the servers this
# script started, and their client/peer/election ports.
declare -A pid=() cport=() pport=() eport=()
used_ports=" "

stop_pid() {
    local key=$1 sig=${2:-TERM} p=${pid[$1]:-}
    [ -n "$p" ] || return 0
    kill "-$sig" "$p" 2>/dev/null
    for _ in $(seq 1 200); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$p" 2>/dev/null; then
        log "$key (pid $p) ignored SIG$sig for 10 s; sending SIGKILL"
        kill -KILL "$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
    pid[$key]=""
}

cleanup() {
    for key in "${!pid[@]}"; do stop_pid "$key"; done
    if [ "$keep" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Below the kernel's ephemeral range, which every client socket (the probes'
# and 4lw connections here, the servers' own peer connections) draws from, so
# none can take a port between here and the server's bind.
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
[ "${ephemeral_low:-0}" -gt 21024 ] 2>/dev/null || ephemeral_low=32768
[ "$ephemeral_low" -le 32768 ] || ephemeral_low=32768
pick_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((ephemeral_low - 12000 + RANDOM % 12000))
        if port_is_free "$p" && [[ "$used_ports" != *" $p "* ]]; then
            used_ports="$used_ports$p "
            echo "$p"; return 0
        fi
    done
    return 1
}

# A four-letter word's answer from a client port (empty if none in 2 s).
four() {
    # shellcheck disable=SC2016  # expanded by the inner bash
    timeout -k 1 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf %s "$2" >&3 && cat <&3' \
        _ "$1" "$2" 2>/dev/null
}

mode_of() { four "$1" srvr | sed -n 's/^Mode: *//p'; }

hosts_of() {   # hosts_of NAME [skip index]: the client ports as --hosts
    local name=$1 skip=${2:--1} i out=""
    for i in $(seq 0 $((n - 1))); do
        [ "$i" = "$skip" ] && continue
        out="$out${out:+,}${cport[$name.$i]}"
    done
    echo "$out"
}

pids_of() {
    local name=$1 i out=""
    for i in $(seq 0 $((n - 1))); do out="$out${out:+,}${pid[$name.$i]}"; done
    echo "$out"
}

# The same zoo.cfg for both flavours; fsync stays at its default (on).
write_cfg() {
    local name=$1 i=$2 dir=$work/$1/s$(($2 + 1)) j
    mkdir -p "$dir/data"
    echo $((i + 1)) >"$dir/data/myid"
    # coordd: a new ensemble's first start (an empty dataDir votes only
    # with it)
    [ "$name" = coordd ] && : >"$dir/data/initialize"
    {
        echo "tickTime=2000"
        echo "initLimit=10"
        echo "syncLimit=5"
        echo "dataDir=$dir/data"
        echo "clientPort=${cport[$name.$i]}"
        echo "clientPortAddress=127.0.0.1"
        echo "4lw.commands.whitelist=*"
        for j in $(seq 0 $((n - 1))); do
            echo "server.$((j + 1))=127.0.0.1:${pport[$name.$j]}:${eport[$name.$j]};127.0.0.1:${cport[$name.$j]}"
        done
    } >"$dir/zoo.cfg"
}

launch() {   # launch NAME I: start server I of ensemble NAME on its data dir
    local name=$1 i=$2 dir=$work/$1/s$(($2 + 1))
    case "$name" in
    zk)
        # shellcheck disable=SC2086
        java $zk_jvm_flags -cp "$zk_cp" \
            org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
            >>"$dir/log" 2>&1 &
        ;;
    coordd)
        "$coordd_bin" -c "$dir/zoo.cfg" >>"$dir/log" 2>&1 &
        ;;
    esac
    pid[$name.$i]=$!
}

# wait_ensemble NAME SECONDS: until every server answers a read on its own
# client port and exactly one says "Mode: leader". Prints the leader's index.
wait_ensemble() {
    local name=$1 limit=$2 start=$SECONDS i leaders leader m
    while [ $((SECONDS - start)) -lt "$limit" ]; do
        leaders=0; leader=""
        for i in $(seq 0 $((n - 1))); do
            if ! kill -0 "${pid[$name.$i]:-0}" 2>/dev/null; then
                log "$name server $((i + 1)) is not running; see $work/$name/s$((i + 1))/log"
                return 1
            fi
            m=$(mode_of "${cport[$name.$i]}")
            case "$m" in
            leader) leaders=$((leaders + 1)); leader=$i ;;
            follower) ;;
            *) leaders=-9 ;;
            esac
        done
        if [ "$leaders" = 1 ] &&
            timeout -k 5 40 "$bench_bin" --op probe --path /zookeeper \
                --hosts "$(hosts_of "$name")" --duration 30 >/dev/null 2>&1; then
            # the probe reads through one server per attempt; check all
            local ok=1
            for i in $(seq 0 $((n - 1))); do
                timeout -k 5 40 "$bench_bin" --op probe --path /zookeeper \
                    --port "${cport[$name.$i]}" --duration 30 >/dev/null 2>&1 || ok=0
            done
            if [ $ok = 1 ]; then echo "$leader"; return 0; fi
        fi
        sleep 0.2
    done
    log "$name: no serving ensemble with one leader within $limit s"
    return 1
}

start_ensemble() {
    local name=$1 i
    rm -rf "${work:?}/$name"
    for i in $(seq 0 $((n - 1))); do
        cport[$name.$i]=$(pick_port) && pport[$name.$i]=$(pick_port) &&
            eport[$name.$i]=$(pick_port) || return 1
    done
    for i in $(seq 0 $((n - 1))); do write_cfg "$name" "$i"; done
    for i in $(seq 0 $((n - 1))); do launch "$name" "$i"; done
    if ! wait_ensemble "$name" 120 >/dev/null; then
        for i in $(seq 0 $((n - 1))); do stop_pid "$name.$i"; done
        return 1
    fi
}

# bench NAME ARGS...: one coord-bench run over all servers of NAME.
bench() {
    local name=$1; shift
    local limit out rc
    limit=$(awk -v d="$duration" -v w="$warmup" 'BEGIN {printf "%d", d + w + 90}')
    out=$(timeout -k 5 "$limit" "$bench_bin" --hosts "$(hosts_of "$name")" \
        --label "$name" --server-pid "$(pids_of "$name")" "$@")
    rc=$?
    # A non-zero exit with a result line: sessions were lost in the window.
    [ $rc = 0 ] || out=${out:+$out exit=$rc}
    [ -n "$out" ] && echo "$out" | tee -a "$results" >&2
    [ $rc = 0 ] || log "$name: coord-bench exited $rc for: $*"
    return $rc
}

ensembles=()
[ "$use_coordd" = 1 ] && ensembles+=(coordd)
[ "$use_zk" = 1 ] && ensembles+=(zk)
running=()
for s in "${ensembles[@]}"; do
    log "starting the $s ensemble"
    if start_ensemble "$s"; then running+=("$s"); else log "$s ensemble did not start"; fi
done
log "ensembles: ${running[*]:-none} (work dir $work, load before: $loadavg_before)"
[ ${#running[@]} -gt 0 ] || exit 1

# Untimed load first: ZooKeeper's JVMs interpret before they compile.
if awk -v p="$prewarm" 'BEGIN {exit !(p > 0)}'; then
    for s in "${running[@]}"; do
        for op in $ops; do
            timeout -k 5 "$(awk -v p="$prewarm" 'BEGIN {printf "%d", p + 90}')" \
                "$bench_bin" --hosts "$(hosts_of "$s")" --op "$op" --clients 6 \
                --outstanding 50 --warmup 0 --duration "$prewarm" \
                --prefix "/prewarm-$op" >/dev/null ||
                log "$s: prewarm $op failed"
        done
    done
fi

# settle NAME WHAT: before a case, wait (at most 90 s) until all three
# servers serve again; a wait of a second or more is a result line of its own.
settle() {
    local name=$1 what=$2 t0 t1
    t0=$(date +%s%N)
    wait_ensemble "$name" 90 >/dev/null || log "$name: not all servers serve before $what"
    t1=$(date +%s%N)
    if [ $(( (t1 - t0) / 1000000 )) -ge 1000 ]; then
        echo "server=$name op=settle before=$what ms=$(( (t1 - t0) / 1000000 ))" |
            tee -a "$results" >&2
    fi
}

# Interleaved cases; the ensemble that goes first alternates.
case_no=0
for op in $ops; do
    for c in $clients; do
        for k in $outstanding; do
            case_no=$((case_no + 1))
            order=("${running[@]}")
            if [ $((case_no % 2)) = 0 ] && [ ${#order[@]} = 2 ]; then
                order=("${order[1]}" "${order[0]}")
            fi
            for s in "${order[@]}"; do
                settle "$s" "$op/$c/$k"
                bench "$s" --op "$op" --clients "$c" --outstanding "$k" \
                    --duration "$duration" --warmup "$warmup" --prefix "/b$case_no-$s"
            done
        done
    done
done

# Failover: kill -9 the leader, then time (from just before the kill) until
# a create succeeds through either survivor; bring the victim back on its
# data dir and wait for a settled ensemble before the next round.
failover() {
    local name=$1 r=$2 leader t0 out
    leader=$(wait_ensemble "$name" 120) || return 1
    timeout -k 5 70 "$bench_bin" --op write-probe --hosts "$(hosts_of "$name")" \
        --path "/failover-pre-$r" --duration 60 >/dev/null || {
        log "$name: no write before failover $r"; return 1; }
    sleep 1
    t0=$(date +%s%N)
    kill -KILL "${pid[$name.$leader]}"
    out=$(timeout -k 5 130 "$bench_bin" --op write-probe --label "$name" \
        --hosts "$(hosts_of "$name" "$leader")" --path "/failover-$r" \
        --since-ns "$t0" --duration 120)
    local rc=$?
    wait "${pid[$name.$leader]}" 2>/dev/null
    pid[$name.$leader]=""
    if [ $rc = 0 ]; then
        echo "$out round=$r killed=$((leader + 1))" | tee -a "$results" >&2
    else
        log "$name: no write through the survivors within 120 s (round $r)"
        echo "server=$name op=write-probe ms=NA round=$r killed=$((leader + 1))" >>"$results"
    fi
    launch "$name" "$leader"
    wait_ensemble "$name" 120 >/dev/null
}
for r in $(seq 1 "$failovers"); do
    for s in "${running[@]}"; do
        failover "$s" "$r" || log "$s: failover round $r failed"
    done
done

for s in "${running[@]}"; do
    for i in $(seq 0 $((n - 1))); do stop_pid "$s.$i"; done
done
loadavg_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ---
echo
echo "## 3-node ensembles ($(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "- machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))," \
    "$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM," \
    "Linux $(uname -r); load average before $loadavg_before, after $loadavg_after"
echo "- ZooKeeper ${zk_version:-NA} QuorumPeerMain ×3, $(java -version 2>&1 | head -1)," \
    "JVM flags: \`$zk_jvm_flags\`"
if [ "$use_coordd" = 1 ]; then
    [ -n "$coordd_rev" ] ||
        coordd_rev=$(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo unknown)
    echo "- coordd ×3: \`$coordd_bin\` ($coordd_rev)"
fi
echo "- both: zoo.cfg tickTime=2000 initLimit=10 syncLimit=5, three voters on" \
    "127.0.0.1, fresh dataDirs, fsync on (default); client i on server i % 3;" \
    "window ${duration} s after ${warmup} s warm-up; 100-byte data; CPU = utime+stime" \
    "of all three server processes over the window, per reply"
echo "- command: \`$cmdline\`"
awk '
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
function cell(v) { return v == "" ? "NA" : v }
function num(v, fmt) { return v == "" ? "" : sprintf(fmt, v) }
function median(list,   a, k, i, j, t) {
    k = split(list, a, " ")
    if (k == 0) return ""
    for (i = 2; i <= k; i++)
        for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
{
    server = kv($0, "server"); op = kv($0, "op")
    if (op == "settle") {
        settles = settles "\n- " server ": " kv($0, "ms") " ms before " kv($0, "before")
        next
    }
    if (op == "write-probe") {
        ms = kv($0, "ms")
        fo_all[server] = fo_all[server] (fo_all[server] == "" ? "" : ", ") ms
        if (ms != "NA") fo[server] = fo[server] " " ms
        next
    }
    key = op " " kv($0, "clients") " " kv($0, "outstanding")
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    r[server, key, "ops"] = num(kv($0, "ops_per_s"), "%d")
    r[server, key, "p50"] = num(kv($0, "p50_us"), "%.0f")
    r[server, key, "p99"] = num(kv($0, "p99_us"), "%.0f")
    r[server, key, "cpu"] = kv($0, "cpu_us_per_op")
    r[server, key, "err"] = kv($0, "errors")
    r[server, key, "exit"] = kv($0, "exit")
}
END {
    print ""
    print "### Throughput, latency and CPU of the three servers"
    print ""
    print "ratio = coordd / ZooKeeper (ops/s: higher is better; latency and CPU: lower is better)."
    print ""
    print "| op | clients | outst. | ops/s coordd | ops/s ZK | ratio | p50 µs coordd | p50 µs ZK | ratio | p99 µs coordd | p99 µs ZK | ratio | CPU µs/op coordd | CPU µs/op ZK | ratio |"
    print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    for (i = 1; i <= n; i++) {
        k = order[i]; split(k, f, " ")
        line = "| " f[1] " | " f[2] " | " f[3]
        split("ops p50 p99 cpu", m, " ")
        for (j = 1; j <= 4; j++) {
            c = r["coordd", k, m[j]]; z = r["zk", k, m[j]]
            line = line " | " cell(c) " | " cell(z) " | " ratio(c, z)
        }
        line = line " |"
        if (r["coordd", k, "err"] + 0 > 0 || r["zk", k, "err"] + 0 > 0)
            line = line " errors: " r["coordd", k, "err"] " / " r["zk", k, "err"]
        for (j = 1; j <= 2; j++) {
            s = j == 1 ? "coordd" : "zk"
            if (r[s, k, "exit"] != "")
                line = line " " s ": coord-bench exited " r[s, k, "exit"] " (lost sessions?)"
        }
        print line
    }
    print ""
    print "### Failover: kill -9 the leader, until the first write through a survivor"
    print ""
    print "| | coordd | ZooKeeper | ratio |"
    print "|---|--:|--:|--:|"
    c = median(fo["coordd"]); z = median(fo["zk"])
    print "| median ms | " cell(c) " | " cell(z) " | " ratio(c, z) " |"
    print "| every round, ms | " cell(fo_all["coordd"]) " | " cell(fo_all["zk"]) " | |"
    if (settles != "") {
        print ""
        print "Waits of a second or more, before a case, until all three servers served:"
        print substr(settles, 2)
    }
}' "$results"
echo
echo "Raw result lines:"
echo
echo '```'
cat "$results"
echo '```'
