#include "fridgebank/actors/bank.hpp"

#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/limits.hpp"

namespace fridgebank {

namespace {

using ledger_pointer = bank_actor::stateful_pointer<ledger_data>;

caf::error no_such_account(const std::string& id) {
  return make_error(error_code::not_found, "no account " + id);
}

caf::error bad_amount() {
  return make_error(error_code::bad_request, "amount must be in 1 .. 2^53-1");
}

bool valid_amount(std::int64_t amount) {
  return amount >= 1 && amount <= max_safe_integer;
}

ledger_snapshot snapshot_of(const ledger_data& ledger) {
  ledger_snapshot result;
  result.accounts.reserve(ledger.balances.size());
  for (const auto& [id, balance] : ledger.balances)
    result.accounts.push_back(account{id, balance});
  result.total = ledger.total;
  return result;
}

/// After the pill every request is refused; the final snapshot stays available
/// through `stop` itself.
bank_actor::behavior_type stopped_bank(ledger_pointer self) {
  auto refuse = [] { return make_error(error_code::stopped, "the bank is stopped"); };
  return {
      [refuse](open_atom, const std::string&) -> caf::result<account> { return refuse(); },
      [refuse](deposit_atom, const std::string&, std::int64_t) -> caf::result<account> {
        return refuse();
      },
      [refuse](withdraw_atom, const std::string&, std::int64_t) -> caf::result<account> {
        return refuse();
      },
      [refuse](balance_atom, const std::string&) -> caf::result<account> { return refuse(); },
      [refuse](transfer_atom, const transfer_request&) -> caf::result<transfer_result> {
        return refuse();
      },
      [refuse](snapshot_atom) -> caf::result<ledger_snapshot> { return refuse(); },
      [self](stop_atom) { return snapshot_of(self->state); },
      [self](count_atom) { return self->state.balances.size(); },
  };
}

} // namespace

bank_actor::behavior_type bank(ledger_pointer self) {
  return {
      [self](open_atom, const std::string& id) -> caf::result<account> {
        if (!is_valid_name(id))
          return make_error(error_code::bad_request, "id must match [A-Za-z0-9_.-]{1,64}");
        if (!self->state.balances.emplace(id, 0).second)
          return make_error(error_code::conflict, "account " + id + " exists");
        return account{id, 0};
      },
      [self](deposit_atom, const std::string& id, std::int64_t amount) -> caf::result<account> {
        if (!valid_amount(amount))
          return bad_amount();
        auto& ledger = self->state;
        auto it = ledger.balances.find(id);
        if (it == ledger.balances.end())
          return no_such_account(id);
        std::int64_t balance = 0;
        std::int64_t total = 0;
        if (!checked_add(it->second, amount, balance) || !checked_add(ledger.total, amount, total))
          return make_error(error_code::limit_exceeded, "deposit would exceed 2^53-1");
        it->second = balance;
        ledger.total = total;
        return account{id, balance};
      },
      [self](withdraw_atom, const std::string& id, std::int64_t amount) -> caf::result<account> {
        if (!valid_amount(amount))
          return bad_amount();
        auto& ledger = self->state;
        auto it = ledger.balances.find(id);
        if (it == ledger.balances.end())
          return no_such_account(id);
        if (it->second < amount)
          return make_error(error_code::insufficient_funds,
                            "account " + id + " holds less than " + std::to_string(amount),
                            it->second);
        it->second -= amount;
        ledger.total -= amount;
        return account{id, it->second};
      },
      [self](balance_atom, const std::string& id) -> caf::result<account> {
        auto it = self->state.balances.find(id);
        if (it == self->state.balances.end())
          return no_such_account(id);
        return account{id, it->second};
      },
      [self](transfer_atom, const transfer_request& t) -> caf::result<transfer_result> {
        if (!valid_amount(t.amount))
          return bad_amount();
        if (t.from == t.to)
          return make_error(error_code::bad_request, "from and to must differ");
        auto& balances = self->state.balances;
        auto from = balances.find(t.from);
        if (from == balances.end())
          return no_such_account(t.from);
        auto to = balances.find(t.to);
        if (to == balances.end())
          return no_such_account(t.to);
        if (from->second < t.amount)
          return make_error(error_code::insufficient_funds,
                            "account " + t.from + " holds less than " + std::to_string(t.amount),
                            from->second);
        std::int64_t credited = 0;
        if (!checked_add(to->second, t.amount, credited))
          return make_error(error_code::limit_exceeded, "transfer would exceed 2^53-1");
        // All checks passed: both legs happen together, within this one message.
        from->second -= t.amount;
        to->second = credited;
        return transfer_result{account{t.from, from->second}, account{t.to, to->second}};
      },
      [self](snapshot_atom) -> caf::result<ledger_snapshot> { return snapshot_of(self->state); },
      [self](stop_atom) {
        self->become(stopped_bank(self));
        return snapshot_of(self->state);
      },
      [self](count_atom) { return self->state.balances.size(); },
  };
}

} // namespace fridgebank
