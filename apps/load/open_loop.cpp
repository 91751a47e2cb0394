#include "load/open_loop.hpp"

namespace fridgebank::load {

open_loop_schedule::open_loop_schedule(clock::time_point start, double requests_per_second)
    : start_(start), rate_(requests_per_second) {}

clock::time_point open_loop_schedule::intended(std::uint64_t i) const {
  // Computed from i each time, not by adding intervals, so rounding never accumulates.
  auto offset = std::chrono::duration<double>(static_cast<double>(i) / rate_);
  return start_ + std::chrono::round<clock::duration>(offset);
}

void open_loop_schedule::release_due(clock::time_point now, std::deque<clock::time_point>& due) {
  for (auto next = intended(released_); next <= now; next = intended(released_)) {
    due.push_back(next);
    ++released_;
  }
}

} // namespace fridgebank::load
