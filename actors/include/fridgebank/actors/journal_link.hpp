#pragma once

#include "fridgebank/protocol/events.hpp"
#include "fridgebank/protocol/journal.hpp"

#include <cstdint>
#include <memory>

namespace fridgebank {

/// Where a state-owning actor sends its effects: the journal (empty when the
/// server runs in memory only) and the journal epoch its state belongs to.
/// Without a journal, the actor itself tells `events` (when given) of each
/// change; with one, the journal does once the change is durable.
struct journal_link {
  journal_actor journal;
  std::uint64_t epoch = 0;
  std::shared_ptr<event_sink> events = nullptr;
};

} // namespace fridgebank
