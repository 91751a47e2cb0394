#pragma once

// The invariants a load run checks, as plain functions of what it observed,
// so a test can feed them a wrong history and see it caught.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fridgebank::load {

struct check {
  std::string name;
  bool passed = true;
  std::string detail;
};

/// Jepsen's bank test: transfers move money between a fixed set of accounts,
/// so every consistent snapshot of them sums to the same total, and no
/// balance is ever negative.
class snapshot_checker {
public:
  explicit snapshot_checker(std::int64_t expected_total) : expected_total_(expected_total) {}

  /// One snapshot: the balances of all the scenario's accounts at one instant.
  void observe(std::span<const std::int64_t> balances);

  std::uint64_t snapshots() const { return snapshots_; }
  std::vector<check> verdict() const;

private:
  std::int64_t expected_total_;
  std::uint64_t snapshots_ = 0;
  std::uint64_t wrong_totals_ = 0;
  std::optional<std::int64_t> first_wrong_total_;
  std::uint64_t negative_balances_ = 0;
};

/// Whether a count ended where the acknowledged changes put it: `initial +
/// confirmed_change`. A request that got no reply may or may not have taken
/// effect; together such requests widen the window by [unknown_low,
/// unknown_high] (unknown_low <= 0 <= unknown_high).
check conservation(std::string name, std::int64_t initial, std::int64_t confirmed_change,
                   std::int64_t unknown_low, std::int64_t unknown_high, std::int64_t final_value);

/// A count the run changes (a fridge's drinks, a bank's total): the changes
/// acknowledged by a reply, and the bounds of those whose outcome is unknown.
struct tracked_count {
  std::int64_t initial = 0;
  std::int64_t confirmed = 0;
  std::int64_t unknown_low = 0;
  std::int64_t unknown_high = 0;

  void acknowledged(std::int64_t delta) { confirmed += delta; }
  void unknown(std::int64_t delta) { (delta < 0 ? unknown_low : unknown_high) += delta; }
  check judge(std::string name, std::int64_t final_value) const {
    return conservation(std::move(name), initial, confirmed, unknown_low, unknown_high,
                        final_value);
  }
};

/// The seed's polite drinkers: with the atomic `leaveAtLeast` no round may
/// end with an empty fridge. With LOOK-then-TAKE some may: that is the race
/// the scenario shows, reported, not failed.
check polite_rounds(bool atomic, std::uint64_t rounds, std::uint64_t empty_rounds);

} // namespace fridgebank::load
