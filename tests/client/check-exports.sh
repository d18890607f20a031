#!/bin/sh
# libcoord exports exactly the functions declared in include/coord.h and
# the coord_err.h it includes, and client/libcoord.sym lists exactly those:
# proto's coord_get_*/coord_put_* live inside the library too and must stay
# hidden.
srcdir=${COORD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${COORD_BUILDDIR:-.}
so=$builddir/client/.libs/libcoord.so
[ -f "$so" ] || { echo "no $so"; exit 1; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

# Function names declared in the header, comments stripped.
cat "$srcdir/include/coord.h" "$srcdir/include/coord_err.h" |
    sed -e 's://.*$::' | tr '\n' ' ' |
    sed 's:/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/::g' |
    grep -o 'coord_[a-z0-9_]*(' | tr -d '(' | sort -u > "$tmp/header"
nm -D --defined-only "$so" | awk '{print $3}' | sort -u > "$tmp/so"
sort -u "$srcdir/client/libcoord.sym" > "$tmp/sym"

rc=0
if ! cmp -s "$tmp/header" "$tmp/so"; then
    echo "exported symbols differ from coord.h (< header, > library):"
    diff "$tmp/header" "$tmp/so"
    rc=1
fi
if ! cmp -s "$tmp/header" "$tmp/sym"; then
    echo "client/libcoord.sym differs from coord.h (< header, > sym):"
    diff "$tmp/header" "$tmp/sym"
    rc=1
fi
[ $rc -eq 0 ] && echo "ok: $(wc -l < "$tmp/header") functions exported"
exit $rc
