#pragma once

// Jepsen's nemesis, small: at seeded random moments it kills the server
// (SIGKILL), stops it (SIGTERM) or pauses it (SIGSTOP, then SIGCONT), and
// starts it again on the same data after each stop, while the clients go on.

#include "load/spawned_server.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fridgebank::load {

struct nemesis_options {
  std::vector<std::string> faults; // of "kill", "term", "pause"
  std::chrono::milliseconds every{2000};
  std::uint64_t seed = 1;
};

struct nemesis_event {
  std::chrono::nanoseconds at{0}; // since the run's epoch
  std::string what;               // "kill", "term", "pause", "resume", "restart"
};

class nemesis {
public:
  nemesis(spawned_server& server, nemesis_options options,
          std::chrono::steady_clock::time_point epoch);
  ~nemesis() { stop(); }

  /// Ends the schedule and leaves the server running (resumed or restarted).
  void stop();

  std::vector<nemesis_event> events() const;
  /// What the server did wrong under the faults (a SIGTERM not answered by
  /// exit 0, a restart that failed).
  std::vector<std::string> failures() const;

private:
  void run();
  bool sleep_for(std::chrono::milliseconds span); // false once stopped
  void note(std::string what);
  void fault(const std::string& which);

  spawned_server& server_;
  nemesis_options options_;
  std::chrono::steady_clock::time_point epoch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<nemesis_event> events_;
  std::vector<std::string> failures_;
  std::thread thread_;
};

/// "kill,term,pause" into its faults, or a reason it is wrong.
std::optional<std::vector<std::string>> parse_faults(const std::string& text);

} // namespace fridgebank::load
