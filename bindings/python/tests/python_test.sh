#!/usr/bin/env bash
# python_test.sh: runs the smtpcore package's pytest suite (bindings/python/tests) with Debian's
# /usr/bin/python3 (not a pyenv shim: Debian's python3-aiosmtpd, python3-pytest, setuptools and
# wheel are installed for it) against the libsmtpc.so of this build configuration.
#
# Usage (Bazel sh_test, from the runfiles root): python_test.sh LIBSMTPC PACKAGE_INIT AIOSMTPD_SH
#
# Under --config=sanitize libsmtpc.so is built with ASan + UBSan. python3 is not, so the sanitizer
# runtimes must be loaded first: they are preloaded (LD_PRELOAD, gcc's libasan and libubsan) and
# the whole suite runs with ASan checking every access the library makes. Leak detection is off
# there: the interpreter itself keeps memory until exit, which LeakSanitizer would report; leaks of
# the C ABI are covered by //bindings/c:c_abi_test and :smtpc_c_test under LeakSanitizer.
set -euo pipefail
lib=$(readlink -f "$1")
# The runfiles tree, not the source tree the symlinks point to: tests must see what Bazel gave them.
package_root=$(cd "$(dirname "$2")/.." && pwd)
export SMTPC_LIB=$lib
export AIOSMTPD_SH=$(readlink -f "$3")
export PYTHONDONTWRITEBYTECODE=1
export HOME=${TEST_TMPDIR:-$HOME}
# (nm's output is read whole: `nm | grep -q` can end nm with SIGPIPE, which pipefail reports.)
symbols=$(nm -D "$lib")
if grep -q __asan_init <<<"$symbols"; then
  export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  echo "python_test: ASan + UBSan build; preloading $LD_PRELOAD"
fi
cd "$package_root"
exec /usr/bin/python3 -m pytest -p no:cacheprovider -q -rs tests
