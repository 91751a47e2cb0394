#include "check/models.hpp"

#include <algorithm>
#include <functional>

namespace fridgebank::check {

namespace {

/// API.md's drink: `n > 0` takes min(n, max(0, left - keep)), `n < 0` loads
/// -n (refused whole past 2^53-1), `n == 0` looks. {taken, left} or none.
std::optional<std::pair<std::int64_t, std::int64_t>> drink(std::int64_t left, std::int64_t n,
                                                           std::int64_t keep) {
  if (n > 0) {
    auto taken = std::min(n, std::max<std::int64_t>(0, left - keep));
    return std::make_pair(taken, left - taken);
  }
  if (n < 0) {
    if (left > max_safe + n)
      return std::nullopt; // limit_exceeded
    return std::make_pair(n, left - n);
  }
  return std::make_pair(std::int64_t{0}, left);
}

void hash_combine(std::size_t& seed, std::size_t value) {
  seed ^= value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
}

} // namespace

// -- the fridge ----------------------------------------------------------------

std::optional<fridge_model::state> fridge_model::step(const state& s, const op& o) {
  auto next = s;
  bool open = s.exists && !s.stopped;
  if (!o.when.answered) { // the effect, wherever it is legal
    if (o.what == kind::create && !s.exists)
      next = state{true, false, o.amount};
    else if (o.what == kind::drink && open)
      if (auto r = drink(s.drinks, o.amount, o.keep))
        next.drinks = r->second;
    if (o.what == kind::stop && s.exists)
      next.stopped = true;
    return next;
  }
  switch (o.what) {
  case kind::create:
    if (o.status == 201)
      return s.exists || o.left != o.amount ? std::nullopt
                                            : std::optional{state{true, false, o.amount}};
    if (o.status == 409)
      return s.exists ? std::optional{s} : std::nullopt;
    return s; // a refusal of the request itself (400, 422): nothing changes
  case kind::drink: {
    if (o.status == 404)
      return s.exists ? std::nullopt : std::optional{s};
    if (o.status == 410)
      return s.exists && s.stopped ? std::optional{s} : std::nullopt;
    if (o.amount < 0 && o.keep != 0) // leaveAtLeast with a load: a bad request, always
      return o.status == 400 ? std::optional{s} : std::nullopt;
    auto r = drink(s.drinks, o.amount, o.keep);
    if (o.status == 422 && o.error == "limit_exceeded")
      return open && !r ? std::optional{s} : std::nullopt;
    if (o.status != 200)
      return s; // refused for what the request is (400, a reused key): nothing changed
    if (!open || !r || r->first != o.taken || r->second != o.left)
      return std::nullopt;
    next.drinks = o.left;
    return next;
  }
  case kind::look: // a GET always shows the state, a stopped fridge's too
    if (o.status == 404)
      return s.exists ? std::nullopt : std::optional{s};
    if (o.status != 200)
      return o.status == 410 ? std::nullopt : std::optional{s};
    return s.exists && s.drinks == o.left && s.stopped == o.stopped ? std::optional{s}
                                                                    : std::nullopt;
  case kind::stop:
    if (o.status == 404)
      return s.exists ? std::nullopt : std::optional{s};
    if (o.status != 200)
      return s;
    if (!s.exists || s.drinks != o.left || !o.stopped)
      return std::nullopt;
    next.stopped = true;
    return next;
  }
  return std::nullopt;
}

std::string fridge_model::describe(const op& o) {
  std::string text;
  switch (o.what) {
  case kind::create:
    text = "create(" + std::to_string(o.amount) + ")";
    break;
  case kind::drink:
    text = "drink(" + std::to_string(o.amount) +
           (o.keep ? ", leave " + std::to_string(o.keep) : "") + ")";
    break;
  case kind::look:
    text = "look";
    break;
  case kind::stop:
    text = "stop";
    break;
  }
  if (!o.when.answered)
    return text + " -> no reply";
  text += " -> " + std::to_string(o.status);
  if (o.status == 200 && o.what == kind::drink)
    text += " {taken " + std::to_string(o.taken) + ", left " + std::to_string(o.left) + "}";
  else if (o.status == 200)
    text += " {left " + std::to_string(o.left) + (o.stopped ? ", stopped}" : "}");
  return text;
}

std::string fridge_model::describe(const state& s) {
  if (!s.exists)
    return "no fridge";
  return std::to_string(s.drinks) + " drinks" + (s.stopped ? ", stopped" : "");
}

std::size_t fridge_model::hash(const state& s) {
  return std::hash<std::int64_t>{}(s.drinks) * 4 + (s.exists ? 2 : 0) + (s.stopped ? 1 : 0);
}

std::vector<fridge_model::state> fridge_model::starts(const std::vector<op>& ops) {
  std::vector<state> out{state{}};
  auto add = [&](std::int64_t drinks) {
    for (bool stopped : {false, true})
      if (std::find(out.begin(), out.end(), state{true, stopped, drinks}) == out.end())
        out.push_back(state{true, stopped, drinks});
  };
  add(0);
  for (const auto& o : ops)
    if (o.when.answered && o.status == 200)
      add(o.left + (o.what == kind::drink ? o.taken : 0)); // the drinks before it
  return out;
}

// -- the bank ------------------------------------------------------------------

namespace {

using bank_state = bank_model::state;
using bank_op = bank_model::op;

std::int64_t ledger_total(const bank_state& s) {
  std::int64_t sum = 0;
  for (const auto& [id, balance] : s.balances)
    sum += balance;
  return sum;
}

/// Whether `listed` (and `total`) is what `s` holds: all of it, or a page.
bool shows(const bank_state& s, const bank_op& o) {
  std::int64_t sum = 0;
  for (const auto& [id, balance] : s.balances)
    sum += balance;
  if (sum != o.total)
    return false;
  if (o.whole && o.listed.size() != s.balances.size())
    return false;
  for (const auto& [id, balance] : o.listed) {
    auto it = s.balances.find(id);
    if (it == s.balances.end() || it->second != balance)
      return false;
  }
  return true;
}

/// The effect of a write that succeeds in `s`, or none when it cannot.
std::optional<bank_state> effect(const bank_state& s, const bank_op& o) {
  using kind = bank_model::kind;
  auto next = s;
  auto& b = next.balances;
  auto from = b.find(o.id);
  switch (o.what) {
  case kind::open:
    if (s.stopped || from != b.end())
      return std::nullopt;
    b.emplace(o.id, 0);
    return next;
  case kind::deposit:
    if (s.stopped || from == b.end() || from->second > max_safe - o.amount ||
        ledger_total(s) > max_safe - o.amount) // no ledger total past 2^53-1 either
      return std::nullopt;
    from->second += o.amount;
    return next;
  case kind::withdraw:
    if (s.stopped || from == b.end() || from->second < o.amount)
      return std::nullopt;
    from->second -= o.amount;
    return next;
  case kind::transfer: {
    auto to = b.find(o.to);
    if (s.stopped || from == b.end() || to == b.end() || o.id == o.to || from->second < o.amount ||
        to->second > max_safe - o.amount)
      return std::nullopt;
    from->second -= o.amount;
    to->second += o.amount;
    return next;
  }
  case kind::stop:
    next.stopped = true;
    return next;
  default:
    return next; // reads change nothing
  }
}

std::int64_t balance_of(const bank_state& s, const std::string& id) {
  auto it = s.balances.find(id);
  return it == s.balances.end() ? -1 : it->second;
}

} // namespace

std::optional<bank_model::state> bank_model::step(const state& s, const op& o) {
  if (!o.when.answered) {
    auto next = effect(s, o);
    return next ? next : std::optional{s};
  }
  bool has = s.balances.count(o.id) != 0;
  bool both = has && s.balances.count(o.to) != 0;
  if (o.status == 404)
    return (o.what == kind::transfer ? !both : !has) ? std::optional{s} : std::nullopt;
  if (o.status == 410)
    return s.stopped && o.what != kind::balance && o.what != kind::snapshot ? std::optional{s}
                                                                            : std::nullopt;
  switch (o.what) {
  case kind::open: // API.md leaves open after the pill to the server: 410, or a 0 balance
    if (o.status == 409)
      return has ? std::optional{s} : std::nullopt;
    if (o.status == 201) {
      if (has)
        return std::nullopt;
      auto next = s;
      next.balances.emplace(o.id, 0);
      return next;
    }
    return s;
  case kind::deposit:
  case kind::withdraw:
  case kind::transfer: {
    if (o.status == 409 && o.error == "insufficient_funds") {
      // Which refusal comes first when `to` is missing is the server's choice.
      bool short_of = o.what != kind::deposit && has && !s.stopped &&
                      balance_of(s, o.id) < o.amount && balance_of(s, o.id) == o.balance;
      return short_of ? std::optional{s} : std::nullopt;
    }
    if (o.status == 422 && o.error == "limit_exceeded") {
      bool too_much = o.what != kind::withdraw && (o.what == kind::transfer ? both : has) &&
                      !s.stopped && !effect(s, o);
      return too_much ? std::optional{s} : std::nullopt;
    }
    if (o.status != 200)
      return s;
    auto next = effect(s, o);
    if (!next || balance_of(*next, o.id) != o.balance ||
        (o.what == kind::transfer && balance_of(*next, o.to) != o.to_balance))
      return std::nullopt;
    return next;
  }
  case kind::balance:
    if (o.status != 200)
      return s;
    return has && balance_of(s, o.id) == o.balance ? std::optional{s} : std::nullopt;
  case kind::snapshot:
  case kind::stop:
    if (o.status != 200)
      return s;
    // The pill's reply is the final snapshot here; API.md does not say so.
    if (!(o.what == kind::stop && !o.listing) && !shows(s, o))
      return std::nullopt;
    return o.what == kind::stop ? effect(s, o) : std::optional{s};
  }
  return std::nullopt;
}

std::string bank_model::describe(const op& o) {
  static const char* names[] = {"open",     "deposit",  "withdraw", "balance",
                                "transfer", "snapshot", "stop"};
  std::string text = names[static_cast<int>(o.what)];
  if (o.what == kind::transfer)
    text += "(" + o.id + " -> " + o.to + ", " + std::to_string(o.amount) + ")";
  else if (o.what == kind::deposit || o.what == kind::withdraw)
    text += "(" + o.id + ", " + std::to_string(o.amount) + ")";
  else if (o.what == kind::open || o.what == kind::balance)
    text += "(" + o.id + ")";
  if (!o.when.answered)
    return text + " -> no reply";
  text += " -> " + std::to_string(o.status);
  if (!o.error.empty())
    text += " " + o.error;
  if (o.what == kind::snapshot || o.what == kind::stop)
    text += " {" + std::to_string(o.listed.size()) + " accounts, total " + std::to_string(o.total) +
            "}";
  else if (o.status == 200 || o.error == "insufficient_funds")
    text += " {balance " + std::to_string(o.balance) +
            (o.what == kind::transfer && o.status == 200 ? ", to " + std::to_string(o.to_balance)
                                                         : "") +
            "}";
  return text;
}

std::string bank_model::describe(const state& s) {
  std::string text = s.stopped ? "stopped; " : "";
  std::size_t shown = 0;
  for (const auto& [id, balance] : s.balances) {
    if (shown++ == 8) {
      text += "... (" + std::to_string(s.balances.size()) + " accounts)";
      break;
    }
    text += id + "=" + std::to_string(balance) + " ";
  }
  return s.balances.empty() ? text + "no accounts" : text;
}

std::vector<bank_model::state> bank_model::starts(const std::vector<op>& ops) {
  auto sorted = ops;
  std::sort(sorted.begin(), sorted.end(),
            [](const op& a, const op& b) { return a.when.call < b.when.call; });
  state implied;
  auto learn = [&](const std::string& id, std::int64_t before) {
    if (!id.empty())
      implied.balances.emplace(id, before); // the first reply wins
  };
  for (const auto& o : sorted) {
    if (!o.when.answered)
      continue;
    if (o.status == 200) {
      switch (o.what) {
      case kind::deposit:
        learn(o.id, o.balance - o.amount);
        break;
      case kind::withdraw:
        learn(o.id, o.balance + o.amount);
        break;
      case kind::balance:
        learn(o.id, o.balance);
        break;
      case kind::transfer:
        learn(o.id, o.balance + o.amount);
        learn(o.to, o.to_balance - o.amount);
        break;
      case kind::snapshot:
      case kind::stop:
        for (const auto& [id, balance] : o.listed)
          learn(id, balance);
        break;
      default:
        break;
      }
    } else if (o.error == "insufficient_funds") {
      learn(o.id, o.balance);
    }
  }
  auto stopped = implied;
  stopped.stopped = true;
  return {implied, stopped};
}

std::size_t bank_model::hash(const state& s) {
  std::size_t seed = s.stopped ? 1 : 0;
  for (const auto& [id, balance] : s.balances) {
    hash_combine(seed, std::hash<std::string>{}(id));
    hash_combine(seed, std::hash<std::int64_t>{}(balance));
  }
  return seed;
}

} // namespace fridgebank::check
