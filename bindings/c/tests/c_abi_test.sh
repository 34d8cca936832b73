#!/usr/bin/env bash
# c_abi_test.sh: the C ABI as a C user gets it. Installs libsmtpc.so, smtpc.h and smtpc.pc into a
# temporary PREFIX with install.sh, compiles the C99 test programs AS C with
#   cc -std=c99 ... $(pkg-config --cflags --libs smtpc)
# and runs them: sansio_test (scripted server bytes) and send_test (smtpc_send against the real
# aiosmtpd on 127.0.0.1, STARTTLS + AUTH, started here and stopped by PID on any exit).
#
# Usage (Bazel sh_test, from the runfiles root):
#   c_abi_test.sh LIBSMTPC HEADER PC_TEMPLATE INSTALL_SH SANSIO_C SEND_C AIOSMTPD_SH
#
# Needs cc, pkg-config, /usr/bin/python3 with python3-aiosmtpd, and openssl (./dev installs them).
# When libsmtpc.so is ASan-instrumented (--config=sanitize) the programs are compiled with the same
# sanitizers, so this test runs under ASan + UBSan too.
set -euo pipefail
[[ $# -eq 7 ]] || { echo "usage: $0 LIB HEADER PC INSTALL SANSIO SEND AIOSMTPD" >&2; exit 64; }
lib=$(readlink -f "$1") header=$(readlink -f "$2") pc=$(readlink -f "$3")
install_sh=$(readlink -f "$4") sansio_c=$(readlink -f "$5") send_c=$(readlink -f "$6")
aiosmtpd_sh=$(readlink -f "$7")

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/c_abi.XXXXXX")
server_dir=$work/aiosmtpd
cleanup() {
  "$aiosmtpd_sh" stop "$server_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

for tool in cc pkg-config; do
  command -v "$tool" >/dev/null || { echo "c_abi_test: $tool is missing (./dev installs it)"; exit 1; }
done

prefix=$work/prefix
"$install_sh" "$prefix" "$lib" "$header" "$pc"
# The layout promised by docs/abi.md.
for f in include/smtpc.h lib/libsmtpc.so lib/libsmtpc.so.1 lib/pkgconfig/smtpc.pc; do
  [[ -e $prefix/$f ]] || { echo "c_abi_test: $prefix/$f is missing"; exit 1; }
done
soname=$(readelf -d "$prefix/lib/libsmtpc.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[[ $soname == libsmtpc.so.1 ]] || { echo "c_abi_test: SONAME is '$soname', want libsmtpc.so.1"; exit 1; }
# The version is the header's everywhere: the file name, the links and pkg-config (docs/abi.md).
version=$(sed -n 's/^#define SMTPC_VERSION_STRING "\(.*\)"$/\1/p' "$header")
[[ $version == "$(sed -n 's/^#define SMTPC_VERSION_MAJOR //p' "$header").$(sed -n \
  's/^#define SMTPC_VERSION_MINOR //p' "$header").$(sed -n 's/^#define SMTPC_VERSION_PATCH //p' "$header")" ]] ||
  { echo "c_abi_test: SMTPC_VERSION_STRING '$version' disagrees with the MAJOR/MINOR/PATCH macros"; exit 1; }
[[ -f $prefix/lib/libsmtpc.so.$version && $(readlink "$prefix/lib/libsmtpc.so.1") == "libsmtpc.so.$version" ]] ||
  { echo "c_abi_test: lib/libsmtpc.so.1 does not point at libsmtpc.so.$version"; exit 1; }
[[ $(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/smtpc.pc") == "$version" ]] ||
  { echo "c_abi_test: smtpc.pc does not say Version: $version"; exit 1; }
# (nm's output is read whole: `nm | grep -q` can end nm with SIGPIPE, which pipefail reports.)
exported=$(nm -D --defined-only "$prefix/lib/libsmtpc.so" | awk '{print $3}')
foreign=$(grep -v '^smtpc_' <<<"$exported" || true)
if [[ -n $foreign ]]; then
  echo "c_abi_test: libsmtpc.so exports symbols outside smtpc_*:"
  head <<<"$foreign"
  exit 1
fi

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pkg-config --exists smtpc
echo "pkg-config: smtpc $(pkg-config --modversion smtpc): $(pkg-config --cflags --libs smtpc)"
extra=()
symbols=$(nm -D "$lib")
if grep -q __asan_init <<<"$symbols"; then
  extra=(-fsanitize=address,undefined -fno-omit-frame-pointer)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
fi
# shellcheck disable=SC2046
cc -std=c99 -pedantic -Wall -Wextra -Werror "${extra[@]}" -o "$work/sansio_test" "$sansio_c" \
  $(pkg-config --cflags --libs smtpc)
# shellcheck disable=SC2046
cc -std=c99 -pedantic -Wall -Wextra -Werror "${extra[@]}" -o "$work/send_test" "$send_c" \
  $(pkg-config --cflags --libs smtpc)
export LD_LIBRARY_PATH=$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

echo "== sansio_test"
"$work/sansio_test"

echo "== send_test (aiosmtpd, STARTTLS + AUTH)"
"$aiosmtpd_sh" start "$server_dir"
# shellcheck source=/dev/null
set -a; source "$server_dir/env"; set +a
"$work/send_test"
# What the server stored: one message, over TLS, authenticated, for the accepted recipient only.
records=("$AI_RECORD_DIR"/*.json)
[[ ${#records[@]} -eq 1 && -f ${records[0]} ]] || { echo "c_abi_test: want 1 record, have ${#records[@]}"; exit 1; }
/usr/bin/python3 - "${records[0]}" "$AI_RCPT" "$AI_USER" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))
problems = []
if record["rcpt_tos"] != [sys.argv[2]]:
    problems.append("rcpt_tos %r" % record["rcpt_tos"])
if not record["tls"]:
    problems.append("not over TLS")
if record["auth_user"] != sys.argv[3] or record["auth_mechanism"] != "PLAIN":
    problems.append("auth %r %r" % (record["auth_user"], record["auth_mechanism"]))
if record["ehlo"] != "c-test.example":
    problems.append("ehlo %r" % record["ehlo"])
content = open(sys.argv[1][:-len(".json")] + ".content", "rb").read()
if b".leading dot\r\nbye\r\n" not in content:
    problems.append("content %r" % content)
if problems:
    print("c_abi_test: the server's record is wrong: " + "; ".join(problems))
    sys.exit(1)
print("server record ok: %s over %s, AUTH %s" % (record["rcpt_tos"], record["tls"]["version"], record["auth_mechanism"]))
PY
echo "c_abi_test: 2 passed, 0 failed"
