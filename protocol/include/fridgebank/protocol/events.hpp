#pragma once

// What a watcher of `GET /events` is told: one change event per durable
// change, made from the journal entry that carried the change and the reply
// that went with it (so an event says exactly what the reply said), plus a
// figures event once a second. The SSE framing is net/event_hub.hpp's; this
// is the vocabulary (type and JSON data), shared by the actors that publish
// and the tests that read it.

#include "fridgebank/protocol/journal.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fridgebank {

/// One event: its SSE `event:` name and its `data:` (one line of JSON).
///
///   fridge {"change":"created|drink|load|stopped","name":..,"drinksLeftInFridge":..,"stopped":..}
///   account   {"id":..,"balance":..}                   (opened, deposit, withdraw)
///   transfer  {"from":{"id":..,"balance":..},"to":{"id":..,"balance":..}}
///   bank      {"stopped":true}
struct change_event {
  std::string type;
  std::string data;
};

/// The event a committed `entry` makes with the reply it carried; none when
/// it changed nothing (a read, a drink that took nothing, a stored key).
std::optional<change_event> event_of(const journal_entry& entry, const fridge_result& reply);
std::optional<change_event> event_of(const journal_entry& entry, const fridge_state& reply);
std::optional<change_event> event_of(const journal_entry& entry, const account& reply);
std::optional<change_event> event_of(const journal_entry& entry, const transfer_result& reply);
std::optional<change_event> event_of(const journal_entry& entry, const ledger_snapshot& reply);

/// The `metrics` event, once a second while anyone watches.
struct live_figures {
  double requests_per_second = 0;
  double p50_ms = 0; // over the last few seconds; 0 when nothing was served
  double p99_ms = 0;
  std::int64_t open_connections = 0;
  std::int64_t event_streams = 0;
  std::uint64_t event_streams_dropped = 0; // since the start, for reading too slowly
  std::uint64_t fridges = 0;               // fridge actors, stopped ones included
  std::optional<std::int64_t> total;       // the ledger total, when the bank answered
  double commits_per_second = 0;           // journal transactions (0 in memory)
};

std::string encode(const live_figures& x);

/// Where the actors tell of their changes, once they are durable (in
/// memory: once made). The journal publishes after a commit, in commit
/// order, so a watcher never sees what a crash could undo; a rolled-back
/// batch publishes nothing. The server's sink is net/event_hub.hpp; an
/// embedding program may give its own (actor_set_options::events), or none.
class event_sink {
public:
  virtual ~event_sink() = default;

  /// Whether anyone wants events now. When not, publishers build none and
  /// call `skipped` instead (an event costs a JSON encoding per change).
  virtual bool wanted() const = 0;

  /// A change happened that was not published (see `wanted`).
  virtual void skipped() = 0;

  /// A durable change. Called from the publishing actor's thread: must not
  /// block and must be thread-safe.
  virtual void publish(change_event event) = 0;
};

/// A stream-level event's data: `{"reason":..}` (`reset`, `dropped`, `shutdown`).
std::string encode_reason(std::string_view reason);

} // namespace fridgebank
