// loopback_floor: the kernel's floor for sending message bytes over a
// loopback TCP connection, plain and through TLS, for bench/e2e.sh.
//
//   loopback_floor --file MESSAGE --count N [--tls]
//
// It forks a reader that drains the connection (and, with --tls, decrypts
// it), then writes the file's bytes N times: plainly with write(2) of the
// whole buffer per message, or with --tls sealed by BoringSSL into full
// records (SSL_write over memory BIOs) and written the same way. The
// writer's own CPU time (getrusage(RUSAGE_SELF): the reader is another
// process) is printed as one line:
//
//   floor tls=0 bytes=1048576 count=500 user_s=0.010 sys_s=0.170 wall_s=0.30
//
// That is the least any client can spend to put those bytes on the wire;
// bench/e2e.sh reports our CPU per MiB as a ratio to it. The TLS handshake
// is done before the clock starts.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "transports/tls/test_certs.h"

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "loopback_floor: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      Die("write");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
}

double Monotonic() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// FlushBio writes everything the memory BIO holds to `fd`.
void FlushBio(BIO* wbio, int fd) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (BIO_mem_contents(wbio, &data, &len) && len > 0) {
    WriteAll(fd, reinterpret_cast<const char*>(data), len);
    BIO_reset(wbio);
  }
}

// Reader drains `fd` (decrypting with `ctx` when set) until EOF.
[[noreturn]] void Reader(int fd, SSL_CTX* ctx) {
  static char buf[1 << 16];
  if (ctx == nullptr) {
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
    _exit(0);
  }
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) _exit(2);
  while (SSL_read(ssl, buf, sizeof(buf)) > 0) {
  }
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  long count = 0;
  bool tls = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--file" && i + 1 < argc) {
      file = argv[++i];
    } else if (a == "--count" && i + 1 < argc) {
      count = std::atol(argv[++i]);
    } else if (a == "--tls") {
      tls = true;
    } else {
      std::fprintf(stderr,
                   "usage: loopback_floor --file MESSAGE --count N [--tls]\n");
      return 64;
    }
  }
  std::ifstream in(file, std::ios::binary);
  if (!in || count <= 0) {
    std::fprintf(stderr, "loopback_floor: need a readable --file and --count\n");
    return 64;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string message = ss.str();

  SSL_CTX* server_ctx = nullptr;
  SSL_CTX* client_ctx = nullptr;
  if (tls) {
    auto ca = smtpcore::GenerateTestCa("floor CA");
    auto leaf = ca.ok() ? smtpcore::GenerateTestLeaf(*ca, "127.0.0.1")
                        : decltype(smtpcore::GenerateTestLeaf(*ca, ""))(
                              ca.status());
    if (!leaf.ok()) {
      std::fprintf(stderr, "loopback_floor: no test certificate\n");
      return 1;
    }
    server_ctx = SSL_CTX_new(TLS_method());
    BIO* cbio = BIO_new_mem_buf(leaf->certificate_pem.data(),
                                leaf->certificate_pem.size());
    BIO* kbio = BIO_new_mem_buf(leaf->private_key_pem.data(),
                                leaf->private_key_pem.size());
    X509* cert = PEM_read_bio_X509(cbio, nullptr, nullptr, nullptr);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(kbio, nullptr, nullptr, nullptr);
    if (cert == nullptr || key == nullptr ||
        !SSL_CTX_use_certificate(server_ctx, cert) ||
        !SSL_CTX_use_PrivateKey(server_ctx, key)) {
      std::fprintf(stderr, "loopback_floor: bad test certificate\n");
      return 1;
    }
    client_ctx = SSL_CTX_new(TLS_method());
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, nullptr);
  }

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (listener < 0 ||
      bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 1) != 0) {
    Die("listen");
  }
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  pid_t child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) _exit(1);
    Reader(fd, server_ctx);
  }
  close(listener);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Die("connect");
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

  SSL* ssl = nullptr;
  BIO* wbio = nullptr;
  if (tls) {
    ssl = SSL_new(client_ctx);
    BIO* rbio = BIO_new(BIO_s_mem());
    wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    SSL_set_connect_state(ssl);
    char buf[1 << 14];
    for (;;) {
      int rc = SSL_do_handshake(ssl);
      FlushBio(wbio, fd);
      if (rc == 1) break;
      if (SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ) {
        std::fprintf(stderr, "loopback_floor: handshake failed\n");
        return 1;
      }
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) Die("read during handshake");
      BIO_write(rbio, buf, static_cast<int>(n));
    }
  }

  rusage before;
  getrusage(RUSAGE_SELF, &before);
  const double start = Monotonic();
  for (long i = 0; i < count; ++i) {
    if (!tls) {
      WriteAll(fd, message.data(), message.size());
      continue;
    }
    if (SSL_write(ssl, message.data(), static_cast<int>(message.size())) !=
        static_cast<int>(message.size())) {
      std::fprintf(stderr, "loopback_floor: SSL_write failed\n");
      return 1;
    }
    FlushBio(wbio, fd);
  }
  rusage after;
  getrusage(RUSAGE_SELF, &after);
  const double wall = Monotonic() - start;
  shutdown(fd, SHUT_WR);
  close(fd);
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("floor tls=%d bytes=%zu count=%ld user_s=%.4f sys_s=%.4f "
              "wall_s=%.4f\n",
              tls ? 1 : 0, message.size(), count,
              Seconds(after.ru_utime) - Seconds(before.ru_utime),
              Seconds(after.ru_stime) - Seconds(before.ru_stime), wall);
  return 0;
}
