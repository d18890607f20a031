#!/bin/sh
# libcoord_recipes exports exactly the functions declared in
# include/coord_recipes.h: its shared helpers stay hidden.
srcdir=${COORD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${COORD_BUILDDIR:-.}
so=$builddir/recipes/.libs/libcoord_recipes.so
[ -f "$so" ] || { echo "no $so"; exit 1; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
sed -e 's://.*$::' "$srcdir/include/coord_recipes.h" | tr '\n' ' ' |
    sed 's:/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/::g' |
    grep -o 'coord_[a-z0-9_]*(' | tr -d '(' | sort -u > "$tmp/header"
nm -D --defined-only "$so" | awk '{print $3}' | sort -u > "$tmp/so"
if ! cmp -s "$tmp/header" "$tmp/so"; then
    echo "exported symbols differ from coord_recipes.h (< header, > library):"
    diff "$tmp/header" "$tmp/so"
    exit 1
fi
echo "ok: $(wc -l < "$tmp/header") functions exported"
