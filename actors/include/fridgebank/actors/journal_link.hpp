#pragma once

#include "fridgebank/protocol/journal.hpp"

#include <cstdint>

namespace fridgebank {

/// Where a state-owning actor sends its effects: the journal (empty when the
/// server runs in memory only) and the journal epoch its state belongs to.
struct journal_link {
  journal_actor journal;
  std::uint64_t epoch = 0;
};

} // namespace fridgebank
