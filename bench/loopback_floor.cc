// loopback_floor: the kernel's floor for sending message bytes over a
// loopback TCP connection, plain and through TLS, for bench/e2e.sh.
//
//   loopback_floor --file MESSAGE --count N [--tls | --stuffed-iov |
//                  --gather BYTES]
//                  [--smtp-port PORT]
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
// --stuffed-iov writes the dot-stuffed message the way a zero-copy encoder
// hands it to the kernel: writev of up to 1024 iovecs, one per run of bytes
// between line-leading dots, each run ending on the next line's dot, which
// starts the next run again (what core/dot_stuffer.h's Encode emits). Its
// difference to the plain floor is the kernel's cost of the iovec layout
// (bench/README.md "Profile notes"). --gather BYTES copies those runs into
// a BYTES staging buffer and writes each full buffer instead: the price of
// coalescing in user space.
//
// --smtp-port writes (plainly) to an SMTP server on 127.0.0.1:PORT instead
// of the forked reader: one MAIL/RCPT/DATA, then the message N times as one
// body, then the final dot (not timed). The sender's kernel cost depends on
// its receiver (window updates, ACKs, how it reads), so this is the floor
// against the same server the clients send to.
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
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

// StuffedIov splits `message` as the zero-copy dot-stuffer does: at each
// line-leading dot, the run so far ends on that dot and the next run starts
// on it again (the stuffed dot is the line's own dot sent twice), so the
// iovecs carry the stuffed text, one per dot line.
std::vector<iovec> StuffedIov(const std::string& message) {
  std::vector<iovec> iov;
  size_t start = 0;
  for (size_t i = 0; i < message.size(); ++i) {
    const bool line_start = i == 0 || message[i - 1] == '\n';
    if (line_start && message[i] == '.') {
      iov.push_back(
          {const_cast<char*>(message.data() + start), i + 1 - start});
      start = i;
    }
  }
  iov.push_back(
      {const_cast<char*>(message.data() + start), message.size() - start});
  return iov;
}

// WritevAll writes every iovec of `iov` (1024 per call).
void WritevAll(int fd, std::vector<iovec> iov) {
  size_t i = 0;
  while (i < iov.size()) {
    const int n = static_cast<int>(std::min<size_t>(1024, iov.size() - i));
    ssize_t w = writev(fd, iov.data() + i, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      Die("writev");
    }
    size_t left = static_cast<size_t>(w);
    while (left > 0 && left >= iov[i].iov_len) left -= iov[i++].iov_len;
    if (left > 0) {
      iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + left;
      iov[i].iov_len -= left;
    }
  }
}

// GatherAll copies the runs of `iov` into `staging` and writes each full
// staging buffer with one write(): what a transmit path that coalesces small
// zero-copy slices would hand the kernel (--gather BYTES).
void GatherAll(int fd, const std::vector<iovec>& iov, std::vector<char>& staging) {
  size_t used = 0;
  for (const iovec& v : iov) {
    const char* p = static_cast<const char*>(v.iov_base);
    size_t left = v.iov_len;
    while (left > 0) {
      const size_t n = std::min(left, staging.size() - used);
      std::memcpy(staging.data() + used, p, n);
      used += n;
      p += n;
      left -= n;
      if (used == staging.size()) {
        WriteAll(fd, staging.data(), used);
        used = 0;
      }
    }
  }
  if (used > 0) WriteAll(fd, staging.data(), used);
}

// Command sends `line` and reads until a final reply line ("NNN ").
void Command(int fd, const std::string& line) {
  if (!line.empty()) WriteAll(fd, line.data(), line.size());
  std::string got;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) Die("read reply");
    got.append(buf, static_cast<size_t>(n));
    // A final line: "NNN " at a line start, ending in CRLF.
    size_t pos = 0;
    for (;;) {
      size_t end = got.find("\r\n", pos);
      if (end == std::string::npos) break;
      if (end - pos >= 4 && got[pos + 3] == ' ') return;
      pos = end + 2;
    }
  }
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
  bool stuffed_iov = false;
  size_t gather = 0;  // --gather: staging buffer size, 0 = off
  int smtp_port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--file" && i + 1 < argc) {
      file = argv[++i];
    } else if (a == "--count" && i + 1 < argc) {
      count = std::atol(argv[++i]);
    } else if (a == "--tls") {
      tls = true;
    } else if (a == "--stuffed-iov") {
      stuffed_iov = true;
    } else if (a == "--gather" && i + 1 < argc) {
      gather = std::strtoul(argv[++i], nullptr, 10);
      stuffed_iov = true;
    } else if (a == "--smtp-port" && i + 1 < argc) {
      smtp_port = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: loopback_floor --file MESSAGE --count N "
                   "[--tls | --stuffed-iov | --gather BYTES]\n");
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
  const std::vector<iovec> iov = StuffedIov(message);
  std::vector<char> staging(gather);

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

  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  pid_t child = -1;
  if (smtp_port != 0) {
    if (tls) {
      std::fprintf(stderr, "loopback_floor: --smtp-port is plain only\n");
      return 64;
    }
    addr.sin_port = htons(static_cast<uint16_t>(smtp_port));
  } else {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0 ||
      bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 1) != 0) {
    Die("listen");
  }
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) _exit(1);
    Reader(fd, server_ctx);
  }
  close(listener);
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Die("connect");
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

  if (smtp_port != 0) {
    Command(fd, "");
    Command(fd, "EHLO floor.smtpc.test\r\n");
    Command(fd, "MAIL FROM:<floor@smtpc.test>\r\n");
    Command(fd, "RCPT TO:<sink@smtpc.test>\r\n");
    Command(fd, "DATA\r\n");
  }

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
    if (gather > 0) {
      GatherAll(fd, iov, staging);
      continue;
    }
    if (stuffed_iov) {
      WritevAll(fd, iov);
      continue;
    }
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
  if (smtp_port != 0) {
    Command(fd, "\r\n.\r\n");
    Command(fd, "QUIT\r\n");
  }
  shutdown(fd, SHUT_WR);
  close(fd);
  int status = 0;
  if (child > 0) waitpid(child, &status, 0);
  std::printf("floor tls=%d iovecs=%zu bytes=%zu count=%ld user_s=%.4f "
              "sys_s=%.4f wall_s=%.4f\n",
              tls ? 1 : 0, stuffed_iov ? iov.size() : 1, message.size(), count,
              Seconds(after.ru_utime) - Seconds(before.ru_utime),
              Seconds(after.ru_stime) - Seconds(before.ru_stime), wall);
  return 0;
}
