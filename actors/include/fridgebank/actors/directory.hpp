#pragma once

#include "fridgebank/actors/journal_link.hpp"
#include "fridgebank/protocol/interfaces.hpp"

#include <caf/actor.hpp>
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
///                first drink, find or pill
///   resting ───────────────────────────────▶ awake
///   (no actor: its state is here)              │ (its actor serves)
///      ▲                                       │
///      │ nobody asked for it from one sweep    │
///      └───────────────────────────────────────┤ to the next, nor while it
///        (its state, once durable; drained)    │ answered `rest`
///                                              │
///                                              │ pill sent
///                     pill answered            ▼
///   stopped ◀───────────────────────────── stopping
///   (its final state is here)                  │ the pill's commit failed
///                                              └──────▶ awake
///
/// A created or restored fridge rests until something needs its actor, and
/// an actor nobody asks for rests again after one to two sweeps: an idle
/// fridge costs its entry here, not an actor (docs/performance.md). A
/// resting fridge's look and list are answered here. No request ever waits
/// for a fridge to rest: one that comes while the fridge answers `rest`
/// keeps it awake. Draining the process is not on this diagram: a drained
/// fridge is live on disk and comes back resting.
enum class fridge_phase : std::uint8_t {
  resting,  // live; no actor: `state` is its state
  awake,    // live; `handle` serves every request
  stopping, // the pill is on its way: drinks are refused, looks wait
  stopped,  // `state` is its final state; the actor is gone
};

/// Resting or awake: not stopped, counted by `count`.
constexpr bool is_live(fridge_phase phase) {
  return phase == fridge_phase::resting || phase == fridge_phase::awake;
}

/// Resting or stopped: no actor; `state` is the fridge's state.
constexpr bool state_is_here(fridge_phase phase) {
  return phase == fridge_phase::resting || phase == fridge_phase::stopped;
}

/// One fridge as the directory knows it.
struct fridge_entry {
  /// A new entry is not counted until `set_phase` makes it live.
  fridge_phase phase = fridge_phase::stopped;
  bool asked = false;       // awake: asked for since the last sweep
  bool handed_out = false;  // `find` gave its handle away: it never rests
  std::uint32_t routed = 0; // requests sent to its actor: a `rest` answer is stale if it moved
  fridge_actor handle;      // awake and stopping
  fridge_state state;       // resting and stopped
  /// Who waits for the final state while stopping (further stops, looks, lists).
  std::vector<std::function<void(const caf::expected<fridge_state>&)>> waiting;
};

/// How long a fridge actor nobody asks for stays awake: one to two of these.
inline constexpr std::chrono::seconds fridge_rest_after{60};

struct directory_data {
  std::map<std::string, fridge_entry> fridges;   // sorted: lists come out by name
  std::size_t live = 0;                          // kept by `set_phase` alone
  journal_link link;                             // handed to every fridge it creates
  std::size_t max_fridges = default_max_entries; // `--max-fridges`, stopped ones included
  bool sweep_scheduled = false;                  // a `sweep` to itself is on its way
  caf::actor alarm;                              // sends it (spawned with the first)
  static inline const char* name = "fridgebank.directory";

  /// Moves `entry` to `phase`, keeping the count of live fridges; a resting
  /// or stopped fridge lets go of its actor.
  void set_phase(fridge_entry& entry, fridge_phase phase);
};

/// How long the directory waits for one of its own fridges.
inline constexpr std::chrono::seconds fridge_reply_timeout{10};

/// The directory of fridges, in memory only: `sys.spawn(fridgebank::directory)`.
directory_actor::behavior_type directory(directory_actor::stateful_pointer<directory_data> self);

/// The directory restored from `durable` (stopped fridges keep only their
/// final state; the others rest until needed), its fridges journaled
/// behind `link`, at most `max_fridges` of them (a restored directory may
/// hold more; then no more are created).
directory_actor::behavior_type
journaled_directory(directory_actor::stateful_pointer<directory_data> self, durable_state durable,
                    journal_link link, std::size_t max_fridges);

} // namespace fridgebank
