#pragma once

// The send times of an open-loop run. Request i is due at start + i / rate,
// whatever became of the requests before it, and its latency is measured from
// that intended time. A server that stalls for a second then shows a second
// of latency on every request that should have gone out meanwhile, instead
// of a client that politely waited and sent fewer (coordinated omission).

#include <chrono>
#include <cstdint>
#include <deque>

namespace fridgebank::load {

using clock = std::chrono::steady_clock;

class open_loop_schedule {
public:
  open_loop_schedule(clock::time_point start, double requests_per_second);

  /// Appends the intended send time of every request due by `now` and not
  /// yet released to `due`, in order.
  void release_due(clock::time_point now, std::deque<clock::time_point>& due);

  /// When the next unreleased request is due.
  clock::time_point next_due() const { return intended(released_); }

  std::uint64_t released() const { return released_; }

private:
  clock::time_point intended(std::uint64_t i) const;

  clock::time_point start_;
  double rate_;
  std::uint64_t released_ = 0;
};

} // namespace fridgebank::load
