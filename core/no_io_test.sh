#!/bin/bash
# no_io_test: the sans-I/O rule, enforced mechanically. core/ must not include
# sockets, threads, an event loop or a TLS library, nor read a clock: time and
# bytes come in as arguments (see core/instant.h).
set -u
cd "${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-smtpcore}" 2>/dev/null || true
files=$(find core -name '*.h' -o -name '*.cc' | grep -v '_test\.cc$')
[ -n "$files" ] || { echo "no core sources found"; exit 1; }
pattern='#include[[:space:]]*<(sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h|poll\.h|sys/epoll\.h|thread|mutex|condition_variable|future|uv\.h|openssl/|chrono|ctime|time\.h|sys/time\.h)|steady_clock|system_clock|absl::Now\(|gettimeofday|clock_gettime|absl/synchronization/'
if grep -nE "$pattern" $files; then
  echo "FAIL: core/ must stay sans-I/O (no sockets, threads, clocks, TLS, event loop)."
  exit 1
fi
echo "no_io_test: $(echo "$files" | wc -l) core files checked"
