#pragma once

// A run under the nemesis: clients on threads of their own, every write with
// an Idempotency-Key retried with the same key until it has a definite
// answer (a 2xx or 4xx; 5xx, 409 "in progress" and a lost connection are
// not), while the nemesis kills, stops and pauses the server. One history
// line per logical operation, from its first call to its definite answer;
// an operation the run cut off is recorded without a reply. At the end: the
// history must be linearizable (fridgebank-check's code, in process), and
// every count must reconcile with the acknowledged changes, each counted once.

#include "load/checks.hpp"
#include "load/nemesis.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace fridgebank::load {

struct nemesis_run_options {
  std::string scenario; // drink | bank
  std::string spawn;    // the server's command line, without --port
  nemesis_options faults;
  std::size_t clients = 8;
  std::chrono::nanoseconds duration = std::chrono::seconds{20};
  std::chrono::milliseconds timeout{5000}; // one attempt's
  std::string run_id;
  std::uint64_t seed = 1;
  std::string history_path; // where the history goes (a temporary file if empty)
  bool progress = true;
  std::string plot_path; // operations per second with the faults marked (gnuplot)
};

/// One second of a nemesis run: operations completed, and those without a
/// definite answer.
struct nemesis_second {
  double at = 0; // seconds since the run began
  std::uint64_t operations = 0, indefinite = 0;
};

/// Draws operations per second with every fault marked. Throws
/// std::runtime_error if gnuplot is missing or fails.
void plot_nemesis(const std::string& path, const std::string& title,
                  const std::vector<nemesis_second>& seconds,
                  const std::vector<nemesis_event>& events);

/// Runs it, prints the report on stdout; the exit code: 0 every check
/// passed, 1 one failed (or the history's verdict is not proven), 2 the
/// server could not be started.
int run_under_nemesis(const nemesis_run_options& options);

} // namespace fridgebank::load
