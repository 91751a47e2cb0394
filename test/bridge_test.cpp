// The bridge that I/O threads use to reach actors: every request is answered
// exactly once, with the reply, the receiver's error, or a timeout.

#include "actor_fixture.hpp"
#include "fridgebank/actors/directory.hpp"
#include "fridgebank/net/bridge.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <doctest/doctest.h>
#include <future>

using namespace fridgebank;
using fridgebank::test::actor_fixture;
using fridgebank::test::code_of;
using namespace std::chrono_literals;

namespace {

/// Counts the answers a request gets and keeps the last one.
template <class T> struct answers {
  int count = 0;
  caf::expected<T> last{caf::error{}};

  auto recorder() {
    return [this](caf::expected<T> x) {
      ++count;
      last = std::move(x);
    };
  }
};

/// Holds every look it is asked without answering, until told to answer.
struct silent_state {
  std::vector<caf::typed_response_promise<fridge_state>> held;
};

using silent_actor =
    caf::typed_actor<caf::replies_to<look_atom>::with<fridge_state>, caf::reacts_to<stop_atom>>;

silent_actor::behavior_type silent(silent_actor::stateful_pointer<silent_state> self) {
  return {
      [self](look_atom) -> caf::result<fridge_state> {
        self->state.held.push_back(self->make_response_promise<fridge_state>());
        return self->state.held.back();
      },
      [self](stop_atom) {
        for (auto& rp : self->state.held)
          rp.deliver(fridge_state{"late", 1, false});
        self->state.held.clear();
      },
  };
}

} // namespace

TEST_CASE_FIXTURE(actor_fixture, "a request through the bridge is answered once, by the actor") {
  net::bridge bridge{sys, 1, 5s};
  auto dir = sys.spawn(directory);
  REQUIRE(ask<fridge_state>(dir, create_atom::value, new_fridge{"kitchen", 5}));
  answers<fridge_result> got;
  bridge.request<fridge_result>(dir, got.recorder(), drink_atom::value, std::string{"kitchen"},
                                drink_request{2, 0});
  CHECK(got.count == 0); // nothing runs until the scheduler does
  sched.run();
  CHECK(got.count == 1);
  REQUIRE(got.last);
  CHECK(*got.last == fridge_result{2, 3});
  bridge.close();
}

TEST_CASE_FIXTURE(actor_fixture, "the actor's error comes back as the error") {
  net::bridge bridge{sys, 1, 5s};
  auto dir = sys.spawn(directory);
  answers<fridge_result> got;
  bridge.request<fridge_result>(dir, got.recorder(), drink_atom::value, std::string{"nowhere"},
                                drink_request{1, 0});
  sched.run();
  CHECK(got.count == 1);
  CHECK(code_of(got.last) == "not_found");
  bridge.close();
}

TEST_CASE_FIXTURE(actor_fixture, "a receiver that is gone is an error, not a wait") {
  net::bridge bridge{sys, 1, 5s};
  auto gone = sys.spawn(silent);
  anon_send_exit(gone, caf::exit_reason::user_shutdown);
  sched.run();
  answers<fridge_state> got;
  bridge.request<fridge_state>(gone, got.recorder(), look_atom::value);
  sched.run();
  CHECK(got.count == 1);
  REQUIRE(!got.last);
  CHECK(got.last.error() == caf::sec::request_receiver_down);
  bridge.close();
}

TEST_CASE_FIXTURE(actor_fixture, "a request nobody answers times out, once, and the late reply "
                                 "is dropped") {
  net::bridge bridge{sys, 1, 50ms};
  auto quiet = sys.spawn(silent);
  for (int round = 0; round < 2; ++round) {
    CAPTURE(round); // the second after the sweeper had nothing to do
    std::promise<caf::expected<fridge_state>> outcome;
    std::atomic<int> calls{0};
    bridge.request<fridge_state>(
        quiet,
        [&](caf::expected<fridge_state> x) {
          if (calls++ == 0)
            outcome.set_value(std::move(x));
        },
        look_atom::value);
    sched.run(); // the look is held
    auto answered = outcome.get_future();
    REQUIRE(answered.wait_for(10s) == std::future_status::ready);
    auto result = answered.get();
    REQUIRE(!result);
    CHECK(result.error() == caf::sec::request_timeout);
    caf::anon_send(quiet, stop_atom::value); // now the reply comes, too late
    sched.run();
    CHECK(calls == 1);
  }
  bridge.close();
  anon_send_exit(quiet, caf::exit_reason::user_shutdown);
}
