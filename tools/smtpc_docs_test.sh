#!/usr/bin/env bash
# smtpc_docs_test.sh: the checked-in manual page and bash completion are what tools/smtpc_docs renders from
# the sources (so they match --help), the manual page has a section per subcommand and formats with man(1)
# when it is installed, and the completion script loads in bash and completes subcommands and flags.
# Also: tools/install_cli.sh (what `./dev install PREFIX` runs for the CLI) lays the three out under a prefix.
# Usage: smtpc_docs_test.sh SMTPC_DOCS SMTPC_1 SMTPC_BASH SMTPC INSTALL_CLI_SH
set -euo pipefail
DOCS=$1 MAN=$2 BASH_COMPLETION=$3 SMTPC=$4 INSTALL=$5
TMP=${TEST_TMPDIR:-$(mktemp -d)}
fail() { echo "FAIL: $*" >&2; exit 1; }

"$DOCS" man >"$TMP/smtpc.1"
"$DOCS" bash >"$TMP/smtpc.bash"
diff -u "$MAN" "$TMP/smtpc.1" ||
  fail "tools/smtpc.1 is stale: bazel run //tools:smtpc_docs -- man >tools/smtpc.1"
diff -u "$BASH_COMPLETION" "$TMP/smtpc.bash" ||
  fail "tools/smtpc.bash is stale: bazel run //tools:smtpc_docs -- bash >tools/smtpc.bash"

# Every subcommand's --help text is in the page.
for cmd in send sendmail bulk demo sink route probe vrfy expn etrn; do
  grep -q "^\.SH ${cmd^^}\$" "$MAN" || fail "smtpc.1 has no section for $cmd"
  "$SMTPC" "$cmd" --help | head -1 | sed 's/-/\\-/g' >"$TMP/first"
  grep -qF -f "$TMP/first" "$MAN" || fail "smtpc.1 lacks the usage line of smtpc $cmd"
done
for section in "EXIT STATUS" FILES EXAMPLES; do
  grep -q "^\.SH $section\$" "$MAN" || fail "smtpc.1 has no $section section"
done
if command -v man >/dev/null; then
  MANWIDTH=100 man -l "$MAN" >"$TMP/man.txt" 2>"$TMP/man.err" || fail "man -l smtpc.1 failed: $(cat "$TMP/man.err")"
  grep -q "EX_TEMPFAIL" "$TMP/man.txt" || fail "formatted page lacks the exit statuses"
fi

# The completion loads and completes.
out=$(bash -c 'source "$1"
COMP_WORDS=(smtpc se); COMP_CWORD=1; _smtpc; echo "${COMPREPLY[*]}"
COMP_WORDS=(smtpc send --acc); COMP_CWORD=2; _smtpc; echo "${COMPREPLY[*]}"
COMP_WORDS=(smtpc sendmail -o); COMP_CWORD=2; _smtpc; echo "${COMPREPLY[*]}"' _ "$BASH_COMPLETION")
[[ $out == $'send sendmail\n--account\n-oi' ]] || fail "completion gave: $out"
# The install layout.
"$INSTALL" "$TMP/prefix" "$SMTPC" "$MAN" "$BASH_COMPLETION" >/dev/null
[[ -x $TMP/prefix/bin/smtpc ]] || fail "install: no bin/smtpc"
cmp "$TMP/prefix/share/man/man1/smtpc.1" "$MAN" || fail "install: share/man/man1/smtpc.1"
cmp "$TMP/prefix/share/bash-completion/completions/smtpc" "$BASH_COMPLETION" || fail "install: completion"
"$TMP/prefix/bin/smtpc" --version >/dev/null || fail "installed smtpc does not run"
echo PASS
