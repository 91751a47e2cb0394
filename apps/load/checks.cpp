#include "load/checks.hpp"

#include <numeric>

namespace fridgebank::load {

void snapshot_checker::observe(std::span<const std::int64_t> balances) {
  ++snapshots_;
  auto total = std::accumulate(balances.begin(), balances.end(), std::int64_t{0});
  if (total != expected_total_) {
    ++wrong_totals_;
    if (!first_wrong_total_)
      first_wrong_total_ = total;
  }
  for (auto balance : balances)
    if (balance < 0)
      ++negative_balances_;
}

std::vector<check> snapshot_checker::verdict() const {
  check totals{"every snapshot total is " + std::to_string(expected_total_), wrong_totals_ == 0,
               std::to_string(snapshots_) + " snapshots"};
  if (first_wrong_total_)
    totals.detail += ", " + std::to_string(wrong_totals_) +
                     " wrong (first: " + std::to_string(*first_wrong_total_) + ")";
  check negatives{"no negative balance", negative_balances_ == 0,
                  std::to_string(negative_balances_) + " negative balances seen"};
  return {totals, negatives};
}

check conservation(std::string name, std::int64_t initial, std::int64_t confirmed_change,
                   std::int64_t unknown_low, std::int64_t unknown_high, std::int64_t final_value) {
  auto expected = initial + confirmed_change;
  auto low = expected + unknown_low;
  auto high = expected + unknown_high;
  std::string detail = "final " + std::to_string(final_value) + ", expected ";
  if (low == high)
    detail += std::to_string(expected);
  else
    detail += std::to_string(low) + ".." + std::to_string(high) + " (requests without reply)";
  return {std::move(name), low <= final_value && final_value <= high, std::move(detail)};
}

check polite_rounds(bool atomic, std::uint64_t rounds, std::uint64_t empty_rounds) {
  auto detail = std::to_string(empty_rounds) + " of " + std::to_string(rounds) +
                " rounds ended with an empty fridge";
  if (atomic)
    return {"leaveAtLeast never empties the fridge", empty_rounds == 0, detail};
  return {"LOOK-then-TAKE (the race, reported)", true, detail};
}

} // namespace fridgebank::load
