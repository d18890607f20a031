#!/usr/bin/env bash
# The two commands of the README's quick start, for a fresh Debian 12 machine:
#   ./coord.sh start   install packages, build, run coordd on 127.0.0.1:2181
#   ./coord.sh test    install packages, build, run every test (what CI runs)
#   ./coord.sh ensemble [N]  build, run an N-server ensemble (3 by default) on
#                      loopback: clients on 127.0.0.1:2181..218N
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

# Debian packages: the build, the libraries, and the real clients the
# integration tests drive (kazoo, the official C client).
build_pkgs="build-essential autoconf autoconf-archive automake libtool pkg-config
  libssl-dev libjansson-dev libmicrohttpd-dev libcunit1-dev libedit-dev
  libsasl2-dev libsasl2-modules libsasl2-modules-gssapi-mit"
test_pkgs="python3 python3-kazoo python3-pure-sasl libzookeeper-mt-dev zookeeper-bin
  python3-kerberos krb5-kdc krb5-admin-server krb5-user"

install_pkgs() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "coord.sh: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# build DIR [configure args...]: an out-of-tree build, reconfigured only when needed.
build() {
    local dir=$1
    shift
    [ -x configure ] || autoreconf -fi
    mkdir -p "$dir"
    if [ ! -f "$dir/Makefile" ] || [ "$dir/config.status" -ot configure ]; then
        (cd "$dir" && "$top/configure" "$@")
    fi
    make -C "$dir" -j"$(nproc)"
}

case "${1:-}" in
start)
    # shellcheck disable=SC2086
    install_pkgs $build_pkgs
    build build/release
    mkdir -p coord-data
    echo "coord.sh: coordd on 127.0.0.1:2181, REST on 127.0.0.1:8080, data in $top/coord-data (Ctrl-C stops it)"
    exec build/release/server/coordd -d "$top/coord-data" -o 4lw.commands.whitelist='*' \
        -o httpPort=8080
    ;;
test)
    # shellcheck disable=SC2086
    install_pkgs $build_pkgs $test_pkgs
    status=0
    build build/check --enable-werror
    make -C build/check check -j"$(nproc)" || status=1
    # The unit suites and the integration tests again under ASan and UBSan.
    build build/sanitize --enable-werror --enable-sanitizers
    make -C build/sanitize check -j"$(nproc)" || status=1
    # Print the failing logs, then one closing line over both runs.
    for d in build/check build/sanitize; do
        [ -f "$d/test-suite.log" ] && grep -q '^FAIL\|^ERROR' "$d/test-suite.log" &&
            cat "$d/test-suite.log"
    done
    python3 - build/check build/sanitize <<'PY'
import re, sys, pathlib
p = f = s = 0
for d in sys.argv[1:]:
    for trs in pathlib.Path(d).rglob("*.trs"):
        for line in trs.read_text().splitlines():
            m = re.match(r":test-result: (\w+)", line)
            if m:
                r = m.group(1)
                p += r in ("PASS", "XFAIL")
                f += r in ("FAIL", "ERROR", "XPASS")
                s += r == "SKIP"
print(f"tests: {p} passed, {f} failed, {s} skipped")
PY
    exit $status
    ;;
ensemble)
    # A local ensemble for development and demos: server i listens for
    # clients on 2180+i, REST on 8080+i, peers on 2888+i (elections 3888+i),
    # data in coord-ensemble/i. Ctrl-C stops every server this started.
    n=${2:-3}
    case $n in 3|5|7) ;; *) echo "coord.sh: ensemble size must be 3, 5 or 7" >&2; exit 2 ;; esac
    # shellcheck disable=SC2086
    install_pkgs $build_pkgs
    build build/release
    pids=()
    stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait; }
    trap stop_all EXIT INT TERM
    hosts=""
    for i in $(seq 1 "$n"); do
        d="$top/coord-ensemble/$i"
        mkdir -p "$d"
        # a new ensemble's first start: coordd votes from an empty dataDir
        # only with this marker (it removes it once it has served)
        [ -e "$d/myid" ] || : > "$d/initialize"
        echo "$i" > "$d/myid"
        {
            echo "tickTime=2000"
            echo "initLimit=10"
            echo "syncLimit=5"
            echo "dataDir=$d"
            echo "clientPort=$((2180 + i))"
            echo "clientPortAddress=127.0.0.1"
            echo "httpPort=$((8080 + i))"
            echo "4lw.commands.whitelist=*"
            for j in $(seq 1 "$n"); do
                echo "server.$j=127.0.0.1:$((2888 + j)):$((3888 + j))"
            done
        } > "$d/zoo.cfg"
        build/release/server/coordd -c "$d/zoo.cfg" >> "$d/coordd.log" 2>&1 &
        pids+=($!)
        hosts="$hosts${hosts:+,}127.0.0.1:$((2180 + i))"
    done
    echo "coord.sh: $n servers running, logs in $top/coord-ensemble/*/coordd.log"
    echo "coord.sh: connect with: build/release/client/coordctl -s $hosts"
    echo "coord.sh: roles: for p in \$(seq 2181 $((2180 + n))); do (exec 3<>/dev/tcp/127.0.0.1/\$p; printf srvr >&3; grep Mode <&3); done"
    echo "coord.sh: Ctrl-C stops them"
    wait
    ;;
*)
    echo "usage: $0 start|test|ensemble [3|5|7]" >&2
    exit 2
    ;;
esac
