#!/usr/bin/env bash
# install_cli.sh PREFIX SMTPC MANPAGE COMPLETION: lays out the smtpc CLI under PREFIX
#
#   PREFIX/bin/smtpc
#   PREFIX/share/man/man1/smtpc.1
#   PREFIX/share/bash-completion/completions/smtpc
#
# Used by `./dev install PREFIX` (with bindings/c/install.sh for the C ABI). Idempotent. A link named
# sendmail is not made: `ln -s PREFIX/bin/smtpc ~/bin/sendmail` when you want one.
set -euo pipefail
[[ $# -eq 4 ]] || { echo "usage: $0 PREFIX SMTPC MANPAGE COMPLETION" >&2; exit 64; }
prefix=$1 smtpc=$2 manpage=$3 completion=$4
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
install -d "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions"
rm -f "$prefix/bin/smtpc"
install -m 755 "$smtpc" "$prefix/bin/smtpc"
install -m 644 "$manpage" "$prefix/share/man/man1/smtpc.1"
install -m 644 "$completion" "$prefix/share/bash-completion/completions/smtpc"
echo "installed the smtpc CLI under $prefix (bin/smtpc, share/man/man1/smtpc.1, share/bash-completion/completions/smtpc)"
