#include "load/spawned_server.hpp"

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace fridgebank::load {

spawned_server::spawned_server(std::string command) : command_(std::move(command)) {}

spawned_server::~spawned_server() {
  if (pid_ > 0 && stop(SIGTERM, std::chrono::seconds{30}) < 0)
    stop(SIGKILL);
}

void spawned_server::start(std::chrono::seconds within) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("cannot make a pipe for the server's output");
  auto line = "exec " + command_ + " --port 0";
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("cannot fork");
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  pid_ = pid;
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + within;
  const std::string prefix = "listening on http://";
  while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buffer[256];
    auto n = ::read(out[0], buffer, sizeof buffer);
    if (n <= 0)
      break; // it exited (or closed stdout) before announcing itself
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out[0]); // later output goes nowhere (the server ignores SIGPIPE)
  auto line_end = text.find('\n');
  auto colon = text.rfind(':', line_end);
  if (line_end == std::string::npos || text.rfind(prefix, 0) != 0 || colon == std::string::npos) {
    stop(SIGKILL);
    throw std::runtime_error("the server did not start: `" + command_ + " --port 0` said \"" +
                             text.substr(0, 200) + "\"");
  }
  auto host = text.substr(prefix.size(), colon - prefix.size());
  if (host.size() > 2 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  std::lock_guard guard{mutex_};
  where_ = endpoint{host, text.substr(colon + 1, line_end - colon - 1)};
  ++generation_;
}

int spawned_server::stop(int signal, std::chrono::seconds within) {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, signal);
  auto deadline = std::chrono::steady_clock::now() + within;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    ::poll(nullptr, 0, 10); // another process's exit: nothing to wait on but it
  }
  return -1;
}

void spawned_server::pause() {
  if (pid_ > 0)
    ::kill(pid_, SIGSTOP);
}

void spawned_server::resume() {
  if (pid_ > 0)
    ::kill(pid_, SIGCONT);
}

endpoint spawned_server::where() const {
  std::lock_guard guard{mutex_};
  return where_;
}

std::uint64_t spawned_server::generation() const {
  std::lock_guard guard{mutex_};
  return generation_;
}

} // namespace fridgebank::load
