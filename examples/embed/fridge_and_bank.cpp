// Embeds a fridge and the bank in this program's own CAF system and talks to
// them only through their typed interfaces, pills included; then the whole
// durable actor set, started, shut down and started again. Exits non-zero
// when a reply is not what the API promises.

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fridgebank/actors/actor_set.hpp>
#include <fridgebank/actors/bank.hpp>
#include <fridgebank/actors/fridge.hpp>
#include <fridgebank/protocol/error_code.hpp>
#include <fridgebank/protocol/register_types.hpp>
#include <iostream>
#include <string>

namespace {

using namespace fridgebank;

int failures = 0;

void expect(bool ok, const std::string& what) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  failures += ok ? 0 : 1;
}

/// The reply to one request, or the error it got.
template <class T, class Handle, class... Ts>
caf::expected<T> ask(caf::scoped_actor& self, const Handle& dest, Ts&&... xs) {
  caf::expected<T> result{caf::error{}};
  self->request(dest, std::chrono::seconds{5}, std::forward<Ts>(xs)...)
      .receive([&](T& value) { result = std::move(value); },
               [&](caf::error& err) { result = std::move(err); });
  return result;
}

template <class T> bool refused_with(const caf::expected<T>& x, error_code code) {
  return !x && code_of(x.error()) == code;
}

} // namespace

int main() {
  caf::actor_system_config cfg;
  register_types(cfg); // all the set-up a host needs
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  // -- a fridge ---------------------------------------------------------------
  auto kitchen = sys.spawn(fridge, std::string{"kitchen"}, std::int64_t{2});
  auto took = ask<fridge_result>(self, kitchen, drink_atom::value, drink_request{3, 0});
  expect(took && *took == fridge_result{2, 0}, "asking for 3 of 2 drinks takes 2, leaves 0");
  auto loaded = ask<fridge_result>(self, kitchen, drink_atom::value, drink_request{-5, 0});
  expect(loaded && *loaded == fridge_result{-5, 5}, "loading 5 leaves 5");
  auto polite = ask<fridge_result>(self, kitchen, drink_atom::value, drink_request{10, 1});
  expect(polite && *polite == fridge_result{4, 1}, "leaveAtLeast 1 takes 4 of 5");
  auto pill = ask<fridge_state>(self, kitchen, stop_atom::value);
  expect(pill && pill->stopped && pill->drinks_left_in_fridge == 1,
         "the pill answers the final state");
  auto late = ask<fridge_result>(self, kitchen, drink_atom::value, drink_request{1, 0});
  expect(refused_with(late, error_code::stopped), "after the pill a drink is refused: stopped");

  // -- the bank ---------------------------------------------------------------
  auto ledger = sys.spawn(bank);
  ask<account>(self, ledger, open_atom::value, std::string{"alice"});
  ask<account>(self, ledger, open_atom::value, std::string{"bob"});
  auto deposited =
      ask<account>(self, ledger, deposit_atom::value, std::string{"alice"}, std::int64_t{100});
  expect(deposited && deposited->balance == 100, "alice deposits 100");
  auto moved = ask<transfer_result>(self, ledger, transfer_atom::value,
                                    transfer_request{"alice", "bob", 30});
  expect(moved && moved->from.balance == 70 && moved->to.balance == 30, "transfer 30 to bob");
  auto overdrawn =
      ask<account>(self, ledger, withdraw_atom::value, std::string{"bob"}, std::int64_t{31});
  expect(refused_with(overdrawn, error_code::insufficient_funds),
         "bob cannot withdraw 31: insufficient_funds");
  auto snapshot = ask<ledger_snapshot>(self, ledger, snapshot_atom::value);
  expect(snapshot && snapshot->total == 100 && snapshot->accounts.size() == 2,
         "a snapshot shows 2 accounts totalling 100");
  auto final_state = ask<ledger_snapshot>(self, ledger, stop_atom::value);
  expect(final_state && final_state->total == 100, "the bank's pill answers the final snapshot");
  expect(refused_with(
             ask<account>(self, ledger, deposit_atom::value, std::string{"alice"}, std::int64_t{1}),
             error_code::stopped),
         "after the pill the bank refuses a deposit: stopped");
  auto still = ask<account>(self, ledger, balance_atom::value, std::string{"alice"});
  expect(still && still->balance == 70, "after the pill the bank still answers a balance");

  // -- the whole set, on disk: shutting down is not a pill ---------------------
  char dir[] = "/tmp/fridgebank-embed-XXXXXX";
  if (::mkdtemp(dir) == nullptr)
    return 2;
  for (int life = 0; life < 2; ++life) {
    auto set = spawn_actor_set(sys, actor_set_options{std::string{dir}});
    expect(static_cast<bool>(set), "the actor set starts on " + std::string{dir});
    if (!set)
      break;
    if (life == 0) {
      ask<fridge_state>(self, set->directory, create_atom::value, new_fridge{"cellar", 3});
      ask<account>(self, set->bank, open_atom::value, std::string{"carol"});
    }
    auto sip = ask<fridge_result>(self, set->directory, drink_atom::value, std::string{"cellar"},
                                  drink_request{1, 0});
    expect(sip && sip->drinks_left_in_fridge == 2 - life,
           "life " + std::to_string(life) + ": the cellar is live and remembers its drinks");
    auto paid =
        ask<account>(self, set->bank, deposit_atom::value, std::string{"carol"}, std::int64_t{5});
    expect(paid && paid->balance == 5 * (life + 1),
           "life " + std::to_string(life) + ": carol's deposits add up");
    expect(!shutdown_actor_set(sys, *set), "the set drains and stops");
  }
  std::filesystem::remove_all(dir);

  std::cout << (failures == 0 ? "all good\n" : "failures: " + std::to_string(failures) + "\n");
  return failures == 0 ? 0 : 1;
}
