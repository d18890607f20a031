#!/bin/sh
# Fails if a lower layer reaches up or does I/O (ARCHITECTURE.md, STYLE 3.1):
# zab/ and tree/ may not include system I/O headers or server/, proto/ may
# not include anything above it, client/ may not include server/ or tree/.
src=${COORD_SRCDIR:-$(dirname "$0")/..}
bad=0
check() {
    dir=$1
    pattern=$2
    [ -d "$src/$dir" ] || return 0
    hits=$(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)" \
        "$src/$dir"/*.c "$src/$dir"/*.h 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "layering: $dir/ must not include ($pattern):"
        echo "$hits"
        bad=1
    fi
}
io='sys/|unistd\.h|time\.h|stdio\.h|fcntl\.h|pthread\.h|server/|client/|recipes/'
check tree "$io|zab/"
check zab "$io"
check proto 'sys/|unistd\.h|fcntl\.h|pthread\.h|server/|client/|recipes/|tree/|zab/'
check client 'server/|tree/|zab/'
check recipes 'server/|tree/|zab/|proto/'
if [ $bad -eq 0 ]; then
    echo "layering: ok"
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
fi
exit $bad
