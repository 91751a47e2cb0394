// Shutting the process down is not a pill (API.md v1.1): draining the actor
// set journals nothing about "stopped", and a set restored from what was
// committed serves every route again. Only the pills retire.

#include "actor_fixture.hpp"
#include "fridgebank/actors/bank.hpp"
#include "fridgebank/actors/directory.hpp"
#include "fridgebank/actors/journal.hpp"
#include "fridgebank/actors/store.hpp"

#include <doctest/doctest.h>
#include <map>

using namespace fridgebank;
using fridgebank::test::actor_fixture;
using fridgebank::test::code_of;

namespace {

/// What a database would hold: the last record of every row.
struct table_store final : store {
  std::map<std::string, fridge_record> fridges;
  std::map<std::string, account_record> accounts;
  bool bank_stopped = false;
  caf::expected<durable_state> load() override {
    durable_state s;
    for (auto& [_, f] : fridges)
      s.fridges.push_back(f);
    for (auto& [_, a] : accounts)
      s.accounts.push_back(a);
    s.bank_stopped = bank_stopped;
    return s;
  }
  caf::error commit(const std::vector<const journal_entry*>& batch) override {
    for (const auto* e : batch) {
      for (const auto& f : e->fridges)
        fridges[f.name] = f;
      for (const auto& a : e->accounts)
        accounts[a.id] = a;
      bank_stopped = bank_stopped || e->bank_stopped;
    }
    return {};
  }
};

struct process_life : actor_fixture {
  std::shared_ptr<table_store> db = std::make_shared<table_store>();
  journal_actor j;
  directory_actor d;
  bank_actor b;

  void start() {
    auto durable = db->load();
    j = sys.spawn(journal, db, std::vector<idempotency_record>{}, nullptr,
                  std::vector<sync_lane_actor>{});
    d = sys.spawn(journaled_directory, *durable, journal_link{j, 0, nullptr}, default_max_entries);
    b = sys.spawn(journaled_bank, *durable, journal_link{j, 0, nullptr}, default_max_entries);
  }

  /// What the server does on SIGTERM, in the same order.
  void drain() {
    CHECK(ask<std::size_t>(d, drain_atom::value));
    CHECK(ask<bool>(b, drain_atom::value));
    CHECK(ask<journal_stats>(j, stop_atom::value));
    j = nullptr, d = nullptr, b = nullptr;
  }
};

} // namespace

TEST_CASE_FIXTURE(process_life, "a drained set comes back live; the pills' retirements stay") {
  start();
  REQUIRE(ask<fridge_state>(d, create_atom::value, new_fridge{"kitchen", 5}));
  REQUIRE(ask<fridge_state>(d, create_atom::value, new_fridge{"retired", 2}));
  REQUIRE(ask<fridge_state>(d, stop_atom::value, std::string{"retired"}));
  REQUIRE(ask<account>(b, open_atom::value, std::string{"alice"}));
  REQUIRE(ask<account>(b, deposit_atom::value, std::string{"alice"}, std::int64_t{7}));
  // Queued right before the drain: served, and durable.
  auto queued = self->request(d, caf::infinite, drink_atom::value, std::string{"kitchen"},
                              drink_request{1, 0});
  drain();
  queued.receive(
      [](const fridge_result& r) {
        CHECK(r == fridge_result{1, 4});
      },
      [](caf::error&) { FAIL("queued before the drain: served"); });
  CHECK_FALSE(db->fridges.at("kitchen").stopped);
  CHECK(db->fridges.at("retired").stopped);
  CHECK_FALSE(db->bank_stopped);

  for (int restart = 0; restart < 2; ++restart) {
    CAPTURE(restart);
    start();
    auto took =
        ask<fridge_result>(d, drink_atom::value, std::string{"kitchen"}, drink_request{1, 0});
    REQUIRE(took);
    CHECK(took->drinks_left_in_fridge == 3 - restart);
    CHECK(code_of(ask<fridge_result>(d, drink_atom::value, std::string{"retired"},
                                     drink_request{1, 0})) == "stopped");
    CHECK(ask<account>(b, deposit_atom::value, std::string{"alice"}, std::int64_t{1})->balance ==
          8 + restart);
    CHECK(*ask<std::size_t>(d, count_atom::value) == 1);
    drain();
  }
}

TEST_CASE_FIXTURE(process_life, "the bank's pill retires it across restarts; reads still answer") {
  start();
  REQUIRE(ask<account>(b, open_atom::value, std::string{"alice"}));
  REQUIRE(ask<account>(b, deposit_atom::value, std::string{"alice"}, std::int64_t{3}));
  REQUIRE(ask<ledger_snapshot>(b, stop_atom::value));
  drain();
  start();
  CHECK(code_of(ask<account>(b, deposit_atom::value, std::string{"alice"}, std::int64_t{1})) ==
        "stopped");
  CHECK(ask<account>(b, balance_atom::value, std::string{"alice"})->balance == 3);
  CHECK(ask<ledger_snapshot>(b, snapshot_atom::value)->total == 3);
  drain();
}
