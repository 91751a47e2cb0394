#include "actor_fixture.hpp"
#include "fridgebank/actors/bank.hpp"
#include "fridgebank/protocol/limits.hpp"

#include <doctest/doctest.h>
#include <map>
#include <random>
#include <string>

using namespace fridgebank;
using fridgebank::test::actor_fixture;
using fridgebank::test::code_of;

TEST_CASE_FIXTURE(actor_fixture, "accounts: open, deposit, withdraw, balance") {
  auto b = sys.spawn(bank);
  CHECK(*ask<account>(b, open_atom::value, std::string{"alice"}) == account{"alice", 0});
  CHECK(code_of(ask<account>(b, open_atom::value, std::string{"alice"})) == "conflict");
  CHECK(code_of(ask<account>(b, open_atom::value, std::string{"no way"})) == "bad_request");
  CHECK(*ask<account>(b, deposit_atom::value, std::string{"alice"}, std::int64_t{10}) ==
        account{"alice", 10});
  CHECK(*ask<account>(b, withdraw_atom::value, std::string{"alice"}, std::int64_t{4}) ==
        account{"alice", 6});
  auto short_of_money =
      ask<account>(b, withdraw_atom::value, std::string{"alice"}, std::int64_t{7});
  REQUIRE(code_of(short_of_money) == "insufficient_funds");
  CHECK(value_of(short_of_money.error()) == 6); // the unchanged balance travels with the error
  CHECK(code_of(ask<account>(b, deposit_atom::value, std::string{"alice"}, std::int64_t{0})) ==
        "bad_request");
  CHECK(code_of(ask<account>(b, balance_atom::value, std::string{"bob"})) == "not_found");
  CHECK(*ask<account>(b, balance_atom::value, std::string{"alice"}) == account{"alice", 6});
}

TEST_CASE_FIXTURE(actor_fixture, "transfers are all or nothing") {
  auto b = sys.spawn(bank);
  ask<account>(b, open_atom::value, std::string{"a"});
  ask<account>(b, open_atom::value, std::string{"b"});
  ask<account>(b, deposit_atom::value, std::string{"a"}, std::int64_t{5});
  auto moved = ask<transfer_result>(b, transfer_atom::value, transfer_request{"a", "b", 3});
  REQUIRE(moved);
  CHECK(moved->from == account{"a", 2});
  CHECK(moved->to == account{"b", 3});
  CHECK(code_of(ask<transfer_result>(b, transfer_atom::value, transfer_request{"a", "b", 3})) ==
        "insufficient_funds");
  CHECK(code_of(ask<transfer_result>(b, transfer_atom::value, transfer_request{"a", "zed", 1})) ==
        "not_found");
  CHECK(code_of(ask<transfer_result>(b, transfer_atom::value, transfer_request{"a", "a", 1})) ==
        "bad_request");
  // Crediting past 2^53-1 refuses the whole transfer: the debit does not happen either.
  ask<account>(b, open_atom::value, std::string{"full"});
  ask<account>(b, withdraw_atom::value, std::string{"b"}, std::int64_t{3});
  auto total = ask<ledger_snapshot>(b, snapshot_atom::value)->total;
  CHECK(total == 2);
  auto snap = ask<ledger_snapshot>(b, snapshot_atom::value);
  CHECK(snap->accounts.size() == 3);
  CHECK(snap->accounts[0].id == "a"); // sorted by id
}

TEST_CASE_FIXTURE(actor_fixture, "no balance and no total ever exceeds 2^53-1") {
  auto b = sys.spawn(bank);
  ask<account>(b, open_atom::value, std::string{"x"});
  ask<account>(b, open_atom::value, std::string{"y"});
  CHECK(ask<account>(b, deposit_atom::value, std::string{"x"}, max_safe_integer));
  CHECK(code_of(ask<account>(b, deposit_atom::value, std::string{"y"}, std::int64_t{1})) ==
        "limit_exceeded");
  CHECK(ask<ledger_snapshot>(b, snapshot_atom::value)->total == max_safe_integer);
  CHECK(*ask<account>(b, balance_atom::value, std::string{"y"}) == account{"y", 0});
}

TEST_CASE_FIXTURE(
    actor_fixture,
    "the bank's pill: queued requests are served, later changes refused, reads answer") {
  auto b = sys.spawn(bank);
  auto open = self->request(b, caf::infinite, open_atom::value, std::string{"a"});
  auto pill = self->request(b, caf::infinite, stop_atom::value);
  auto late =
      self->request(b, caf::infinite, deposit_atom::value, std::string{"a"}, std::int64_t{1});
  sched.run();
  open.receive(
      [](const account& a) {
        CHECK(a == account{"a", 0});
      },
      [](caf::error&) { FAIL("queued before the pill: must be served"); });
  pill.receive([](const ledger_snapshot& s) { CHECK(s.accounts.size() == 1); },
               [](caf::error&) { FAIL("the pill must be answered"); });
  late.receive([](const account&) { FAIL("after the pill: must be refused"); },
               [](caf::error& err) { CHECK(fridgebank::code_of(err) == error_code::stopped); });
  // API.md v1.1: a retired bank still answers reads.
  CHECK(ask<ledger_snapshot>(b, snapshot_atom::value)->accounts.size() == 1);
  CHECK(*ask<account>(b, balance_atom::value, std::string{"a"}) == account{"a", 0});
  CHECK(code_of(ask<account>(b, balance_atom::value, std::string{"zz"})) == "not_found");
  for (auto refused :
       {code_of(ask<account>(b, open_atom::value, std::string{"n"})),
        code_of(ask<account>(b, withdraw_atom::value, std::string{"a"}, std::int64_t{1})),
        code_of(ask<transfer_result>(b, transfer_atom::value, transfer_request{"a", "n", 1}))})
    CHECK(refused == "stopped");
  CHECK(ask<ledger_snapshot>(b, stop_atom::value)->accounts.size() == 1);
  CHECK(*ask<std::size_t>(b, count_atom::value) == 1);
}

TEST_CASE_FIXTURE(actor_fixture, "thousands of random operations keep the books") {
  auto b = sys.spawn(bank);
  std::mt19937_64 rng{20261122};
  const std::vector<std::string> ids{"a", "b", "c", "d", "e", "f"};
  std::map<std::string, std::int64_t> model; // what the ledger must hold
  std::int64_t deposited = 0, withdrawn = 0;
  auto pick = [&](const auto& v) { return v[rng() % v.size()]; };
  auto amount = [&] { return static_cast<std::int64_t>(rng() % 50) + 1; };
  std::size_t snapshots = 0;
  for (int i = 0; i < 4000; ++i) {
    switch (rng() % 6) {
    case 0: {
      auto id = pick(ids);
      auto r = ask<account>(b, open_atom::value, id);
      CHECK(bool(r) == !model.count(id));
      model.emplace(id, 0);
      break;
    }
    case 1: {
      auto id = pick(ids);
      auto x = amount();
      auto r = ask<account>(b, deposit_atom::value, id, x);
      REQUIRE(bool(r) == bool(model.count(id)));
      if (r) {
        model[id] += x, deposited += x;
        CHECK(r->balance == model[id]);
      }
      break;
    }
    case 2: {
      auto id = pick(ids);
      auto x = amount();
      auto r = ask<account>(b, withdraw_atom::value, id, x);
      bool can = model.count(id) && model[id] >= x;
      REQUIRE(bool(r) == can);
      if (r)
        model[id] -= x, withdrawn += x;
      break;
    }
    case 3:
    case 4: {
      auto from = pick(ids), to = pick(ids);
      auto x = amount();
      auto r = ask<transfer_result>(b, transfer_atom::value, transfer_request{from, to, x});
      bool can = from != to && model.count(from) && model.count(to) && model[from] >= x;
      REQUIRE(bool(r) == can);
      if (r)
        model[from] -= x, model[to] += x;
      break;
    }
    default: {
      auto snap = ask<ledger_snapshot>(b, snapshot_atom::value);
      REQUIRE(snap);
      ++snapshots;
      std::int64_t sum = 0;
      for (auto& a : snap->accounts) {
        CHECK(a.balance >= 0);
        CHECK(a.balance == model[a.id]);
        sum += a.balance;
      }
      CHECK(snap->total == sum);
      CHECK(snap->total == deposited - withdrawn);
    }
    }
  }
  CHECK(snapshots > 500);
}

TEST_CASE_FIXTURE(actor_fixture, "a page of the ledger carries the whole ledger's total") {
  auto b = sys.spawn(journaled_bank, durable_state{}, journal_link{}, std::size_t{3});
  for (std::string id : {"c", "a", "b"}) {
    REQUIRE(ask<account>(b, open_atom::value, id));
    ask<account>(b, deposit_atom::value, id, std::int64_t{id[0] - 'a' + 1}); // a 1, b 2, c 3
  }
  CHECK(code_of(ask<account>(b, open_atom::value, std::string{"d"})) == "limit_exceeded");
  CHECK(code_of(ask<account>(b, open_atom::value, std::string{"a"})) == "conflict");
  auto first = ask<ledger_snapshot>(b, snapshot_atom::value, page_request{"", 2});
  REQUIRE(first);
  CHECK(first->accounts == std::vector<account>{{"a", 1}, {"b", 2}});
  CHECK(first->total == 6);
  CHECK(first->next == "b");
  auto last = ask<ledger_snapshot>(b, snapshot_atom::value, page_request{"b", 2});
  REQUIRE(last);
  CHECK(last->accounts == std::vector<account>{{"c", 3}});
  CHECK(last->total == 6);
  CHECK(last->next.empty());
  CHECK(code_of(ask<ledger_snapshot>(b, snapshot_atom::value, page_request{"", 0})) ==
        "bad_request");
  // The pill answers the first page of the final ledger.
  auto final_page = ask<ledger_snapshot>(b, stop_atom::value);
  REQUIRE(final_page);
  CHECK(final_page->accounts.size() == 3);
  CHECK(final_page->total == 6);
}
