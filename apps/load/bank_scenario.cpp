// `bank`, after Jepsen's bank test: eight accounts start with 1000 each;
// clients transfer random amounts between random pairs while others read
// snapshots (GET /accounts). Money only moves, so every snapshot of the eight
// must sum to 8000, and no balance may go negative. A transfer refused with
// insufficient_funds is part of the game, not an error.

#include "load/routes.hpp"
#include "load/scenario.hpp"

#include <boost/json.hpp>
#include <random>
#include <unordered_map>

namespace fridgebank::load {

namespace {

constexpr std::size_t account_count = 8;
constexpr std::int64_t opening_balance = 1000;
constexpr std::int64_t largest_transfer = 100;
constexpr double snapshot_share = 0.2;

class bank_scenario final : public scenario {
public:
  explicit bank_scenario(const scenario_options& options)
      : rng_(options.seed),
        // This run's accounts, and only they, are the one page after the run id.
        snapshot_page_{options.run_id, account_count}, checker_(opening_balance * account_count) {
    for (std::size_t i = 0; i < account_count; ++i) {
      ids_.push_back(options.run_id + "-a" + std::to_string(i));
      index_[ids_.back()] = i;
    }
  }

  void setup(sync_client& client) override {
    for (auto& id : ids_) {
      client.must(routes::create_account(id));
      client.must(routes::deposit(id, opening_balance));
    }
  }

  std::optional<request> next(std::size_t) override {
    if (std::bernoulli_distribution{snapshot_share}(rng_))
      return routes::list_accounts(snapshot_page_);
    std::uniform_int_distribution<std::size_t> pick{0, account_count - 1};
    auto from = pick(rng_);
    auto to = pick(rng_);
    while (to == from)
      to = pick(rng_);
    std::uniform_int_distribution<std::int64_t> amount{1, largest_transfer};
    return routes::transfer(ids_[from], ids_[to], amount(rng_));
  }

  outcome complete(std::size_t, const request& req, const reply& rep,
                   std::vector<std::size_t>&) override {
    if (rep.status == 409 && rep.error_code() == "insufficient_funds")
      return outcome::refused;
    if (!rep.success())
      return outcome::error;
    auto body = rep.json();
    if (!body)
      return outcome::error;
    if (req.route == "accounts")
      return observe_snapshot(*body) ? outcome::ok : outcome::error;
    for (auto side : {"from", "to"}) {
      auto* account = body->if_contains(side);
      auto balance = account && account->is_object() ? int_field(account->as_object(), "balance")
                                                     : std::nullopt;
      if (!balance)
        return outcome::error;
      if (*balance < 0)
        ++negative_transfer_balances_;
    }
    return outcome::ok;
  }

  std::vector<check> finish(sync_client& client) override {
    auto final_snapshot = client.must(routes::list_accounts(snapshot_page_)).json();
    bool complete = final_snapshot && observe_snapshot(*final_snapshot);
    auto checks = checker_.verdict();
    checks.push_back({"the final snapshot lists all " + std::to_string(account_count) + " accounts",
                      complete, ""});
    checks.push_back({"no transfer reply shows a negative balance",
                      negative_transfer_balances_ == 0,
                      std::to_string(negative_transfer_balances_) + " seen"});
    return checks;
  }

  boost::json::object details() const override {
    return {{"accounts", account_count},
            {"total", opening_balance * static_cast<std::int64_t>(account_count)},
            {"snapshots", checker_.snapshots()}};
  }

private:
  /// Feeds the checker this run's accounts from a GET /accounts reply.
  bool observe_snapshot(const boost::json::object& body) {
    auto* accounts = body.if_contains("accounts");
    if (!accounts || !accounts->is_array())
      return false;
    std::vector<std::int64_t> balances(account_count);
    std::size_t found = 0;
    for (auto& entry : accounts->as_array()) {
      if (!entry.is_object())
        return false;
      auto* id = entry.as_object().if_contains("id");
      if (!id || !id->is_string())
        return false;
      auto it = index_.find(std::string{id->as_string()});
      if (it == index_.end())
        continue; // another run's account
      auto balance = int_field(entry.as_object(), "balance");
      if (!balance)
        return false;
      balances[it->second] = *balance;
      ++found;
    }
    if (found != account_count)
      return false;
    checker_.observe(balances);
    return true;
  }

  std::mt19937_64 rng_;
  routes::page snapshot_page_;
  std::vector<std::string> ids_;
  std::unordered_map<std::string, std::size_t> index_;
  snapshot_checker checker_;
  std::uint64_t negative_transfer_balances_ = 0;
};

} // namespace

std::unique_ptr<scenario> make_bank_scenario(const scenario_options& options) {
  return std::make_unique<bank_scenario>(options);
}

} // namespace fridgebank::load
