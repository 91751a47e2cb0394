#include "fridgebank/actors/store.hpp"

#include <thread>

namespace fridgebank {

namespace {

/// Keeps nothing: with `--in-memory` the journal only remembers
/// Idempotency-Keys, and they live as long as the process.
class memory_store final : public store {
public:
  caf::expected<durable_state> load() override { return durable_state{}; }

  caf::error commit(const std::vector<const journal_entry*>&) override { return {}; }
};

class delayed_store final : public store {
public:
  delayed_store(std::unique_ptr<store> db, std::chrono::milliseconds delay)
      : db_(std::move(db)), delay_(delay) {}
  caf::expected<durable_state> load() override { return db_->load(); }
  caf::error commit(const std::vector<const journal_entry*>& batch) override {
    std::this_thread::sleep_for(delay_); // the journal is detached: it may block
    return db_->commit(batch);
  }
  caf::error sync(std::size_t lane) override { return db_->sync(lane); }

private:
  std::unique_ptr<store> db_;
  std::chrono::milliseconds delay_;
};

} // namespace

std::unique_ptr<store> with_commit_delay(std::unique_ptr<store> db,
                                         std::chrono::milliseconds delay) {
  if (delay.count() <= 0)
    return db;
  return std::make_unique<delayed_store>(std::move(db), delay);
}

std::unique_ptr<store> make_memory_store() {
  return std::make_unique<memory_store>();
}

} // namespace fridgebank
