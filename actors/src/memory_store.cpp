#include "fridgebank/actors/store.hpp"

namespace fridgebank {

namespace {

/// Keeps nothing: with `--in-memory` the journal only remembers
/// Idempotency-Keys, and they live as long as the process.
class memory_store final : public store {
public:
  caf::expected<durable_state> load() override { return durable_state{}; }

  caf::error commit(const std::vector<const journal_entry*>&) override { return {}; }
};

} // namespace

std::unique_ptr<store> make_memory_store() {
  return std::make_unique<memory_store>();
}

} // namespace fridgebank
