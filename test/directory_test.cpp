#include "actor_fixture.hpp"
#include "fridgebank/actors/directory.hpp"

#include <caf/event_based_actor.hpp>
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
  // b was retired before and c rests: neither has an actor to drain.
  CHECK(*ask<std::size_t>(d, drain_atom::value) == 1);
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
  for (int i = 0; i < count; ++i) {
    ask<fridge_state>(d, create_atom::value, new_fridge{name_of(i), 1});
    // Awake, so that the list asks its actor (a resting one is read at once).
    ask<fridge_result>(d, drink_atom::value, name_of(i), drink_request{0, 0});
  }
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

TEST_CASE_FIXTURE(actor_fixture,
                  "a fridge rests until it is needed, and reads the same either way") {
  auto d = sys.spawn(directory);
  auto running = [&] { return sys.registry().running(); };
  auto base = running();
  CHECK(*ask<fridge_state>(d, create_atom::value, new_fridge{"k", 5}) ==
        fridge_state{"k", 5, false});
  // Created, looked at and listed: still no actor.
  CHECK(*ask<fridge_state>(d, look_atom::value, std::string{"k"}) == fridge_state{"k", 5, false});
  CHECK(ask<fridge_list>(d, list_atom::value, page_request{})->fridges ==
        std::vector<fridge_state>{{"k", 5, false}});
  CHECK(running() == base);
  CHECK(*ask<std::size_t>(d, count_atom::value) == 1);
  // A drink wakes it, with the state it rested with.
  CHECK(*ask<fridge_result>(d, drink_atom::value, std::string{"k"}, drink_request{2, 0}) ==
        fridge_result{2, 3});
  CHECK(running() == base + 1);
  // One sweep finds it asked for and leaves it; the next finds it idle.
  self->send(d, rest_atom::value);
  sched.run();
  CHECK(running() == base + 1);
  self->send(d, rest_atom::value);
  sched.run();
  CHECK(running() == base);
  CHECK(*ask<fridge_state>(d, look_atom::value, std::string{"k"}) == fridge_state{"k", 3, false});
  CHECK(*ask<std::size_t>(d, count_atom::value) == 1);
  // Woken again, it goes on from there; the pill wakes a resting one too.
  CHECK(*ask<fridge_result>(d, drink_atom::value, std::string{"k"}, drink_request{-1, 0}) ==
        fridge_result{-1, 4});
  self->send(d, rest_atom::value);
  self->send(d, rest_atom::value);
  sched.run();
  CHECK(running() == base);
  CHECK(*ask<fridge_state>(d, stop_atom::value, std::string{"k"}) == fridge_state{"k", 4, true});
  CHECK(*ask<std::size_t>(d, count_atom::value) == 0);
}

TEST_CASE_FIXTURE(actor_fixture, "the directory's own timer rests an idle fridge, then sleeps") {
  auto d = sys.spawn(directory);
  auto base = sys.registry().running();
  ask<fridge_state>(d, create_atom::value, new_fridge{"k", 5});
  CHECK_FALSE(sched.has_pending_timeout()); // nothing awake: no timer
  ask<fridge_result>(d, drink_atom::value, std::string{"k"}, drink_request{1, 0});
  CHECK(sys.registry().running() == base + 1);
  REQUIRE(sched.trigger_timeout()); // the first sweep: it was asked for
  sched.run();
  CHECK(sys.registry().running() == base + 1);
  REQUIRE(sched.trigger_timeout()); // the second: nobody asked since
  sched.run();
  CHECK(sys.registry().running() == base);
  REQUIRE(sched.trigger_timeout()); // the third finds nothing awake
  sched.run();
  CHECK_FALSE(sched.has_pending_timeout());
  CHECK(*ask<fridge_state>(d, look_atom::value, std::string{"k"}) == fridge_state{"k", 4, false});
}

TEST_CASE_FIXTURE(actor_fixture,
                  "a request that comes while a fridge answers rest keeps it awake") {
  auto d = sys.spawn(directory);
  auto base = sys.registry().running();
  ask<fridge_state>(d, create_atom::value, new_fridge{"k", 5});
  ask<fridge_result>(d, drink_atom::value, std::string{"k"}, drink_request{0, 0});
  self->send(d, rest_atom::value); // leaves it awake (it was asked for)
  self->send(d, rest_atom::value); // asks its actor for its state
  // All reach the directory before the actor's answer does; none waits.
  auto take =
      self->request(d, caf::infinite, drink_atom::value, std::string{"k"}, drink_request{2, 0});
  auto list = self->request(d, caf::infinite, list_atom::value, page_request{});
  auto look = self->request(d, caf::infinite, look_atom::value, std::string{"k"});
  sched.run();
  auto fail = [](caf::error& err) { FAIL("refused: " << caf::to_string(err)); };
  take.receive([](const fridge_result& r) { CHECK(r == fridge_result{2, 3}); }, fail);
  list.receive(
      [](const fridge_list& l) {
        CHECK(l.fridges == std::vector<fridge_state>{{"k", 3, false}});
      },
      fail);
  look.receive([](const fridge_state& s) { CHECK(s == fridge_state{"k", 3, false}); }, fail);
  CHECK(sys.registry().running() == base + 1); // the drink kept it awake
  // The same with the pill: served in order, the drink after it refused.
  self->send(d, rest_atom::value);
  self->send(d, rest_atom::value);
  auto pill = self->request(d, caf::infinite, stop_atom::value, std::string{"k"});
  auto late =
      self->request(d, caf::infinite, drink_atom::value, std::string{"k"}, drink_request{1, 0});
  sched.run();
  pill.receive([](const fridge_state& s) { CHECK(s == fridge_state{"k", 3, true}); }, fail);
  late.receive([](const fridge_result&) { FAIL("served after the pill"); },
               [](caf::error& err) { CHECK(fridgebank::code_of(err) == error_code::stopped); });
  CHECK(sys.registry().running() == base);
}

TEST_CASE_FIXTURE(actor_fixture, "a fridge whose handle was handed out never rests") {
  auto d = sys.spawn(directory);
  auto base = sys.registry().running();
  ask<fridge_state>(d, create_atom::value, new_fridge{"k", 5});
  auto handle = ask<fridge_actor>(d, find_atom::value, std::string{"k"});
  REQUIRE(handle);
  for (int i = 0; i < 3; ++i)
    self->send(d, rest_atom::value);
  sched.run();
  CHECK(sys.registry().running() == base + 1);
  CHECK(*ask<fridge_result>(*handle, drink_atom::value, drink_request{1, 0}) ==
        fridge_result{1, 4});
  CHECK(*ask<fridge_state>(d, look_atom::value, std::string{"k"}) == fridge_state{"k", 4, false});
}

/// A directory whose fridge "k" (5 drinks, awake) has been asked to rest,
/// and a client that then sends it a drink of 1 and `then` (a fence or a
/// drain), recording the order of their answers.
template <class Reply, class Atom>
std::vector<std::string> drink_then_during_rest(actor_fixture& f, Atom then) {
  auto d = f.sys.spawn(directory);
  f.ask<fridge_state>(d, create_atom::value, new_fridge{"k", 5});
  f.ask<fridge_result>(d, drink_atom::value, std::string{"k"}, drink_request{0, 0});
  f.self->send(d, rest_atom::value);
  f.self->send(d, rest_atom::value); // the directory runs first: it asks the fridge to rest
  auto order = std::make_shared<std::vector<std::string>>();
  f.sys.spawn([d, order, then](caf::event_based_actor* client) {
    client->request(d, caf::infinite, drink_atom::value, std::string{"k"}, drink_request{1, 0})
        .then(
            [order](const fridge_result& r) {
              order->push_back(r == fridge_result{1, 4} ? "drink" : "?");
            },
            [order](caf::error&) { order->push_back("refused"); });
    client->request(d, caf::infinite, then).then([order](Reply) { order->push_back("then"); });
  });
  f.sched.run();
  return *order;
}

TEST_CASE_FIXTURE(actor_fixture,
                  "a fence that comes while a fridge answers rest waits for the drink before it") {
  // The journal fences the directory to learn that a dead claimant's
  // requests were all served (idempotency.hpp): a fridge being put to rest
  // must not let the fence overtake one.
  CHECK(drink_then_during_rest<bool>(*this, fence_atom::value) ==
        std::vector<std::string>{"drink", "then"});
}

TEST_CASE_FIXTURE(actor_fixture,
                  "a drain that comes while a fridge answers rest serves the drink before it") {
  CHECK(drink_then_during_rest<std::size_t>(*this, drain_atom::value) ==
        std::vector<std::string>{"drink", "then"});
}
