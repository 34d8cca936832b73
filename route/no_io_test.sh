#!/bin/bash
# no_io_test: the route layer is pure, like core/ (see core/no_io_test.sh):
# DNS answers, policy documents, dial history and `now` come in as
# arguments. No sockets, threads, event loop, TLS or DNS library, no clock.
set -u
cd "${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-smtpcore}" 2>/dev/null || true
files=$(find route -name '*.h' -o -name '*.cc' | grep -v '_test\.cc$')
[ -n "$files" ] || { echo "no route sources found"; exit 1; }
pattern='#include[[:space:]]*<(sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h|resolv\.h|poll\.h|sys/epoll\.h|thread|mutex|condition_variable|future|uv\.h|openssl/|unbound|ares|random|chrono|ctime|time\.h|sys/time\.h)|steady_clock|system_clock|absl::Now\(|gettimeofday|clock_gettime|getaddrinfo|absl/synchronization/|absl/random/|"transports/|"tools/'
if grep -nE "$pattern" $files; then
  echo "FAIL: route/ must stay pure (no sockets, DNS library, clock, randomness source, TLS, transports)."
  exit 1
fi
echo "no_io_test: $(echo "$files" | wc -l) route files checked"
