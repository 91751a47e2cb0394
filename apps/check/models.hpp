#pragma once

// The sequential specifications the checker holds a history against, read
// from API.md (not from the server's code: the checker must judge any server
// that follows the contract). A model says, for a state and an operation
// with its observed reply, whether the operation can take effect there, and
// the state after it. An operation without a definite reply (none, or a
// 5xx) may take effect wherever its effect is legal, or never.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fridgebank::check {

/// When an operation was in flight, and whether its reply is definite.
struct timing {
  std::int64_t call = 0;
  std::int64_t returned = 0;
  bool answered = false;  // false: it may or may not have taken effect
  std::size_t source = 0; // index of its line in the history
  std::int64_t client = 0;
};

inline constexpr std::int64_t max_safe = (std::int64_t{1} << 53) - 1;

struct fridge_model {
  struct state {
    bool exists = false;
    bool stopped = false;
    std::int64_t drinks = 0;
    bool operator==(const state&) const = default;
  };
  enum class kind : std::uint8_t { create, drink, look, stop };
  struct op {
    timing when;
    kind what = kind::look;
    std::int64_t amount = 0; // create: drinks; drink: drinksRequested
    std::int64_t keep = 0;   // drink: leaveAtLeast
    unsigned status = 0;     // the definite reply's status
    std::string error;       // its error code, if any
    std::int64_t taken = 0, left = 0;
    bool stopped = false;
  };
  static std::optional<state> step(const state& s, const op& o);
  static std::string describe(const op& o);
  static std::string describe(const state& s);
  static std::size_t hash(const state& s);
  /// The states `ops` could have started from, as their replies imply (to
  /// tell operations that cannot be ordered from any start).
  static std::vector<state> starts(const std::vector<op>& ops);
};

struct bank_model {
  struct state {
    std::map<std::string, std::int64_t> balances;
    bool stopped = false;
    bool operator==(const state&) const = default;
  };
  enum class kind : std::uint8_t { open, deposit, withdraw, balance, transfer, snapshot, stop };
  struct op {
    timing when;
    kind what = kind::balance;
    std::string id, to;
    std::int64_t amount = 0;
    unsigned status = 0;
    std::string error;        // the reply's error code
    std::int64_t balance = 0; // the reply's balance (of `id`, or `from`)
    std::int64_t to_balance = 0;
    /// snapshot and stop: the listed balances; `whole` when they are every
    /// account (one page), else only a page of them. `total` is the ledger's.
    std::vector<std::pair<std::string, std::int64_t>> listed;
    bool whole = true;
    bool listing = false; // the reply carried "accounts"
    std::int64_t total = 0;
  };
  static std::optional<state> step(const state& s, const op& o);
  static std::string describe(const op& o);
  static std::string describe(const state& s);
  static std::size_t hash(const state& s);
  /// The state `ops` imply they started from: each account's balance as the
  /// first reply that shows it implies, stopped or not.
  static std::vector<state> starts(const std::vector<op>& ops);
};

} // namespace fridgebank::check
