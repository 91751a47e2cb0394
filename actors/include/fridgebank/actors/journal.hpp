#pragma once

#include "fridgebank/actors/store.hpp"
#include "fridgebank/protocol/events.hpp"
#include "fridgebank/protocol/idempotency.hpp"
#include "fridgebank/protocol/journal.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fridgebank {

/// A sync lane makes the journal's commits durable on its own thread
/// (spawn it detached: it blocks in fsync) and answers with the sequence
/// number it was given and how long the fsync took, in nanoseconds.
using sync_lane_actor =
    caf::typed_actor<caf::replies_to<sync_atom, std::uint64_t>::with<std::uint64_t, std::uint64_t>,
                     caf::replies_to<stop_atom>::with<bool>>;

struct sync_lane_data {
  std::shared_ptr<store> db; // released when the lane stops
  std::size_t lane = 0;      // 1..sync_lanes: which of the store's files it syncs
  static inline const char* name = "fridgebank.sync_lane";
};

sync_lane_actor::behavior_type sync_lane(sync_lane_actor::stateful_pointer<sync_lane_data> self,
                                         std::shared_ptr<store> db, std::size_t lane);

// A request's way through the journal (group commit, fsync off the
// journal's thread):
//
//   commit_atom ──> batch ──flush──> written (commit: the WAL holds it)
//                     ^                 │ a lane fsyncs everything written
//                     │ no idle lane:   │ before it started
//                     └─ waits          v
//                                    synced ──> keys answered, events out,
//                                               reply sent (in commit order)
//
// A failed commit rolls the batch back (its requests changed nothing); a
// failed fsync leaves what was written unknown: its requests are told so,
// their keys stay claimed, and every later request is refused until restart.
struct journal_data {
  std::shared_ptr<store> db; // shared only to be handed over at spawn
  std::uint64_t epoch = 0;
  /// An entry, with the reply it releases once durable.
  struct pending {
    journal_entry entry;
    std::function<void(const caf::error&)> release;
    std::optional<change_event> event; // published once `entry` is durable
  };
  /// Committed entries waiting for a sync that began after commit `seq`.
  struct written {
    std::uint64_t seq;
    std::vector<pending> done;
  };
  std::vector<pending> batch;         // not committed yet
  std::deque<written> unsynced;       // committed, oldest first
  std::uint64_t written_seq = 0;      // the last commit that wrote
  bool flush_scheduled = false;       // a flush_atom is on its way
  bool waiting_for_lane = false;      // a lane's answer will flush
  std::vector<sync_lane_actor> lanes; // all of them; none: sync here
  std::vector<sync_lane_actor> idle_lanes;
  caf::error broken;     // set by a failed sync: refuse all
  bool stopping = false; // the pill came: new entries are refused
  std::vector<caf::typed_response_promise<journal_stats>> stop_promises;
  std::vector<caf::actor> rollback_targets;
  journal_stats stats;
  /// Idempotency-Keys, as protocol/idempotency.hpp defines them.
  idempotency::key_table keys;
  /// The last commit failure reported on stderr (empty after a success).
  std::string last_failure;
  /// Told of every change once it is durable (protocol/events.hpp); may be empty.
  std::shared_ptr<event_sink> events;
  static inline const char* name = "fridgebank.journal";
};

/// The journal over `db` (group commit). Without `lanes` it fsyncs on its
/// own thread: spawn it detached whenever `db` has a disk.
journal_actor::behavior_type journal(journal_actor::stateful_pointer<journal_data> self,
                                     std::shared_ptr<store> db,
                                     std::vector<idempotency_record> keys,
                                     std::shared_ptr<event_sink> events,
                                     std::vector<sync_lane_actor> lanes);

/// The largest number of entries one transaction takes; more wait for the
/// next one (bounds the latency one commit adds to its first entry).
inline constexpr std::size_t max_batch = 4096;

} // namespace fridgebank
