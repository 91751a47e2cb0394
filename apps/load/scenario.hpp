#pragma once

// A scenario is what a load run does: it creates what it needs, hands each
// client its next request, judges each reply and, at the end, reads the final
// state and checks its invariants. The driver owns time and sockets; a
// scenario owns neither, so it runs on the driver's one thread and needs no
// locks.

#include "load/checks.hpp"
#include "load/operation.hpp"
#include "load/sync_client.hpp"

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fridgebank::load {

class scenario {
public:
  virtual ~scenario() = default;

  /// Creates what the run needs, under names no other run uses.
  virtual void setup(sync_client& client) = 0;

  /// The next request of client `client` (0 .. clients-1), or nothing while
  /// it waits for other clients; a later `complete` then wakes it.
  virtual std::optional<request> next(std::size_t client) = 0;

  /// What became of `client`'s request. Clients to wake go into `wake`.
  virtual outcome complete(std::size_t client, const request& req, const reply& rep,
                           std::vector<std::size_t>& wake) = 0;

  /// After the run, with every request answered or given up on: reads the
  /// final state and checks the scenario's invariants.
  virtual std::vector<check> finish(sync_client& client) = 0;

  /// Figures of this scenario for the report (rounds, snapshots, ...).
  virtual boost::json::object details() const { return {}; }
};

struct scenario_options {
  std::string name;         // echo, drink, bank, polite-naive, polite-atomic, mixed
  std::size_t clients = 1;  // connections x pipeline depth
  std::size_t fridges = 1;  // drink: how many fridges the drinkers share
  std::size_t drinkers = 3; // polite-*: drinkers per fridge
  std::string mix;          // mixed: "route=weight,..." over the defaults
  std::uint64_t seed = 1;
  std::string run_id; // prefix of every name the run creates
};

/// The scenario names, for --help and errors.
const std::vector<std::string>& scenario_names();

/// Throws std::invalid_argument for an unknown name or bad options.
std::unique_ptr<scenario> make_scenario(const scenario_options& options);

std::unique_ptr<scenario> make_echo_scenario();
std::unique_ptr<scenario> make_drink_scenario(const scenario_options& options);
std::unique_ptr<scenario> make_bank_scenario(const scenario_options& options);
std::unique_ptr<scenario> make_polite_scenario(const scenario_options& options, bool atomic);
std::unique_ptr<scenario> make_mixed_scenario(const scenario_options& options);

} // namespace fridgebank::load
