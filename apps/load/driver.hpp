#pragma once

// Drives a scenario against a server: N kept-alive connections, each with
// `pipeline` clients whose requests it writes back to back (HTTP/1.1
// pipelining; one client per connection is plain keep-alive). Closed loop by
// default: a client sends its next request when its last one is answered.
// With a rate the run is open loop: requests are due on a fixed schedule
// and each one's latency counts from when it was due (see open_loop.hpp).
// Everything runs on one thread, so a scenario needs no locks.

#include "load/history.hpp"
#include "load/latency.hpp"
#include "load/open_loop.hpp"
#include "load/scenario.hpp"
#include "load/sync_client.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fridgebank::load {

struct run_options {
  endpoint server;
  std::size_t connections = 16;
  std::size_t pipeline = 1; // clients per connection
  /// The run ends after `duration` or after `requests` sends, whichever
  /// comes first; then it waits for the replies still due.
  std::optional<std::chrono::nanoseconds> duration = std::chrono::seconds{10};
  std::optional<std::uint64_t> requests;
  std::optional<double> rate; // open loop, requests per second
  std::chrono::milliseconds timeout{10'000};
  bool progress = true; // a line on stderr every second
};

/// One second of the run, by completion time.
struct second_stats {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  latency_histogram latency;
};

struct run_result {
  std::chrono::nanoseconds elapsed{0}; // from the first send to the last reply
  std::uint64_t requests = 0;          // completed: answered or given up on
  std::uint64_t ok = 0;
  std::uint64_t refused = 0; // refusals the scenario expects (insufficient_funds)
  std::uint64_t errors = 0;  // everything else, no reply included
  /// "200", "409 insufficient_funds", "no reply: ..." -> count.
  std::map<std::string, std::uint64_t> statuses;
  latency_histogram latency;
  std::map<std::string, latency_histogram> by_route;
  std::vector<second_stats> timeline;
  std::uint64_t reconnects = 0;
  /// Attempts to reconnect that failed; each is also counted in `errors`,
  /// so a server that dies mid-run fails the run.
  std::uint64_t connect_failures = 0;
  /// Open loop: requests that fell due but found every client busy when the
  /// run ended. Raise --connections or --pipeline if this is not 0.
  std::uint64_t backlog = 0;
  bool interrupted = false; // stopped early by SIGINT
};

/// Runs `scen` (already set up) and returns what happened. Throws
/// std::runtime_error when it cannot connect at the start. `history`, if
/// given, gets every operation with times relative to `epoch`.
run_result run_load(const run_options& options, scenario& scen, history_log* history,
                    clock::time_point epoch);

} // namespace fridgebank::load
