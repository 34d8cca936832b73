#!/usr/bin/env bash
# install.sh PREFIX LIBSMTPC HEADER PC_TEMPLATE: lays out the C ABI under PREFIX
#
#   PREFIX/include/smtpc.h
#   PREFIX/lib/libsmtpc.so.X.Y.Z        (the built libsmtpc.so; SONAME libsmtpc.so.X)
#   PREFIX/lib/libsmtpc.so.X -> libsmtpc.so.X.Y.Z
#   PREFIX/lib/libsmtpc.so   -> libsmtpc.so.X        (for -lsmtpc)
#   PREFIX/lib/pkgconfig/smtpc.pc
#
# The version comes from SMTPC_VERSION_STRING in the header. Used by `./dev install PREFIX`
# and by the C ABI test (bindings/c/tests/c_abi_test.sh), which builds its C programs against
# the result with `pkg-config --cflags --libs smtpc`. Idempotent: reinstalling overwrites.
set -euo pipefail
[[ $# -eq 4 ]] || { echo "usage: $0 PREFIX LIBSMTPC HEADER PC_TEMPLATE" >&2; exit 64; }
prefix=$1 lib=$2 header=$3 template=$4
version=$(sed -n 's/^#define SMTPC_VERSION_STRING "\(.*\)"$/\1/p' "$header")
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "install.sh: no version in $header" >&2; exit 1; }
major=${version%%.*}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 "$header" "$prefix/include/smtpc.h"
rm -f "$prefix/lib/libsmtpc.so.$version"
install -m 755 "$lib" "$prefix/lib/libsmtpc.so.$version"
ln -sfn "libsmtpc.so.$version" "$prefix/lib/libsmtpc.so.$major"
ln -sfn "libsmtpc.so.$major" "$prefix/lib/libsmtpc.so"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" "$template" >"$prefix/lib/pkgconfig/smtpc.pc"
echo "installed smtpc $version under $prefix (include/smtpc.h, lib/libsmtpc.so*, lib/pkgconfig/smtpc.pc)"
