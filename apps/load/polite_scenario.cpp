// `polite-naive` and `polite-atomic`: the seed's "Racing for a drink" over
// HTTP. The clients form teams of D drinkers. Each round the team leader
// creates a fridge with D drinks; then every drinker of the team, at once,
// wants one drink but would never take the last one:
//   naive:  LOOK (GET the fridge), and TAKE one (drink 1) if it saw >= 2;
//   atomic: one request, drink 1 with leaveAtLeast 1, decided in the fridge.
// When all have drunk the leader reads the fridge: empty means the politeness
// failed. Between LOOK and TAKE other drinkers act, so naive rounds end empty;
// atomic rounds never may.

#include "load/routes.hpp"
#include "load/scenario.hpp"

#include <stdexcept>

namespace fridgebank::load {

namespace {

class polite_scenario final : public scenario {
public:
  polite_scenario(const scenario_options& options, bool atomic)
      : atomic_(atomic), drinkers_(options.drinkers), run_id_(options.run_id) {
    if (drinkers_ < 2)
      throw std::invalid_argument("--drinkers must be at least 2");
    if (options.clients < drinkers_)
      throw std::invalid_argument("polite scenarios need at least --drinkers clients (" +
                                  std::to_string(drinkers_) + "); have " +
                                  std::to_string(options.clients));
    teams_.resize(options.clients / drinkers_);
    for (auto& t : teams_)
      t.steps.resize(drinkers_);
  }

  void setup(sync_client&) override {}

  std::optional<request> next(std::size_t client) override {
    if (client >= teams_.size() * drinkers_)
      return std::nullopt; // left over after forming teams: sits the run out
    auto& t = teams_[client / drinkers_];
    auto member = client % drinkers_;
    switch (t.phase) {
    case stage::create:
      if (member != 0)
        return std::nullopt;
      t.fridge =
          run_id_ + "-t" + std::to_string(client / drinkers_) + "-r" + std::to_string(t.round);
      return routes::create_fridge(t.fridge, static_cast<std::int64_t>(drinkers_));
    case stage::drink:
      switch (t.steps[member]) {
      case step::look:
        return routes::get_fridge(t.fridge, "look");
      case step::take:
        return atomic_ ? routes::drink(t.fridge, 1, 1) : routes::drink(t.fridge, 1);
      case step::done:
        return std::nullopt;
      }
      return std::nullopt;
    case stage::check:
      if (member != 0)
        return std::nullopt;
      return routes::get_fridge(t.fridge, "check");
    }
    return std::nullopt;
  }

  outcome complete(std::size_t client, const request&, const reply& rep,
                   std::vector<std::size_t>& wake) override {
    auto team_index = client / drinkers_;
    auto& t = teams_[team_index];
    auto member = client % drinkers_;
    auto first_client = team_index * drinkers_;
    auto body = rep.success() ? rep.json() : std::nullopt;
    auto left = body ? int_field(*body, "drinksLeftInFridge") : std::nullopt;
    bool ok = left && *left >= 0;
    if (left && *left < 0)
      ++negative_counts_;

    if (t.phase == stage::create) {
      if (!rep.success()) {
        ++t.round; // a fresh name: the failed create may have happened
        return outcome::error;
      }
      t.phase = stage::drink;
      t.drinking = drinkers_;
      t.taken = 0;
      t.unknown = false;
      for (auto& s : t.steps)
        s = atomic_ ? step::take : step::look;
      for (std::size_t m = 1; m < drinkers_; ++m)
        wake.push_back(first_client + m);
      return ok ? outcome::ok : outcome::error;
    }

    if (t.phase == stage::drink) {
      auto& s = t.steps[member];
      if (s == step::look && ok && *left >= 2) {
        s = step::take; // the gap between LOOK and TAKE: the race
      } else {
        if (s == step::take) {
          auto taken = body ? int_field(*body, "drinksTakenOrAdded") : std::nullopt;
          if (taken)
            t.taken += *taken;
          else
            t.unknown = true;
        }
        s = step::done;
        if (--t.drinking == 0) {
          t.phase = stage::check;
          wake.push_back(first_client);
        }
      }
      return ok ? outcome::ok : outcome::error;
    }

    // stage::check, by the leader
    if (ok) {
      ++rounds_;
      if (*left == 0)
        ++empty_rounds_;
      if (!t.unknown && *left != static_cast<std::int64_t>(drinkers_) - t.taken)
        ++miscounted_rounds_;
    }
    ++t.round;
    t.phase = stage::create;
    return ok ? outcome::ok : outcome::error;
  }

  std::vector<check> finish(sync_client&) override {
    return {polite_rounds(atomic_, rounds_, empty_rounds_),
            {"every round left drinks - taken", miscounted_rounds_ == 0,
             std::to_string(miscounted_rounds_) + " rounds disagree"},
            {"no fridge ever showed fewer than 0 drinks", negative_counts_ == 0,
             std::to_string(negative_counts_) + " negative counts"}};
  }

  boost::json::object details() const override {
    return {{"mode", atomic_ ? "leaveAtLeast" : "look-then-take"},
            {"drinkers_per_fridge", drinkers_},
            {"teams", teams_.size()},
            {"rounds", rounds_},
            {"empty_rounds", empty_rounds_}};
  }

private:
  enum class stage { create, drink, check };
  enum class step { look, take, done };

  struct team {
    stage phase = stage::create;
    std::uint64_t round = 0;
    std::string fridge;
    std::vector<step> steps; // one per drinker
    std::size_t drinking = 0;
    std::int64_t taken = 0;
    bool unknown = false; // a take got no reply: the round's count is unknown
  };

  bool atomic_;
  std::size_t drinkers_;
  std::string run_id_;
  std::vector<team> teams_;
  std::uint64_t rounds_ = 0;
  std::uint64_t empty_rounds_ = 0;
  std::uint64_t miscounted_rounds_ = 0;
  std::uint64_t negative_counts_ = 0;
};

} // namespace

std::unique_ptr<scenario> make_polite_scenario(const scenario_options& options, bool atomic) {
  return std::make_unique<polite_scenario>(options, atomic);
}

} // namespace fridgebank::load
