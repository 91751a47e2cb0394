#pragma once

// Starts the real fridgebank-server binary on a free port and stops it, so
// the HTTP suites test exactly what users run.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#ifndef FRIDGEBANK_SERVER_BINARY
#error "FRIDGEBANK_SERVER_BINARY must name the server executable"
#endif

namespace fridgebank::test {

/// What the server process may use, and where its stderr goes.
struct process_limits {
  rlim_t file_size = RLIM_INFINITY;  ///< a full disk, as the server sees it
  rlim_t open_files = RLIM_INFINITY; ///< `ulimit -n`
  std::string stderr_path = {};      ///< empty: the test's own stderr
};

class server_process {
public:
  explicit server_process(std::vector<std::string> extra = {"--in-memory"},
                          std::string admin_token = "test-token", process_limits limits = {})
      : token_(std::move(admin_token)) {
    std::vector<std::string> args{FRIDGEBANK_SERVER_BINARY, "--port", "0"};
    if (!token_.empty()) // else the server makes one and writes it to a file
      args.insert(args.end(), {"--admin-token", token_});
    args.insert(args.end(), extra.begin(), extra.end());
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      if (!limits.stderr_path.empty()) {
        int err = ::open(limits.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(err, STDERR_FILENO);
      }
      if (limits.file_size != RLIM_INFINITY) {
        rlimit limit{limits.file_size, limits.file_size};
        ::setrlimit(RLIMIT_FSIZE, &limit);
      }
      if (limits.open_files != RLIM_INFINITY) {
        rlimit limit{limits.open_files, limits.open_files};
        ::setrlimit(RLIMIT_NOFILE, &limit);
      }
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_ = out[0];
    // The first stdout line announces the port once the server accepts.
    first_line_ = read_line(std::chrono::seconds{20});
    auto pos = first_line_.rfind(':');
    REQUIRE_MESSAGE(first_line_.rfind("listening on http://", 0) == 0, "got: " << first_line_);
    port_ = static_cast<unsigned short>(std::stoi(first_line_.substr(pos + 1)));
  }

  ~server_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0)
      ::close(stdout_);
  }

  unsigned short port() const { return port_; }
  const std::string& token() const { return token_; }
  const std::string& first_line() const { return first_line_; }
  pid_t pid() const { return pid_; }

  /// Kills the server at once (no shutdown at all) and reaps it.
  void kill_hard() { CHECK(stop(SIGKILL) == 128 + SIGKILL); }

  /// Sends `sig` (none for 0) and waits for the exit status (-1 if it did
  /// not exit in time).
  int stop(int sig = SIGTERM, std::chrono::seconds within = std::chrono::seconds{30}) {
    if (sig != 0)
      ::kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + within;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      ::poll(nullptr, 0, 10); // waiting for another process to exit, not for our own logic
    }
    return -1;
  }

  /// Reads one line of the server's stdout (empty when it closed).
  std::string read_line(std::chrono::milliseconds timeout) {
    std::string line;
    char c;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0)
        continue;
      if (::read(stdout_, &c, 1) != 1)
        break;
      if (c == '\n')
        break;
      line += c;
    }
    return line;
  }

private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  unsigned short port_ = 0;
  std::string token_;
  std::string first_line_;
};

} // namespace fridgebank::test

namespace fridgebank::test {

/// The port an actor node (`--publish 0` on 127.0.0.1) published on: its
/// second stdout line.
inline unsigned short published_port(server_process& node) {
  auto line = node.read_line(std::chrono::seconds{10});
  REQUIRE_MESSAGE(line.rfind("actors published on 127.0.0.1:", 0) == 0, "got: " << line);
  return static_cast<unsigned short>(std::stoi(line.substr(line.rfind(':') + 1)));
}

/// The flags of a front end for that node's actors.
inline std::vector<std::string> front_end_flags(unsigned short node_port) {
  return {"--actors-at", "127.0.0.1:" + std::to_string(node_port), "--request-timeout", "2000"};
}

/// Runs the server with `args` until it exits (it must fail to start) and
/// returns its exit code; its stderr goes to `stderr_text`.
inline int failed_start(const std::vector<std::string>& args, std::string& stderr_text) {
  char path[] = "/tmp/fridgebank-stderr-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fd, STDERR_FILENO);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    std::vector<std::string> all{FRIDGEBANK_SERVER_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  stderr_text.clear();
  char buf[4096];
  ssize_t n;
  ::lseek(fd, 0, SEEK_SET);
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    stderr_text.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  ::unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace fridgebank::test
