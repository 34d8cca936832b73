#!/bin/sh
# smtpcore_test.sh: runs smtpcore_test.py with Debian's /usr/bin/python3
# against the libsmtpc.so built in this configuration.
#
# Usage (from the runfiles root, as Bazel runs sh_test):
#   smtpcore_test.sh <libsmtpc.so> <smtpcore_test.py>
#
# Under --config=asan the shared object needs the ASan runtime loaded first
# in the process (LD_PRELOAD of libasan into python3, which then reports
# python's own leaks): the test is SKIPPED (exit 0 with a message) when the
# library was built with AddressSanitizer. The C ABI is still covered under
# the sanitizers by //bindings/c:smtpc_c_test.
set -eu
so="$1"
test_py="$2"
if grep -q __asan_init "$so"; then
  echo "smtpcore_test: SKIPPED under ASan (libsmtpc.so is ASan-instrumented;" \
       "python3 would need libasan preloaded). Covered by smtpc_c_test."
  exit 0
fi
export SMTPC_LIB="$so"
export PYTHONPATH="$(dirname "$test_py")${PYTHONPATH:+:$PYTHONPATH}"
exec /usr/bin/python3 "$test_py" -v
