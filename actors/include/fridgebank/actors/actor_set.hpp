#pragma once

// The whole set of fridgebank actors, started and stopped in one place: the
// server, the examples and any embedding program use these two functions.

#include "fridgebank/protocol/events.hpp"
#include "fridgebank/protocol/interfaces.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace fridgebank {

struct actor_set_options {
  /// Where the state lives (SQLite in DATA_DIR/fridgebank.db, locked); none
  /// keeps everything in memory, Idempotency-Keys for the process's life.
  std::optional<std::string> data_dir;
  /// At most this many fridges (stopped ones included) and accounts; one
  /// more is `limit_exceeded`. A restored state over them keeps what it has.
  std::size_t max_fridges = default_max_entries;
  std::size_t max_accounts = default_max_entries;
  /// Testing: every commit waits this long first, as on a slow disk.
  std::chrono::milliseconds commit_delay{0};
  /// Told of every change once it is durable (protocol/events.hpp); none: no events.
  std::shared_ptr<event_sink> events = nullptr;
};

struct actor_set {
  directory_actor directory;
  bank_actor bank;
  /// Commits effects and keeps Idempotency-Keys; in memory it keeps keys only.
  journal_actor journal;
  bool durable = false;
  /// The node actor, when the set is published to other CAF nodes; it is
  /// stopped first, so they lose the handles before the actors drain.
  node_actor published;
};

/// Opens the data directory's database (taking its lock), restores every
/// fridge, account and key exactly as acknowledged, and spawns the set.
/// Errors: the store's (locked, unreadable, newer schema, ...), readably.
caf::expected<actor_set> spawn_actor_set(caf::actor_system& sys, const actor_set_options& options);

/// Stops the process's use of the set without retiring anything: every actor
/// serves what is already in its mailbox and ends, the journal commits what
/// has queued and closes the database. Nothing about "stopped" is written,
/// so the next `spawn_actor_set` brings everything back live. Call it once
/// no new requests are sent. Returns the first error (each wait is bounded
/// by `within`), after trying every step; the handles are dropped.
caf::error shutdown_actor_set(caf::actor_system& sys, actor_set& set,
                              std::chrono::milliseconds within = std::chrono::seconds{10});

} // namespace fridgebank
