#include "load/latency.hpp"

#include <algorithm>
#include <cmath>

namespace fridgebank::load {

namespace {
constexpr double smallest_ns = 1e3; // 1 µs
constexpr double largest_ns = 1e11; // 100 s
constexpr unsigned bin_count = 1000;
} // namespace

latency_histogram::latency_histogram()
    : bins_(boost::histogram::make_histogram_with(boost::histogram::unlimited_storage<>(),
                                                  axis(bin_count, smallest_ns, largest_ns))) {}

void latency_histogram::record(std::chrono::nanoseconds latency) {
  latency = std::max(latency, std::chrono::nanoseconds{0});
  bins_(static_cast<double>(latency.count()));
  ++count_;
  max_ = std::max(max_, latency);
  min_ = std::min(min_, latency);
  sum_ns_ += static_cast<long double>(latency.count());
}

void latency_histogram::merge(const latency_histogram& other) {
  bins_ += other.bins_;
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
  sum_ns_ += other.sum_ns_;
}

std::chrono::nanoseconds latency_histogram::mean() const {
  if (count_ == 0)
    return std::chrono::nanoseconds{0};
  return std::chrono::nanoseconds{static_cast<std::int64_t>(sum_ns_ / count_)};
}

std::chrono::nanoseconds latency_histogram::percentile(double q) const {
  if (count_ == 0)
    return std::chrono::nanoseconds{0};
  // The rank of the sample we want, 1-based: q = 0.5 of 10 samples is the 5th.
  auto rank = static_cast<std::uint64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * count_));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (auto&& bin : boost::histogram::indexed(bins_, boost::histogram::coverage::all)) {
    seen += static_cast<std::uint64_t>(*bin);
    if (seen >= rank) {
      if (bin.index() < 0) // under 1 µs: the smallest sample is the honest answer
        return min_;
      if (bin.index() >= static_cast<int>(bin_count)) // over 100 s
        return max_;
      auto edge = std::chrono::nanoseconds{static_cast<std::int64_t>(std::ceil(bin.bin().upper()))};
      return std::min(edge, max_);
    }
  }
  return max_;
}

} // namespace fridgebank::load
