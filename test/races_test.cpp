// The seed's exercises, run under every interleaving the deterministic
// scheduler can produce.
//
// Only the order in which requests reach the fridge decides what happens (the
// fridge serves its mailbox in order and replies carry its state), so the
// explorer lets the fridge run as soon as it has mail and branches on which
// drinker takes its next step. That visits every reachable outcome.

#include "actor_fixture.hpp"
#include "fridgebank/actors/fridge.hpp"

#include <caf/event_based_actor.hpp>
#include <doctest/doctest.h>
#include <map>
#include <memory>
#include <set>
#include <vector>

using namespace fridgebank;
using fridgebank::test::actor_fixture;

namespace {

/// What each drinker (by index) took in one run, and what was left.
struct outcome {
  std::vector<std::int64_t> taken;
  std::int64_t left = 0;
  auto operator<=>(const outcome&) const = default;
};

enum class manners {
  greedy,       // asks for `want` drinks in one request
  polite_naive, // LOOKs, then TAKEs one only if that seemed to leave one
  polite_atomic // one request: take one, leaveAtLeast 1
};

caf::behavior drinker(caf::event_based_actor* self, fridge_actor f, manners how, std::int64_t want,
                      std::shared_ptr<std::int64_t> taken) {
  auto take = [self, f, taken](drink_request r) {
    self->request(f, caf::infinite, drink_atom::value, r).then([taken](const fridge_result& res) {
      *taken = res.drinks_taken_or_added;
    });
  };
  switch (how) {
  case manners::greedy:
    take({want, 0});
    break;
  case manners::polite_atomic:
    take({1, 1});
    break;
  case manners::polite_naive:
    self->request(f, caf::infinite, drink_atom::value, drink_request{0, 0})
        .then([take](const fridge_result& look) {
          if (look.drinks_left_in_fridge > 1)
            take({1, 0});
        });
    break;
  }
  return {};
}

struct explorer : actor_fixture {
  /// Runs one schedule: `choices[i]` picks the drinker that moves at step i
  /// (0 beyond the prefix). Returns the outcome and fills `branching` with
  /// how many drinkers could move at each step.
  outcome run_schedule(std::int64_t drinks, manners how, std::int64_t want, std::size_t drinkers,
                       std::vector<std::size_t>& choices, std::vector<std::size_t>& branching) {
    auto f = sys.spawn(fridge, "shared", drinks);
    std::vector<std::shared_ptr<std::int64_t>> taken;
    for (std::size_t i = 0; i < drinkers; ++i) {
      taken.push_back(std::make_shared<std::int64_t>(0));
      sys.spawn(drinker, f, how, want, taken.back());
    }
    branching.clear();
    for (std::size_t step = 0;; ++step) {
      while (sched.prioritize(f))
        sched.run_once();
      if (!sched.has_job())
        break;
      if (step == choices.size())
        choices.push_back(0);
      branching.push_back(sched.jobs.size());
      auto pick = sched.jobs.begin() + static_cast<std::ptrdiff_t>(choices[step]);
      std::rotate(sched.jobs.begin(), pick, pick + 1);
      sched.run_once();
    }
    choices.resize(branching.size());
    outcome result;
    for (auto& t : taken)
      result.taken.push_back(*t);
    result.left = ask<fridge_state>(f, look_atom::value)->drinks_left_in_fridge;
    return result;
  }

  /// Every outcome over every schedule, with how many schedules reach it.
  std::map<outcome, std::size_t> explore(std::int64_t drinks, manners how, std::int64_t want,
                                         std::size_t drinkers) {
    std::map<outcome, std::size_t> seen;
    std::vector<std::size_t> choices, branching;
    for (;;) {
      ++seen[run_schedule(drinks, how, want, drinkers, choices, branching)];
      // Next schedule in depth-first order: bump the deepest open choice.
      while (!choices.empty() && choices.back() + 1 >= branching[choices.size() - 1]) {
        choices.pop_back();
      }
      if (choices.empty())
        return seen;
      ++choices.back();
    }
  }
};

} // namespace

TEST_CASE_FIXTURE(explorer, "Breaking the rep invariant? Two drinkers ask for 3 of 2 drinks") {
  auto seen = explore(2, manners::greedy, 3, 2);
  // Each drinker sends one request and reads one reply: 4!/(2!2!) schedules.
  std::size_t total = 0;
  for (auto& [o, count] : seen)
    total += count;
  CHECK(total == 6);
  // Whoever is served first gets both drinks, the other none; the fridge
  // never goes below 0. Both drinkers win in some schedule.
  REQUIRE(seen.size() == 2);
  CHECK(seen.count(outcome{{2, 0}, 0}) == 1);
  CHECK(seen.count(outcome{{0, 2}, 0}) == 1);
}

TEST_CASE_FIXTURE(explorer,
                  "Racing for a drink: polite LOOK-then-TAKE drinkers can empty the fridge") {
  auto seen = explore(2, manners::polite_naive, 1, 3);
  std::size_t emptied = 0, total = 0;
  for (auto& [o, count] : seen) {
    total += count;
    CHECK(o.left >= 0);
    if (o.left == 0)
      emptied += count;
  }
  MESSAGE(total << " schedules, " << emptied << " emptied the fridge");
  // The interleaving the lesson warns of exists: all look, all see 2, all
  // take; the fridge ends empty although every drinker was polite.
  CHECK(emptied > 0);
  CHECK(seen.count(outcome{{1, 1, 0}, 0}) == 1);
  // The schedules that run one drinker after another leave the drink.
  CHECK(seen.count(outcome{{1, 0, 0}, 1}) == 1);
}

TEST_CASE_FIXTURE(explorer, "Racing for a drink: with leaveAtLeast no interleaving empties it") {
  auto seen = explore(2, manners::polite_atomic, 1, 3);
  std::size_t total = 0;
  for (auto& [o, count] : seen)
    total += count;
  MESSAGE(total << " schedules explored");
  // Three drinkers with one request and one reply each: 6!/(2!2!2!).
  CHECK(total == 90);
  // Exactly one drinker gets the drink (each of them in some schedule) and
  // the last drink always stays.
  CHECK(seen.size() == 3);
  for (auto& [o, count] : seen)
    CHECK(o.left == 1);
}
