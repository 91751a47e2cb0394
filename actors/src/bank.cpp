#include "fridgebank/actors/bank.hpp"

#include "after_commit.hpp"
#include "fridgebank/actors/faults.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/limits.hpp"

#include <cassert>

namespace fridgebank {

namespace {

using ledger_pointer = bank_actor::stateful_pointer<ledger_data>;
using detail::after_commit;
using detail::error_after_commit;

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

/// One page of the ledger, with the whole ledger's total: computed within
/// one message, so one instant.
ledger_snapshot page_of(const ledger_data& ledger, const page_request& page) {
  assert(page.limit >= 1 && page.limit <= max_page_limit); // checked by the front end
  ledger_snapshot result;
  auto it = page.after.empty() ? ledger.balances.begin() : ledger.balances.upper_bound(page.after);
  for (; it != ledger.balances.end() && result.accounts.size() < page.limit; ++it)
    result.accounts.push_back(account{it->first, it->second});
  if (it != ledger.balances.end())
    result.next = result.accounts.back().id;
  result.total = ledger.total;
  return result;
}

journal_entry effect_of(std::initializer_list<account> changed) {
  journal_entry entry;
  for (const auto& a : changed)
    entry.accounts.push_back(account_record{a.id, a.balance});
  return entry;
}

/// `effect_of`, and in a fault build the credits an earlier split transfer
/// deferred: they reach the disk only now.
journal_entry ledger_effect(ledger_data& ledger, std::initializer_list<account> changed) {
  auto entry = effect_of(changed);
  for (auto& record : ledger.deferred)
    entry.accounts.insert(entry.accounts.begin(), record);
  ledger.deferred.clear();
  return entry;
}

void restore(ledger_data& ledger, const durable_state& durable) {
  ledger.balances.clear();
  ledger.total = 0;
  for (const auto& a : durable.accounts) {
    ledger.balances.emplace(a.id, a.balance);
    ledger.total += a.balance;
  }
}

bank_actor::behavior_type running_bank(ledger_pointer self);
bank_actor::behavior_type stopped_bank(ledger_pointer self);

/// Back to what is on disk after a failed commit.
auto rollback_handler(ledger_pointer self) {
  return [self](rollback_atom, const durable_state& durable) {
    restore(self->state, durable);
    self->state.link.epoch = durable.epoch;
    self->become(durable.bank_stopped ? stopped_bank(self) : running_bank(self));
  };
}

/// The process is stopping: everything before this was served; end, live.
auto drain_handler(ledger_pointer self) {
  return [self](drain_atom) {
    self->quit();
    return true;
  };
}

auto balance_handler(ledger_pointer self) {
  return [self](balance_atom, const std::string& id) -> caf::result<account> {
    auto& link = self->state.link;
    auto it = self->state.balances.find(id);
    if (it == self->state.balances.end())
      return error_after_commit<account>(self, link, no_such_account(id));
    return after_commit(self, link, account{id, it->second});
  };
}

auto snapshot_handler(ledger_pointer self) {
  return [self](snapshot_atom) -> caf::result<ledger_snapshot> {
    return after_commit(self, self->state.link, snapshot_of(self->state));
  };
}

auto page_handler(ledger_pointer self) {
  return [self](snapshot_atom, const page_request& page) -> caf::result<ledger_snapshot> {
    if (page.limit < 1 || page.limit > max_page_limit)
      return make_error(error_code::bad_request, "limit must be in 1 .. 10000");
    return after_commit(self, self->state.link, page_of(self->state, page));
  };
}

/// After the pill every request that would change money is refused; reads
/// still answer, and `stop` answers the final snapshot again.
bank_actor::behavior_type stopped_bank(ledger_pointer self) {
  auto refuse = [self]<class Reply>(Reply*) -> caf::result<Reply> {
    return error_after_commit<Reply>(self, self->state.link,
                                     make_error(error_code::stopped, "the bank is stopped"));
  };
  return {
      [refuse](open_atom, const std::string&) { return refuse((account*)nullptr); },
      [refuse](deposit_atom, const std::string&, std::int64_t) {
        return refuse((account*)nullptr);
      },
      [refuse](withdraw_atom, const std::string&, std::int64_t) {
        return refuse((account*)nullptr);
      },
      balance_handler(self),
      [refuse](transfer_atom, const transfer_request&) {
        return refuse((transfer_result*)nullptr);
      },
      snapshot_handler(self),
      page_handler(self),
      [self](stop_atom) -> caf::result<ledger_snapshot> {
        return after_commit(self, self->state.link, page_of(self->state, page_request{}));
      },
      [self](count_atom) { return self->state.balances.size(); },
      drain_handler(self),
      [](fence_atom) { return true; },
      rollback_handler(self),
  };
}

auto open_handler(ledger_pointer self) {
  return [self](open_atom, const std::string& id) -> caf::result<account> {
    auto& link = self->state.link;
    if (!is_valid_name(id))
      return make_error(error_code::bad_request, "id must match [A-Za-z0-9_.-]{1,64}");
    auto& ledger = self->state;
    if (ledger.balances.size() >= ledger.max_accounts && !ledger.balances.contains(id))
      // Counts accounts whose opening may still be on its way to disk.
      return error_after_commit<account>(
          self, link,
          make_error(error_code::limit_exceeded, "at most " + std::to_string(ledger.max_accounts) +
                                                     " accounts (--max-accounts)"));
    if (!self->state.balances.emplace(id, 0).second)
      return error_after_commit<account>(
          self, link, make_error(error_code::conflict, "account " + id + " exists"));
    account opened{id, 0};
    return after_commit(self, link, ledger_effect(self->state, {opened}), opened);
  };
}

auto transfer_handler(ledger_pointer self) {
  return [self](transfer_atom, const transfer_request& t) -> caf::result<transfer_result> {
    auto& link = self->state.link;
    if (!valid_amount(t.amount))
      return bad_amount();
    if (t.from == t.to)
      return make_error(error_code::bad_request, "from and to must differ");
    auto& balances = self->state.balances;
    auto from = balances.find(t.from);
    if (from == balances.end())
      return error_after_commit<transfer_result>(self, link, no_such_account(t.from));
    auto to = balances.find(t.to);
    if (to == balances.end())
      return error_after_commit<transfer_result>(self, link, no_such_account(t.to));
    if (from->second < t.amount)
      return error_after_commit<transfer_result>(
          self, link,
          make_error(error_code::insufficient_funds,
                     "account " + t.from + " holds less than " + std::to_string(t.amount),
                     from->second));
    std::int64_t credited = 0;
    if (!checked_add(to->second, t.amount, credited))
      return error_after_commit<transfer_result>(
          self, link, make_error(error_code::limit_exceeded, "transfer would exceed 2^53-1"));
    // All checks passed: both legs happen together, within this one message
    // and in one journal entry.
    from->second -= t.amount;
    to->second = credited;
    transfer_result moved{account{t.from, from->second}, account{t.to, to->second}};
    if (faults::on(faults::fault::split_transfer)) { // the bug: the credit waits
      auto debit = ledger_effect(self->state, {moved.from});
      self->state.deferred.push_back(account_record{moved.to.id, moved.to.balance});
      return after_commit(self, link, std::move(debit), moved);
    }
    return after_commit(self, link, ledger_effect(self->state, {moved.from, moved.to}), moved);
  };
}

bank_actor::behavior_type running_bank(ledger_pointer self) {
  auto& link = self->state.link;
  return {
      open_handler(self),
      [self, &link](deposit_atom, const std::string& id,
                    std::int64_t amount) -> caf::result<account> {
        if (!valid_amount(amount))
          return bad_amount();
        auto& ledger = self->state;
        auto it = ledger.balances.find(id);
        if (it == ledger.balances.end())
          return error_after_commit<account>(self, link, no_such_account(id));
        std::int64_t balance = 0;
        std::int64_t total = 0;
        if (!checked_add(it->second, amount, balance) || !checked_add(ledger.total, amount, total))
          // Tells how full the account is: only once that is durable.
          return error_after_commit<account>(
              self, link, make_error(error_code::limit_exceeded, "deposit would exceed 2^53-1"));
        it->second = balance;
        ledger.total = total;
        account after{id, balance};
        return after_commit(self, link, ledger_effect(self->state, {after}), after);
      },
      [self, &link](withdraw_atom, const std::string& id,
                    std::int64_t amount) -> caf::result<account> {
        if (!valid_amount(amount))
          return bad_amount();
        auto& ledger = self->state;
        auto it = ledger.balances.find(id);
        if (it == ledger.balances.end())
          return error_after_commit<account>(self, link, no_such_account(id));
        if (it->second < amount)
          return error_after_commit<account>(
              self, link,
              make_error(error_code::insufficient_funds,
                         "account " + id + " holds less than " + std::to_string(amount),
                         it->second));
        it->second -= amount;
        ledger.total -= amount;
        account after{id, it->second};
        return after_commit(self, link, ledger_effect(self->state, {after}), after);
      },
      balance_handler(self),
      transfer_handler(self),
      snapshot_handler(self),
      page_handler(self),
      [self, &link](stop_atom) -> caf::result<ledger_snapshot> {
        self->become(stopped_bank(self));
        journal_entry entry;
        entry.bank_stopped = true;
        return after_commit(self, link, std::move(entry), page_of(self->state, page_request{}));
      },
      [self](count_atom) { return self->state.balances.size(); },
      drain_handler(self),
      [](fence_atom) { return true; },
      rollback_handler(self),
  };
}

} // namespace

bank_actor::behavior_type journaled_bank(ledger_pointer self, durable_state durable,
                                         journal_link link, std::size_t max_accounts) {
  restore(self->state, durable);
  self->state.link = std::move(link);
  self->state.max_accounts = max_accounts;
  return durable.bank_stopped ? stopped_bank(self) : running_bank(self);
}

bank_actor::behavior_type bank(ledger_pointer self) {
  return journaled_bank(self, durable_state{}, journal_link{}, default_max_entries);
}

} // namespace fridgebank
