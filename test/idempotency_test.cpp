// Idempotency-Key under timeouts, with CAF's deterministic scheduler: the
// commit is held back (its actor is not run) past the client's deadline,
// and every retry in that window is shown not to execute again. The
// deadline is the front end's; here the test says when it passes.

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

/// One HTTP client as the front end sees it: answered once, by the
/// claimant or by its deadline.
struct client {
  bool waiting = true;
  std::string answer; // the API code or the status, once answered

  void give_up() {
    if (waiting)
      answer = "timeout";
    waiting = false;
  }
};

struct keyed_deposits : actor_fixture {
  std::shared_ptr<recording_store> db = std::make_shared<recording_store>();
  journal_actor j = sys.spawn(journal, db, std::vector<idempotency_record>{}, nullptr,
                              std::vector<sync_lane_actor>{});
  bank_actor b =
      sys.spawn(journaled_bank, durable_state{}, journal_link{j, 0, nullptr}, default_max_entries);
  std::vector<std::shared_ptr<client>> clients;
  idempotency::outcome last; // the last outcome a client was given

  keyed_deposits() { REQUIRE(ask<account>(b, open_atom::value, std::string{"acct"})); }

  /// One keyed `POST /accounts/acct/deposit {"amount":1}`, as the front end sends it.
  client& deposit_with_key(const std::string& key) {
    idempotency_record claim;
    claim.key = key;
    claim.fingerprint =
        idempotency::fingerprint("POST", "/accounts/acct/deposit", R"({"amount":1})");
    claim.status = 200;
    auto who = clients.emplace_back(std::make_shared<client>());
    idempotency::settings how;
    how.encode_error = [](const caf::error& err) {
      auto res = net::error_reply(err);
      return std::make_pair(static_cast<std::uint16_t>(res.result_int()), res.body());
    };
    how.answer = [this, who](idempotency::outcome o) {
      if (!who->waiting)
        return;
      who->waiting = false;
      who->answer =
          o.error ? std::string{api_code(fridgebank::code_of(o.error))} : std::to_string(o.status);
      last = std::move(o);
    };
    how.client_waiting = [who] { return who->waiting; };
    auto keys = j;
    auto bank = b;
    sys.spawn([=](caf::event_based_actor* spawner) {
      idempotency::run_once<account>(spawner, keys, claim, how, bank, deposit_atom::value,
                                     std::string{"acct"}, std::int64_t{1});
    });
    return *who;
  }

  /// Runs every actor but `held` until nothing else can run.
  template <class Handle> void run_all_but(const Handle& held) {
    auto* ptr = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(held));
    sched.run_jobs_filtered([ptr](caf::resumable* job) { return job != ptr; });
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
  auto& first = deposit_with_key("k");
  run_all_but(b); // claimed, the deposit waits in the bank's mailbox
  run_all_but(j); // the bank took it; its commit waits in the journal's mailbox
  first.give_up();
  CHECK(first.answer == "timeout"); // the claimant stays to settle the key

  // The retry arrives while the commit has not happened: it must not run.
  auto& second = deposit_with_key("k");
  run_all_but(j);
  sched.run();                        // the journal now commits, and answers the retry's claim
  CHECK(second.answer == "conflict"); // in progress, not executed

  auto& third = deposit_with_key("k");
  sched.run();
  CHECK(third.answer == "200");
  CHECK(last.replayed);
  CHECK(last.body == R"({"id":"acct","balance":1})");
  CHECK(deposits_committed() == 1);
  CHECK(ask<account>(b, balance_atom::value, std::string{"acct"})->balance == 1);
}

TEST_CASE_FIXTURE(keyed_deposits, "a client that gave up before its claim was answered: "
                                  "nothing runs, and the key is free for the retry") {
  auto& first = deposit_with_key("k");
  run_all_but(j); // the claim waits in the journal's mailbox
  first.give_up();
  sched.run(); // the claim is granted, and released at once
  CHECK(first.answer == "timeout");
  CHECK(deposits_committed() == 0);

  auto& retry = deposit_with_key("k");
  sched.run();
  CHECK(retry.answer == "200");
  CHECK_FALSE(last.replayed);
  CHECK(deposits_committed() == 1);
}

TEST_CASE_FIXTURE(keyed_deposits, "a retry after the answer replays it and executes nothing") {
  auto& first = deposit_with_key("k");
  sched.run();
  CHECK(first.answer == "200");
  auto& again = deposit_with_key("k");
  sched.run();
  CHECK(again.answer == "200");
  CHECK(last.replayed);
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
