#pragma once

#include "fridgebank/actors/journal_link.hpp"
#include "fridgebank/protocol/interfaces.hpp"

#include <caf/expected.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fridgebank {

/// One fridge as the directory knows it.
struct fridge_entry {
  /// The live fridge; dropped once its final state is known, so a stopped
  /// fridge costs no actor.
  fridge_actor handle;
  /// Set once the pill has been sent: no drink is routed to it any more.
  bool stopping = false;
  /// The state after the pill, once the fridge has answered it.
  std::optional<fridge_state> final_state;
  /// Who waits for the final state (further stops, looks, stop_all).
  std::vector<std::function<void(const caf::expected<fridge_state>&)>> waiting;
};

struct directory_data {
  std::map<std::string, fridge_entry> fridges; // sorted: lists come out by name
  std::size_t live = 0;
  journal_link link; // handed to every fridge it creates
  static inline const char* name = "fridgebank.directory";
};

/// How long the directory waits for one of its own fridges.
inline constexpr std::chrono::seconds fridge_reply_timeout{10};

/// The directory of fridges, in memory only: `sys.spawn(fridgebank::directory)`.
directory_actor::behavior_type directory(directory_actor::stateful_pointer<directory_data> self);

/// The directory restored from `durable` (stopped fridges keep only their
/// final state; the others get an actor again), its fridges journaled
/// behind `link`.
directory_actor::behavior_type
journaled_directory(directory_actor::stateful_pointer<directory_data> self, durable_state durable,
                    journal_link link);

} // namespace fridgebank
