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

/// A fridge's life as the directory sees it:
///
///            pill sent              pill answered
///     live ────────────▶ stopping ───────────────▶ stopped
///       ▲                    │ the pill's commit failed
///       └────────────────────┘ (rolled back to what is on disk)
///
/// Draining the process is not on this diagram: a drained fridge is live on
/// disk and comes back live.
enum class fridge_phase : std::uint8_t {
  live,     // `handle` serves every request
  stopping, // the pill is on its way: drinks are refused, looks wait
  stopped,  // `final_state` only; the actor is gone
};

/// One fridge as the directory knows it.
struct fridge_entry {
  /// A new entry is not counted until `set_phase` makes it live.
  fridge_phase phase = fridge_phase::stopped;
  fridge_actor handle;      // live and stopping
  fridge_state final_state; // stopped
  /// Who waits for the final state while stopping (further stops, looks, lists).
  std::vector<std::function<void(const caf::expected<fridge_state>&)>> waiting;
};

struct directory_data {
  std::map<std::string, fridge_entry> fridges;   // sorted: lists come out by name
  std::size_t live = 0;                          // kept by `set_phase` alone
  journal_link link;                             // handed to every fridge it creates
  std::size_t max_fridges = default_max_entries; // `--max-fridges`, stopped ones included
  static inline const char* name = "fridgebank.directory";

  /// Moves `entry` to `phase`, keeping the count of live fridges.
  void set_phase(fridge_entry& entry, fridge_phase phase);
};

/// How long the directory waits for one of its own fridges.
inline constexpr std::chrono::seconds fridge_reply_timeout{10};

/// The directory of fridges, in memory only: `sys.spawn(fridgebank::directory)`.
directory_actor::behavior_type directory(directory_actor::stateful_pointer<directory_data> self);

/// The directory restored from `durable` (stopped fridges keep only their
/// final state; the others get an actor again), its fridges journaled
/// behind `link`, at most `max_fridges` of them (a restored directory may
/// hold more; then no more are created).
directory_actor::behavior_type
journaled_directory(directory_actor::stateful_pointer<directory_data> self, durable_state durable,
                    journal_link link, std::size_t max_fridges);

} // namespace fridgebank
