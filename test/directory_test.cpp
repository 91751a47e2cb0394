#include "actor_fixture.hpp"
#include "fridgebank/actors/directory.hpp"

#include <doctest/doctest.h>

using namespace fridgebank;
using fridgebank::test::actor_fixture;
using fridgebank::test::code_of;

TEST_CASE_FIXTURE(actor_fixture, "the directory creates, finds and lists fridges by name") {
  auto d = sys.spawn(directory);
  CHECK(*ask<fridge_state>(d, create_atom::value, new_fridge{"pantry", 4}) ==
        fridge_state{"pantry", 4, false});
  CHECK(*ask<fridge_state>(d, create_atom::value, new_fridge{"kitchen", 12}) ==
        fridge_state{"kitchen", 12, false});
  CHECK(code_of(ask<fridge_state>(d, create_atom::value, new_fridge{"kitchen", 1})) == "conflict");
  CHECK(code_of(ask<fridge_state>(d, create_atom::value, new_fridge{"bad name", 1})) ==
        "bad_request");
  CHECK(code_of(ask<fridge_state>(d, create_atom::value, new_fridge{"neg", -1})) == "bad_request");
  CHECK(*ask<fridge_result>(d, drink_atom::value, std::string{"kitchen"}, drink_request{5, 0}) ==
        fridge_result{5, 7});
  CHECK(code_of(ask<fridge_result>(d, drink_atom::value, std::string{"attic"},
                                   drink_request{1, 0})) == "not_found");
  CHECK(code_of(ask<fridge_state>(d, look_atom::value, std::string{"attic"})) == "not_found");
  auto list = ask<fridge_list>(d, list_atom::value, page_request{});
  REQUIRE(list);
  REQUIRE(list->fridges.size() == 2);
  CHECK(list->fridges[0] == fridge_state{"kitchen", 7, false});
  CHECK(list->fridges[1] == fridge_state{"pantry", 4, false});
  // The typed handle lets embedders talk to the fridge directly.
  auto handle = ask<fridge_actor>(d, find_atom::value, std::string{"pantry"});
  REQUIRE(handle);
  CHECK(*ask<fridge_result>(*handle, drink_atom::value, drink_request{-1, 0}) ==
        fridge_result{-1, 5});
  CHECK(*ask<std::size_t>(d, count_atom::value) == 2);
}

TEST_CASE_FIXTURE(actor_fixture, "stopping through the directory keeps the final state") {
  auto d = sys.spawn(directory);
  ask<fridge_state>(d, create_atom::value, new_fridge{"k", 3});
  auto before =
      self->request(d, caf::infinite, drink_atom::value, std::string{"k"}, drink_request{1, 0});
  auto pill = self->request(d, caf::infinite, stop_atom::value, std::string{"k"});
  auto look = self->request(d, caf::infinite, look_atom::value, std::string{"k"});
  auto after =
      self->request(d, caf::infinite, drink_atom::value, std::string{"k"}, drink_request{1, 0});
  sched.run();
  before.receive(
      [](const fridge_result& r) {
        CHECK(r == fridge_result{1, 2});
      },
      [](caf::error&) { FAIL("served before the pill"); });
  pill.receive(
      [](const fridge_state& s) {
        CHECK(s == fridge_state{"k", 2, true});
      },
      [](caf::error&) { FAIL("the pill is answered"); });
  look.receive(
      [](const fridge_state& s) {
        CHECK(s == fridge_state{"k", 2, true});
      },
      [](caf::error&) { FAIL("a stopping fridge can be looked at"); });
  after.receive([](const fridge_result&) { FAIL("refused after the pill"); },
                [](caf::error& err) { CHECK(fridgebank::code_of(err) == error_code::stopped); });
  CHECK(*ask<fridge_state>(d, stop_atom::value, std::string{"k"}) == fridge_state{"k", 2, true});
  CHECK(*ask<fridge_state>(d, look_atom::value, std::string{"k"}) == fridge_state{"k", 2, true});
  CHECK(code_of(ask<fridge_actor>(d, find_atom::value, std::string{"k"})) == "stopped");
  CHECK(ask<fridge_list>(d, list_atom::value, page_request{})->fridges.at(0).stopped);
  CHECK(*ask<std::size_t>(d, count_atom::value) == 0);
  CHECK(code_of(ask<fridge_state>(d, create_atom::value, new_fridge{"k", 1})) == "conflict");
}

TEST_CASE_FIXTURE(actor_fixture,
                  "drain lets every fridge serve its queue, then the directory ends") {
  auto d = sys.spawn(directory);
  for (auto name : {"a", "b", "c"})
    ask<fridge_state>(d, create_atom::value, new_fridge{name, 1});
  auto a = ask<fridge_actor>(d, find_atom::value, std::string{"a"});
  REQUIRE(a);
  ask<fridge_state>(d, stop_atom::value, std::string{"b"});
  // A drink queued before the drain is served: the drain comes after it.
  auto queued = self->request(*a, caf::infinite, drink_atom::value, drink_request{1, 0});
  CHECK(*ask<std::size_t>(d, drain_atom::value) == 2); // b was retired before: no actor
  queued.receive(
      [](const fridge_result& r) {
        CHECK(r == fridge_result{1, 0});
      },
      [](caf::error&) { FAIL("served before the drain"); });
  // Then the directory is gone, and its fridges with it (also the ones held
  // elsewhere): a request is refused, not left hanging.
  CHECK(code_of(ask<fridge_list>(d, list_atom::value, page_request{})) == "unavailable");
  CHECK(code_of(ask<fridge_state>(*a, look_atom::value)) == "unavailable");
}

TEST_CASE_FIXTURE(actor_fixture, "drain with no fridges ends the directory at once") {
  auto d = sys.spawn(directory);
  CHECK(*ask<std::size_t>(d, drain_atom::value) == 0);
  CHECK(code_of(ask<std::size_t>(d, count_atom::value)) == "unavailable");
}

TEST_CASE_FIXTURE(actor_fixture, "a list stays whole when a fridge it has yet to ask is stopped") {
  auto d = sys.spawn(directory);
  constexpr int count = 300; // more than the directory asks at once
  auto name_of = [](int i) {
    auto digits = std::to_string(i);
    return "f" + std::string(3 - digits.size(), '0') + digits;
  };
  for (int i = 0; i < count; ++i)
    ask<fridge_state>(d, create_atom::value, new_fridge{name_of(i), 1});
  // The stop arrives while the list is under way: the last fridge's turn to
  // be asked comes after its pill.
  auto list = self->request(d, caf::infinite, list_atom::value, page_request{});
  auto pill = self->request(d, caf::infinite, stop_atom::value, name_of(count - 1));
  sched.run();
  list.receive(
      [&](const fridge_list& l) {
        REQUIRE(l.fridges.size() == count);
        CHECK(l.fridges.front() == fridge_state{name_of(0), 1, false});
        CHECK(l.fridges.back() == fridge_state{name_of(count - 1), 1, true});
      },
      [](caf::error& err) { FAIL("the list failed: " << caf::to_string(err)); });
  pill.receive([](const fridge_state& s) { CHECK(s.stopped); },
               [](caf::error&) { FAIL("the pill is answered"); });
}
