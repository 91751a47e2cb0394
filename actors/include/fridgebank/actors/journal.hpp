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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fridgebank {

struct journal_data {
  std::shared_ptr<store> db; // shared only to be handed over at spawn
  std::uint64_t epoch = 0;
  /// Entries since the last commit, each with the reply it releases.
  struct pending {
    journal_entry entry;
    std::function<void(const caf::error&)> release;
    std::optional<change_event> event; // published once `entry` is durable
  };
  std::vector<pending> batch;
  bool flush_scheduled = false;
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

/// The journal over `db` (group commit). Spawn it detached: it blocks in fsync.
journal_actor::behavior_type journal(journal_actor::stateful_pointer<journal_data> self,
                                     std::shared_ptr<store> db,
                                     std::vector<idempotency_record> keys,
                                     std::shared_ptr<event_sink> events);

/// The largest number of entries one transaction takes; more wait for the
/// next one (bounds the latency one commit adds to its first entry).
inline constexpr std::size_t max_batch = 4096;

} // namespace fridgebank
