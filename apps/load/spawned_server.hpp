#pragma once

// The server under test as a child process of the load tool: started from a
// shell command (`CMD --port 0`), reached at the port its first stdout line
// announces, and stopped, killed, paused and started again by the nemesis.
// Only signals and that line: any server that follows API.md will do.

#include "load/sync_client.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <sys/types.h>

namespace fridgebank::load {

class spawned_server {
public:
  /// `command` is run by /bin/sh with " --port 0" appended.
  explicit spawned_server(std::string command);
  ~spawned_server(); // SIGTERM, then SIGKILL if it does not exit

  spawned_server(const spawned_server&) = delete;
  spawned_server& operator=(const spawned_server&) = delete;

  /// Starts the command and waits for its `listening on http://HOST:PORT`
  /// line. Throws std::runtime_error when it exits or stays silent first.
  void start(std::chrono::seconds within = std::chrono::seconds{30});

  /// Sends `signal`; for a stopping signal, waits for the exit and returns
  /// its status (exit code, or 128 + signal; -1 if it did not end in time).
  int stop(int signal, std::chrono::seconds within = std::chrono::seconds{30});

  void pause();  // SIGSTOP
  void resume(); // SIGCONT

  bool running() const { return pid_ > 0; }
  /// Where it listens now (it changes with every start).
  endpoint where() const;
  /// Bumped at every start: clients reconnect when it changes.
  std::uint64_t generation() const;

private:
  std::string command_;
  pid_t pid_ = -1;
  mutable std::mutex mutex_;
  endpoint where_;
  std::uint64_t generation_ = 0;
};

} // namespace fridgebank::load
