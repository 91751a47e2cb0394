// Idempotency-Key under timeouts, with CAF's deterministic scheduler: the
// commit is held back (its actor is not run) past the client's deadline,
// and every retry in that window is shown not to execute again.

#include "actor_fixture.hpp"
#include "fridgebank/actors/bank.hpp"
#include "fridgebank/actors/journal.hpp"
#include "fridgebank/actors/store.hpp"
#include "fridgebank/net/error_reply.hpp"
#include "fridgebank/protocol/idempotency.hpp"

#include <caf/actor_cast.hpp>
#include <caf/resumable.hpp>
#include <doctest/doctest.h>

using namespace fridgebank;
using fridgebank::test::actor_fixture;

namespace {

/// Keeps every committed entry, so a test can count effects.
struct recording_store final : store {
  std::vector<journal_entry> committed;
  caf::expected<durable_state> load() override { return durable_state{}; }
  caf::error commit(const std::vector<const journal_entry*>& batch) override {
    for (const auto* e : batch)
      committed.push_back(*e);
    return {};
  }
};

constexpr auto reply_timeout = std::chrono::seconds{1};

struct keyed_deposits : actor_fixture {
  std::shared_ptr<recording_store> db = std::make_shared<recording_store>();
  journal_actor j = sys.spawn(journal, db, std::vector<idempotency_record>{});
  bank_actor b = sys.spawn(journaled_bank, durable_state{}, journal_link{j, 0});
  std::vector<idempotency::outcome> answers;

  keyed_deposits() { REQUIRE(ask<account>(b, open_atom::value, std::string{"acct"})); }

  /// One keyed `POST /accounts/acct/deposit {"amount":1}`, as the front end sends it.
  void deposit_with_key(const std::string& key) {
    idempotency_record claim;
    claim.key = key;
    claim.fingerprint =
        idempotency::fingerprint("POST", "/accounts/acct/deposit", R"({"amount":1})");
    claim.status = 200;
    idempotency::settings how;
    how.reply_timeout = reply_timeout;
    how.encode_error = [](const caf::error& err) {
      auto res = net::error_reply(err);
      return std::make_pair(static_cast<std::uint16_t>(res.result_int()), res.body());
    };
    how.answer = [this](idempotency::outcome o) { answers.push_back(std::move(o)); };
    auto keys = j;
    auto bank = b;
    sys.spawn([=](caf::event_based_actor* spawner) {
      idempotency::run_once<account>(spawner, keys, claim, how, bank, deposit_atom::value,
                                     std::string{"acct"}, std::int64_t{1});
    });
  }

  /// Runs every actor but `held` until nothing else can run.
  template <class Handle> void run_all_but(const Handle& held) {
    auto* ptr = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(held));
    sched.run_jobs_filtered([ptr](caf::resumable* job) { return job != ptr; });
  }

  std::string last_code() const {
    REQUIRE(!answers.empty());
    const auto& o = answers.back();
    return o.error ? std::string{api_code(fridgebank::code_of(o.error))} : std::to_string(o.status);
  }

  std::size_t deposits_committed() const {
    std::size_t n = 0;
    for (const auto& e : db->committed)
      n += e.accounts.size();
    return n - 1; // the opening
  }
};

} // namespace

TEST_CASE_FIXTURE(keyed_deposits,
                  "a commit delayed past the client's deadline: retries wait, then replay") {
  deposit_with_key("k");
  run_all_but(b); // claimed, the deposit waits in the bank's mailbox
  run_all_but(j); // the bank took it; its commit waits in the journal's mailbox
  sched.advance_time(reply_timeout);
  run_all_but(j);
  REQUIRE(answers.size() == 1);
  CHECK(last_code() == "timeout"); // the client is told; the claimant stays to settle

  // The retry arrives while the commit has not happened: it must not run.
  deposit_with_key("k");
  run_all_but(j);
  sched.run(); // the journal now commits, and answers the retry's claim
  REQUIRE(answers.size() == 2);
  CHECK(last_code() == "conflict"); // in progress, not executed

  deposit_with_key("k");
  sched.run();
  REQUIRE(answers.size() == 3);
  CHECK(last_code() == "200");
  CHECK(answers.back().replayed);
  CHECK(answers.back().body == R"({"id":"acct","balance":1})");
  CHECK(deposits_committed() == 1);
  CHECK(ask<account>(b, balance_atom::value, std::string{"acct"})->balance == 1);
}

TEST_CASE_FIXTURE(keyed_deposits, "a client that gave up before its claim was answered: "
                                  "nothing runs, and the key is free for the retry") {
  deposit_with_key("k");
  run_all_but(j); // the claim waits in the journal's mailbox
  sched.advance_time(reply_timeout);
  run_all_but(j);
  REQUIRE(answers.size() == 1);
  CHECK(last_code() == "timeout");
  sched.run(); // the claim is granted, and released at once
  CHECK(deposits_committed() == 0);

  deposit_with_key("k");
  sched.run();
  REQUIRE(answers.size() == 2);
  CHECK(last_code() == "200");
  CHECK_FALSE(answers.back().replayed);
  CHECK(deposits_committed() == 1);
}

TEST_CASE_FIXTURE(actor_fixture,
                  "key_table: only a definite outcome frees a key, and only its claimant's word") {
  caf::scoped_actor first{sys}, second{sys}, third{sys};
  auto claim = [](const std::string& body) {
    idempotency_record r;
    r.key = "k";
    r.fingerprint = idempotency::fingerprint("POST", "/x", body);
    return r;
  };
  idempotency::key_table keys;
  CHECK(keys.claim(claim("{}"), first->address()).kind == idempotency_verdict::fresh);
  CHECK(keys.claim(claim("{}"), second->address()).kind == idempotency_verdict::in_progress);
  CHECK(keys.claim(claim("{ }"), second->address()).kind == idempotency_verdict::reused);
  // The first claimant's commit carried the key and failed: nothing happened.
  auto carried = keys.take_claim_of(first->address());
  REQUIRE(carried);
  keys.release(carried->key);
  CHECK(keys.claim(claim("{}"), second->address()).kind == idempotency_verdict::fresh);
  // The first claimant, told of its failure, releases "its" key: not any more.
  keys.release_by(first->address(), "k");
  CHECK(keys.claim(claim("{}"), third->address()).kind == idempotency_verdict::in_progress);
  // The second's effect lands with the key: every retry replays it.
  auto mine = keys.take_claim_of(second->address());
  REQUIRE(mine);
  mine->body = "reply";
  keys.answered(*mine);
  auto replay = keys.claim(claim("{}"), third->address());
  CHECK(replay.kind == idempotency_verdict::replay);
  CHECK(replay.record.body == "reply");
  CHECK(keys.claimed_count() == 0);
}
