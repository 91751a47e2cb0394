// The journal's side of Idempotency-Key: who may execute a keyed request,
// and what a retry gets back. The durable half (keys across kill -9) is in
// durability_test.cpp.

#include "actor_fixture.hpp"
#include "fridgebank/actors/journal.hpp"
#include "fridgebank/actors/store.hpp"
#include "fridgebank/protocol/codec.hpp"
#include "fridgebank/protocol/idempotency.hpp"

#include <doctest/doctest.h>
#include <iostream>

using namespace fridgebank;
using fridgebank::test::actor_fixture;
using fridgebank::test::code_of;

namespace {

/// Keeps nothing, and fails every commit while `broken` is set.
struct switchable_store final : store {
  bool broken = false;
  caf::expected<durable_state> load() override { return durable_state{}; }
  caf::error commit(const std::vector<const journal_entry*>&) override {
    if (broken)
      return make_error(error_code::internal, "disk full (simulated)");
    return {};
  }
};

/// A claim for `key` on a request whose body is `body`.
idempotency_record claim_of(std::string key, std::string_view body) {
  idempotency_record claim;
  claim.key = std::move(key);
  claim.fingerprint = idempotency::fingerprint("POST", "/fridges/a/drink", body);
  claim.status = 200; // the route's success status
  return claim;
}

struct journal_fixture : actor_fixture {
  std::shared_ptr<switchable_store> db = std::make_shared<switchable_store>();
  journal_actor j = sys.spawn(journal, db, std::vector<idempotency_record>{}, nullptr,
                              std::vector<sync_lane_actor>{});

  std::uint8_t claim(const std::string& key, const std::string& fingerprint) {
    auto verdict = ask<idempotency_verdict>(j, claim_atom::value, claim_of(key, fingerprint));
    REQUIRE(verdict);
    return verdict->kind;
  }

  idempotency_verdict replayed(const std::string& key, const std::string& fingerprint) {
    auto verdict = ask<idempotency_verdict>(j, claim_atom::value, claim_of(key, fingerprint));
    REQUIRE(verdict);
    REQUIRE(verdict->kind == idempotency_verdict::replay);
    return *verdict;
  }
};

} // namespace

TEST_CASE_FIXTURE(journal_fixture, "a key is claimed once; its effect's reply is stored with it") {
  CHECK(claim("k", "POST /fridges/a/drink\n{1}") == idempotency_verdict::fresh);
  // Until the first request is answered, a retry must wait.
  CHECK(claim("k", "POST /fridges/a/drink\n{1}") == idempotency_verdict::in_progress);
  CHECK(claim("k", "POST /fridges/a/drink\n{2}") == idempotency_verdict::reused);
  // The claimant's commit carries the key into the same transaction.
  auto committed = ask<fridge_result>(j, commit_atom::value, journal_entry{}, fridge_result{1, 3});
  REQUIRE(committed);
  auto first = replayed("k", "POST /fridges/a/drink\n{1}");
  CHECK(first.record.status == 200);
  CHECK(first.record.body == codec::encode(fridge_result{1, 3}));
  CHECK(claim("k", "POST /fridges/a/drink\n{2}") == idempotency_verdict::reused);
  // Another sender's commit does not take a key it never claimed.
  CHECK(claim("other", "x") == idempotency_verdict::fresh);
  caf::scoped_actor stranger{sys};
  auto pending =
      stranger->request(j, caf::infinite, commit_atom::value, journal_entry{}, fridge_result{0, 3});
  sched.run();
  pending.receive([](const fridge_result&) {}, [](caf::error&) { FAIL("commit refused"); });
  CHECK(claim("other", "x") == idempotency_verdict::in_progress);
}

TEST_CASE_FIXTURE(journal_fixture,
                  "a refusal is remembered; an outcome-less failure is forgotten") {
  CHECK(claim("refused", "f") == idempotency_verdict::fresh);
  auto refusal = claim_of("refused", "f");
  refusal.status = 409;
  refusal.body = codec::encode_error("insufficient_funds", "no", 3);
  CHECK(ask<bool>(j, remember_atom::value, refusal));
  auto again = replayed("refused", "f");
  CHECK(again.record.status == 409);
  CHECK(again.record.body == refusal.body);

  CHECK(claim("lost", "f") == idempotency_verdict::fresh);
  self->send(j, forget_atom::value, std::string{"lost"});
  sched.run();
  CHECK(claim("lost", "f") == idempotency_verdict::fresh); // a retry executes
}

TEST_CASE_FIXTURE(journal_fixture, "a failed commit releases the key it carried") {
  CHECK(claim("k", "f") == idempotency_verdict::fresh);
  db->broken = true;
  auto failed = ask<fridge_result>(j, commit_atom::value, journal_entry{}, fridge_result{1, 3});
  CHECK(code_of(failed) == "internal");
  db->broken = false;
  // Nothing happened, so the retry runs the request, not a replay of an error.
  CHECK(claim("k", "f") == idempotency_verdict::fresh);
}

TEST_CASE_FIXTURE(actor_fixture, "after its pill the journal commits nothing, and every pill is "
                                 "answered once its lanes have stopped") {
  auto db = std::make_shared<switchable_store>();
  std::vector<sync_lane_actor> lanes;
  for (std::size_t lane = 1; lane <= sync_lanes; ++lane)
    lanes.push_back(sys.spawn(sync_lane, db, lane));
  journal_actor j = sys.spawn(journal, db, std::vector<idempotency_record>{}, nullptr, lanes);
  // A write before the pill is committed and answered; one after it is refused.
  auto before =
      self->request(j, caf::infinite, commit_atom::value, journal_entry{}, fridge_result{1, 3});
  caf::scoped_actor first{sys}, second{sys}, late{sys};
  auto stopped = first->request(j, caf::infinite, stop_atom::value);
  journal_entry write;
  write.fridges.push_back({"a", 2, false});
  auto after = late->request(j, caf::infinite, commit_atom::value, write, fridge_result{1, 2});
  auto again = second->request(j, caf::infinite, stop_atom::value);
  sched.run();
  before.receive([](const fridge_result& r) { CHECK(r.drinks_left_in_fridge == 3); },
                 [](caf::error&) { FAIL("the write before the pill was refused"); });
  after.receive([](const fridge_result&) { FAIL("a write after the pill was committed"); },
                [](caf::error& err) { CHECK(code_of(err) == error_code::unavailable); });
  journal_stats one, two;
  stopped.receive([&](const journal_stats& s) { one = s; }, [](caf::error&) { FAIL("no answer"); });
  again.receive([&](const journal_stats& s) { two = s; }, [](caf::error&) { FAIL("no answer"); });
  CHECK(one.commits == two.commits);
  // The lanes are gone: nothing holds the database any more.
  CHECK(db.use_count() == 1);
}

namespace {

/// Commits everything, and every fsync fails (an I/O error).
struct failing_sync_store final : store {
  caf::expected<durable_state> load() override { return durable_state{}; }
  caf::error commit(const std::vector<const journal_entry*>&) override { return {}; }
  caf::error sync(std::size_t) override {
    return make_error(error_code::internal, "fdatasync: Input/output error (simulated)");
  }
};

} // namespace

TEST_CASE_FIXTURE(actor_fixture, "a failed fsync: the outcome is unknown, the key stays claimed, "
                                 "and every later request is refused") {
  auto* quiet = std::cerr.rdbuf(nullptr); // the journal reports the failure on stderr
  journal_actor j =
      sys.spawn(journal, std::make_shared<failing_sync_store>(), std::vector<idempotency_record>{},
                nullptr, std::vector<sync_lane_actor>{});
  auto claim = [&] {
    auto verdict = ask<idempotency_verdict>(j, claim_atom::value, claim_of("k", "{1}"));
    REQUIRE(verdict);
    return verdict->kind;
  };
  CHECK(claim() == idempotency_verdict::fresh);
  journal_entry write;
  write.fridges.push_back({"a", 2, false});
  auto first = ask<fridge_result>(j, commit_atom::value, write, fridge_result{1, 2});
  CHECK(code_of(first) == "timeout"); // may or may not be on disk: not "changed nothing"
  CHECK(claim() == idempotency_verdict::in_progress); // a retry must not run it again
  CHECK(code_of(ask<fridge_result>(j, commit_atom::value, write, fridge_result{1, 2})) ==
        "unavailable");
  CHECK(code_of(ask<fridge_state>(j, commit_atom::value, journal_entry{}, fridge_state{})) ==
        "unavailable"); // reads too: the state may be ahead of the disk
  std::cerr.rdbuf(quiet);
}
