#include "actor_fixture.hpp"
#include "fridgebank/actors/fridge.hpp"
#include "fridgebank/protocol/limits.hpp"

#include <doctest/doctest.h>

using namespace fridgebank;
using fridgebank::test::actor_fixture;
using fridgebank::test::code_of;

TEST_CASE_FIXTURE(actor_fixture, "a fridge takes, loads and looks as the seed says") {
  auto f = sys.spawn(fridge, "kitchen", std::int64_t{5});
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{2, 0}) == fridge_result{2, 3});
  // A partial take is a success: take min(n, left).
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{10, 0}) == fridge_result{3, 0});
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{1, 0}) == fridge_result{0, 0});
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{-4, 0}) == fridge_result{-4, 4});
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{0, 0}) == fridge_result{0, 4});
  CHECK(*ask<fridge_state>(f, look_atom::value) == fridge_state{"kitchen", 4, false});
}

TEST_CASE_FIXTURE(actor_fixture, "leaveAtLeast takes only what leaves k drinks") {
  auto f = sys.spawn(fridge, "k", std::int64_t{5});
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{3, 4}) == fridge_result{1, 4});
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{3, 4}) == fridge_result{0, 4});
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{3, 9}) == fridge_result{0, 4});
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{2, 1}) == fridge_result{2, 2});
  // Looking with leaveAtLeast takes nothing.
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{0, 1}) == fridge_result{0, 2});
}

TEST_CASE_FIXTURE(actor_fixture, "overflow and malformed requests are refused whole") {
  auto f = sys.spawn(fridge, "k", max_safe_integer - 1);
  auto over = ask<fridge_result>(f, drink_atom::value, drink_request{-2, 0});
  CHECK(code_of(over) == "limit_exceeded");
  CHECK(*ask<fridge_result>(f, drink_atom::value, drink_request{-1, 0}) ==
        fridge_result{-1, max_safe_integer});
  CHECK(code_of(ask<fridge_result>(f, drink_atom::value, drink_request{-1, 0})) ==
        "limit_exceeded");
  CHECK(code_of(ask<fridge_result>(f, drink_atom::value, drink_request{-1, 1})) == "bad_request");
  CHECK(code_of(ask<fridge_result>(f, drink_atom::value, drink_request{1, -1})) == "bad_request");
  CHECK(code_of(ask<fridge_result>(f, drink_atom::value, drink_request{max_safe_integer + 1, 0})) ==
        "bad_request");
  // Nothing above changed the count.
  CHECK(ask<fridge_state>(f, look_atom::value)->drinks_left_in_fridge == max_safe_integer);
}

TEST_CASE("serve_drink keeps the rep invariant for every small case") {
  for (std::int64_t left = 0; left <= 6; ++left)
    for (std::int64_t n = -6; n <= 8; ++n)
      for (std::int64_t k = 0; k <= 7; ++k) {
        auto r = serve_drink(left, drink_request{n, n < 0 ? 0 : k});
        REQUIRE(r);
        CHECK(r->drinks_left_in_fridge >= 0);
        CHECK(r->drinks_left_in_fridge == left - r->drinks_taken_or_added);
        if (n > 0) {
          CHECK(r->drinks_taken_or_added <= n);
          CHECK(r->drinks_taken_or_added >= 0);
          // Never takes below k, unless the fridge already held fewer.
          CHECK(r->drinks_left_in_fridge >= std::min(left, k));
        }
      }
}

TEST_CASE_FIXTURE(actor_fixture,
                  "the pill: what came before is served, what comes after is refused") {
  auto f = sys.spawn(fridge, "k", std::int64_t{3});
  // Three requests queue up before the fridge runs at all.
  auto before = self->request(f, caf::infinite, drink_atom::value, drink_request{1, 0});
  auto pill = self->request(f, caf::infinite, stop_atom::value);
  auto after = self->request(f, caf::infinite, drink_atom::value, drink_request{1, 0});
  sched.run();
  before.receive(
      [](const fridge_result& r) {
        CHECK(r == fridge_result{1, 2});
      },
      [](caf::error&) { FAIL("the request before the pill must be served"); });
  pill.receive(
      [](const fridge_state& s) {
        CHECK(s == fridge_state{"k", 2, true});
      },
      [](caf::error&) { FAIL("the pill must be answered"); });
  after.receive([](const fridge_result&) { FAIL("a drink after the pill must be refused"); },
                [](caf::error& err) { CHECK(fridgebank::code_of(err) == error_code::stopped); });
  // The final state stays visible and a second pill is harmless.
  CHECK(*ask<fridge_state>(f, look_atom::value) == fridge_state{"k", 2, true});
  CHECK(*ask<fridge_state>(f, stop_atom::value) == fridge_state{"k", 2, true});
  CHECK(code_of(ask<fridge_result>(f, drink_atom::value, drink_request{-1, 0})) == "stopped");
}

TEST_CASE_FIXTURE(actor_fixture, "a fridge that would start broken never starts") {
  auto f = sys.spawn(fridge, "k", std::int64_t{-1});
  CHECK(code_of(ask<fridge_state>(f, look_atom::value)) != "none");
}
