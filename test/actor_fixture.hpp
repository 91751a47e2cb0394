#pragma once

// Drives actors with CAF's deterministic test coordinator under doctest:
// nothing runs until the test says so, so every interleaving is chosen, not
// hoped for, and no test needs to sleep.

#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/register_types.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <doctest/doctest.h>

namespace fridgebank::test {

inline caf::actor_system_config& deterministic_config(caf::actor_system_config& cfg) {
  register_types(cfg);
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
  return cfg;
}

struct actor_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  caf::scheduler::test_coordinator& sched;

  actor_fixture()
      : sys(deterministic_config(cfg)), self(sys, true),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {}

  ~actor_fixture() {
    // Pending request timeouts keep their actors referenced; fire them (their
    // requests were answered long ago) so the system can shut down.
    do
      sched.run();
    while (sched.trigger_timeouts() > 0);
  }

  /// Sends a request, lets every actor run to quiescence, and returns the
  /// reply (or the error it got).
  template <class T, class Handle, class... Ts>
  caf::expected<T> ask(const Handle& dest, Ts&&... xs) {
    auto pending = self->request(dest, caf::infinite, std::forward<Ts>(xs)...);
    sched.run();
    caf::expected<T> result{caf::error{}};
    bool answered = false;
    pending.receive([&](T& value) { result = std::move(value), answered = true; },
                    [&](caf::error& err) { result = std::move(err), answered = true; });
    REQUIRE(answered);
    return result;
  }
};

/// The API code of a failed expected (or "none").
template <class T> std::string_view code_of(const caf::expected<T>& x) {
  return x ? api_code(error_code::none) : api_code(fridgebank::code_of(x.error()));
}

} // namespace fridgebank::test
