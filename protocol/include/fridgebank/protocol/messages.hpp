#pragma once

// The vocabulary between clients and actors. Plain immutable values: nothing
// here refers to another object, so a message can be copied to another actor
// or serialised to another node without sharing state.

#include "fridgebank/protocol/limits.hpp"

#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace fridgebank {

/// The seed's DrinkRequest: take `drinks_requested` (> 0), load
/// `-drinks_requested` (< 0) or only look (0). With `leave_at_least` k the
/// fridge takes `min(n, max(0, left - k))`, decided atomically. k = 0 is the
/// plain take.
struct drink_request {
  std::int64_t drinks_requested = 0;
  std::int64_t leave_at_least = 0;
  bool operator==(const drink_request&) const = default;
};

/// The seed's FridgeResult.
struct fridge_result {
  std::int64_t drinks_taken_or_added = 0;
  std::int64_t drinks_left_in_fridge = 0;
  bool operator==(const fridge_result&) const = default;
};

/// What `GET /fridges/{name}` shows.
struct fridge_state {
  std::string name;
  std::int64_t drinks_left_in_fridge = 0;
  bool stopped = false;
  bool operator==(const fridge_state&) const = default;
};

/// One page of a listing sorted by name (GET /fridges, GET /accounts): at
/// most `limit` entries whose names come after `after` (from the first when
/// empty; names are never empty).
struct page_request {
  std::string after;
  std::uint32_t limit = default_page_limit;
};

/// A page of fridges; `next` is the `after` of the following page, empty on
/// the last one.
struct fridge_list {
  std::vector<fridge_state> fridges;
  std::string next;
};

struct new_fridge {
  std::string name;
  std::int64_t drinks = 0;
};

struct account {
  std::string id;
  std::int64_t balance = 0;
  bool operator==(const account&) const = default;
};

struct transfer_request {
  std::string from;
  std::string to;
  std::int64_t amount = 0;
};

struct transfer_result {
  account from;
  account to;
};

/// One consistent view of (a page of) the ledger at one instant: `total` is
/// the sum of every balance of the ledger then, on a page that holds them
/// all exactly the listed ones; `next` as in `fridge_list`.
struct ledger_snapshot {
  std::vector<account> accounts;
  std::int64_t total = 0;
  std::string next;
};

// -- inspection (CAF 0.17 style) ---------------------------------------------

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, drink_request& x) {
  return f(caf::meta::type_name("drink_request"), x.drinks_requested, x.leave_at_least);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, fridge_result& x) {
  return f(caf::meta::type_name("fridge_result"), x.drinks_taken_or_added, x.drinks_left_in_fridge);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, fridge_state& x) {
  return f(caf::meta::type_name("fridge_state"), x.name, x.drinks_left_in_fridge, x.stopped);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, fridge_list& x) {
  return f(caf::meta::type_name("fridge_list"), x.fridges, x.next);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, page_request& x) {
  return f(caf::meta::type_name("page_request"), x.after, x.limit);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, new_fridge& x) {
  return f(caf::meta::type_name("new_fridge"), x.name, x.drinks);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, account& x) {
  return f(caf::meta::type_name("account"), x.id, x.balance);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transfer_request& x) {
  return f(caf::meta::type_name("transfer_request"), x.from, x.to, x.amount);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, transfer_result& x) {
  return f(caf::meta::type_name("transfer_result"), x.from, x.to);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ledger_snapshot& x) {
  return f(caf::meta::type_name("ledger_snapshot"), x.accounts, x.total, x.next);
}

} // namespace fridgebank
