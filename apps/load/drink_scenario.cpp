// `drink`: thirsty drinkers, each request takes one drink from one of the
// run's fridges (picked at random). Every reply must say one drink was taken
// and a count >= 0 left; at the end each fridge must hold its initial drinks
// minus every acknowledged take (a take without a reply may or may not count).

#include "load/routes.hpp"
#include "load/scenario.hpp"

#include <random>
#include <stdexcept>
#include <unordered_map>

namespace fridgebank::load {

namespace {

// Enough that no run empties a fridge, and under 2^53-1.
constexpr std::int64_t initial_drinks = 1'000'000'000'000'000;

class drink_scenario final : public scenario {
public:
  explicit drink_scenario(const scenario_options& options) : rng_(options.seed) {
    if (options.fridges == 0)
      throw std::invalid_argument("--fridges must be at least 1");
    for (std::size_t i = 0; i < options.fridges; ++i) {
      fridges_.push_back({options.run_id + "-f" + std::to_string(i), {initial_drinks}});
      by_target_[routes::drink(fridges_.back().name, 1).target] = i;
    }
  }

  void setup(sync_client& client) override {
    for (auto& fridge : fridges_)
      client.must(routes::create_fridge(fridge.name, initial_drinks));
  }

  std::optional<request> next(std::size_t) override {
    std::uniform_int_distribution<std::size_t> pick{0, fridges_.size() - 1};
    return routes::drink(fridges_[pick(rng_)].name, 1);
  }

  outcome complete(std::size_t, const request& req, const reply& rep,
                   std::vector<std::size_t>&) override {
    auto& fridge = fridges_[by_target_.at(req.target)];
    if (!rep.answered()) {
      fridge.drinks.unknown(-1);
      return outcome::error;
    }
    if (!rep.success())
      return outcome::error;
    auto body = rep.json();
    auto taken = body ? int_field(*body, "drinksTakenOrAdded") : std::nullopt;
    auto left = body ? int_field(*body, "drinksLeftInFridge") : std::nullopt;
    if (!taken || !left || *taken != 1 || *left < 0) {
      ++wrong_replies_;
      return outcome::error;
    }
    fridge.drinks.acknowledged(-*taken);
    return outcome::ok;
  }

  std::vector<check> finish(sync_client& client) override {
    std::vector<check> checks{{"every take took 1 and left >= 0", wrong_replies_ == 0,
                               std::to_string(wrong_replies_) + " other replies"}};
    for (auto& fridge : fridges_) {
      auto body = client.must(routes::get_fridge(fridge.name)).json();
      auto left = body ? int_field(*body, "drinksLeftInFridge") : std::nullopt;
      checks.push_back(
          fridge.drinks.judge("fridge " + fridge.name + " lost no take", left.value_or(-1)));
    }
    return checks;
  }

  boost::json::object details() const override {
    return {{"fridges", fridges_.size()}, {"drinks_per_fridge", initial_drinks}};
  }

private:
  struct fridge {
    std::string name;
    tracked_count drinks;
  };

  std::mt19937_64 rng_;
  std::vector<fridge> fridges_;
  std::unordered_map<std::string, std::size_t> by_target_;
  std::uint64_t wrong_replies_ = 0;
};

} // namespace

std::unique_ptr<scenario> make_drink_scenario(const scenario_options& options) {
  return std::make_unique<drink_scenario>(options);
}

} // namespace fridgebank::load
