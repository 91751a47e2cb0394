// `mixed`: every route of the API in a weighted mix (admin routes aside),
// over two fridges and four accounts made for the run. At the end each fridge
// must hold what the acknowledged drinks and loads left, and the four
// accounts what the acknowledged deposits and withdrawals made (transfers
// between them change no total).

#include "load/routes.hpp"
#include "load/scenario.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <random>
#include <stdexcept>
#include <unordered_map>

namespace fridgebank::load {

namespace {

constexpr std::size_t fridge_count = 2;
constexpr std::size_t account_count = 4;
constexpr std::int64_t initial_drinks = 1'000'000'000'000;
constexpr std::int64_t opening_balance = 1'000'000;

const std::vector<std::pair<std::string, unsigned>> default_weights{
    {"echo", 10},   {"healthz", 2},  {"metrics", 1},       {"fridges", 2},       {"fridge", 10},
    {"drink", 25},  {"load", 5},     {"create-fridge", 1}, {"account", 10},      {"accounts", 3},
    {"deposit", 8}, {"withdraw", 6}, {"transfer", 13},     {"create-account", 1}};

/// The default weights with `mix` ("route=weight,...") applied over them.
std::vector<std::pair<std::string, unsigned>> weights_from(const std::string& mix) {
  auto weights = default_weights;
  std::size_t start = 0;
  while (start < mix.size()) {
    auto comma = mix.find(',', start);
    auto item = mix.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? mix.size() : comma + 1;
    auto equals = item.find('=');
    if (equals == std::string::npos)
      throw std::invalid_argument("--mix wants route=weight, got '" + item + "'");
    auto route = item.substr(0, equals);
    unsigned weight = 0;
    try {
      std::size_t used = 0;
      weight = static_cast<unsigned>(std::stoul(item.substr(equals + 1), &used));
      if (used != item.size() - equals - 1)
        throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw std::invalid_argument("--mix: bad weight in '" + item + "'");
    }
    bool known = false;
    for (auto& [name, w] : weights)
      if (name == route) {
        w = weight;
        known = true;
      }
    if (!known)
      throw std::invalid_argument("--mix: no route '" + route + "'");
  }
  return weights;
}

std::int64_t body_int(const std::string& body, std::string_view key) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  auto field = !ec && value.is_object() ? int_field(value.as_object(), key) : std::nullopt;
  return field.value_or(0);
}

class mixed_scenario final : public scenario {
public:
  explicit mixed_scenario(const scenario_options& options)
      : rng_(options.seed), run_id_(options.run_id), weights_(weights_from(options.mix)) {
    std::vector<unsigned> w;
    for (auto& entry : weights_)
      w.push_back(entry.second);
    pick_route_ = std::discrete_distribution<std::size_t>(w.begin(), w.end());
    for (std::size_t i = 0; i < fridge_count; ++i) {
      fridges_.push_back(run_id_ + "-f" + std::to_string(i));
      drinks_.push_back({initial_drinks});
      drinks_by_target_[routes::drink(fridges_.back(), 1).target] = i;
    }
    for (std::size_t i = 0; i < account_count; ++i)
      accounts_.push_back(run_id_ + "-a" + std::to_string(i));
    money_.initial = opening_balance * static_cast<std::int64_t>(account_count);
  }

  void setup(sync_client& client) override {
    for (auto& f : fridges_)
      client.must(routes::create_fridge(f, initial_drinks));
    for (auto& a : accounts_) {
      client.must(routes::create_account(a));
      client.must(routes::deposit(a, opening_balance));
    }
  }

  std::optional<request> next(std::size_t) override {
    auto route = weights_[pick_route_(rng_)].first;
    auto fridge = pick(fridges_);
    auto account = pick(accounts_);
    auto small = std::uniform_int_distribution<std::int64_t>{1, 100}(rng_);
    if (route == "echo")
      return routes::echo();
    if (route == "healthz")
      return routes::healthz();
    if (route == "metrics")
      return routes::metrics();
    if (route == "fridges")
      return routes::list_fridges(some_page());
    if (route == "fridge")
      return routes::get_fridge(fridge);
    if (route == "drink")
      return routes::drink(fridge, 1);
    if (route == "load")
      return routes::drink(fridge, -small);
    if (route == "create-fridge")
      return routes::create_fridge(fresh_name("mf"), small);
    if (route == "account")
      return routes::get_account(account);
    if (route == "accounts")
      return routes::list_accounts(some_page());
    if (route == "deposit")
      return routes::deposit(account, small);
    if (route == "withdraw")
      return routes::withdraw(account, small);
    if (route == "create-account")
      return routes::create_account(fresh_name("ma"));
    auto to = pick(accounts_);
    while (to == account)
      to = pick(accounts_);
    return routes::transfer(account, to, small);
  }

  outcome complete(std::size_t, const request& req, const reply& rep,
                   std::vector<std::size_t>&) override {
    if (rep.status == 409 && rep.error_code() == "insufficient_funds")
      return outcome::refused;
    auto* drinks = req.route == "drink" || req.route == "load"
                       ? &drinks_[drinks_by_target_.at(req.target)]
                       : nullptr;
    auto delta = req.route == "deposit"    ? body_int(req.body, "amount")
                 : req.route == "withdraw" ? -body_int(req.body, "amount")
                 : req.route == "load"     ? -body_int(req.body, "drinksRequested")
                 : req.route == "drink"    ? -1
                                           : 0;
    auto* count = drinks ? drinks : delta != 0 ? &money_ : nullptr;
    if (!rep.answered()) {
      if (count)
        count->unknown(delta);
      return outcome::error;
    }
    if (!rep.success())
      return outcome::error;
    if (drinks) {
      auto body = rep.json();
      auto changed = body ? int_field(*body, "drinksTakenOrAdded") : std::nullopt;
      if (!changed)
        return outcome::error;
      drinks->acknowledged(-*changed); // a take of t reports +t and removes t drinks
    } else if (count) {
      count->acknowledged(delta);
    }
    return outcome::ok;
  }

  std::vector<check> finish(sync_client& client) override {
    std::vector<check> checks;
    for (std::size_t i = 0; i < fridge_count; ++i) {
      auto body = client.must(routes::get_fridge(fridges_[i])).json();
      auto left = body ? int_field(*body, "drinksLeftInFridge") : std::nullopt;
      checks.push_back(
          drinks_[i].judge("fridge " + fridges_[i] + " lost no drink or load", left.value_or(-1)));
    }
    std::int64_t total = 0;
    bool negative = false;
    for (auto& a : accounts_) {
      auto body = client.must(routes::get_account(a)).json();
      auto balance = body ? int_field(*body, "balance") : std::nullopt;
      total += balance.value_or(0);
      negative = negative || !balance || *balance < 0;
    }
    checks.push_back(money_.judge("the accounts hold every deposit and withdrawal", total));
    checks.push_back({"no negative balance", !negative, ""});
    checks.push_back(walk_pages(client, "fridges", "name", fridges_));
    checks.push_back(walk_pages(client, "accounts", "id", accounts_));
    return checks;
  }

  /// Follows `next` through this run's part of a listing, two names a page,
  /// up to the last of `expected`: every name comes once, in order, and the
  /// expected ones are all there.
  check walk_pages(sync_client& client, const std::string& listing, const char* key,
                   const std::vector<std::string>& expected) {
    check walk{"paging through /" + listing + " lists each of the run's once, in order", true, ""};
    std::vector<std::string> seen;
    routes::page page{run_id_, 2};
    auto last = *std::max_element(expected.begin(), expected.end());
    while (!page.after.empty() && page.after < last) {
      auto req = listing == "fridges" ? routes::list_fridges(page) : routes::list_accounts(page);
      auto body = client.must(req).json();
      auto* entries = body ? body->if_contains(listing) : nullptr;
      auto* next = body ? body->if_contains("next") : nullptr;
      if (!entries || !entries->is_array() || !next) {
        walk.passed = false;
        walk.detail = "a page without " + listing + " or next";
        return walk;
      }
      for (const auto& e : entries->as_array())
        if (auto* name = e.as_object().if_contains(key); name && name->is_string())
          seen.emplace_back(name->as_string());
      page.after = next->is_string() ? std::string{next->as_string()} : std::string{};
    }
    bool ordered =
        std::adjacent_find(seen.begin(), seen.end(), std::greater_equal<>{}) == seen.end();
    std::size_t found = 0;
    for (const auto& name : expected)
      found += std::count(seen.begin(), seen.end(), name);
    walk.passed = ordered && found == expected.size();
    walk.detail = std::to_string(seen.size()) + " listed" + (ordered ? "" : ", out of order") +
                  ", " + std::to_string(found) + " of " + std::to_string(expected.size()) +
                  " of the run's found";
    return walk;
  }

  boost::json::object details() const override {
    boost::json::object weights;
    for (auto& [route, weight] : weights_)
      weights[route] = weight;
    return {{"weights", std::move(weights)}};
  }

private:
  const std::string& pick(const std::vector<std::string>& names) {
    return names[std::uniform_int_distribution<std::size_t>{0, names.size() - 1}(rng_)];
  }
  /// A page of a listing: the first or this run's, of the default size or
  /// a small one (so `next` is followed by nobody, but served every time).
  routes::page some_page() {
    static constexpr unsigned limits[] = {0, 1, 10, 100};
    auto after = std::bernoulli_distribution{0.5}(rng_) ? run_id_ : std::string{};
    return {std::move(after), limits[rng_() % std::size(limits)]};
  }

  std::string fresh_name(const char* kind) {
    return run_id_ + "-" + kind + std::to_string(created_++);
  }

  std::mt19937_64 rng_;
  std::string run_id_;
  std::vector<std::pair<std::string, unsigned>> weights_;
  std::discrete_distribution<std::size_t> pick_route_;
  std::vector<std::string> fridges_;
  std::vector<tracked_count> drinks_;
  std::unordered_map<std::string, std::size_t> drinks_by_target_; // a drink's target -> fridge
  std::vector<std::string> accounts_;
  tracked_count money_;
  std::uint64_t created_ = 0;
};

} // namespace

std::unique_ptr<scenario> make_mixed_scenario(const scenario_options& options) {
  return std::make_unique<mixed_scenario>(options);
}

} // namespace fridgebank::load
