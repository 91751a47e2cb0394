#pragma once

// A latency distribution on Boost.Histogram. Bins are log-spaced from 1 µs to
// 100 s, each about 1.9 % wider than the last, so every percentile is within
// 2 % of the truth whether the server answers in microseconds or seconds, in
// a few kilobytes whatever the number of samples.

#include <boost/histogram.hpp>
#include <chrono>
#include <cstdint>

namespace fridgebank::load {

class latency_histogram {
public:
  latency_histogram();

  void record(std::chrono::nanoseconds latency);
  void merge(const latency_histogram& other);

  std::uint64_t count() const { return count_; }
  std::chrono::nanoseconds max() const { return max_; }
  std::chrono::nanoseconds mean() const;

  /// The latency at or under which a fraction `q` (in (0, 1]) of the samples
  /// lie: the upper edge of the bin that holds that sample, never more than
  /// the largest sample. Zero when there are no samples.
  std::chrono::nanoseconds percentile(double q) const;

private:
  using axis = boost::histogram::axis::regular<double, boost::histogram::axis::transform::log>;
  using histogram =
      boost::histogram::histogram<std::tuple<axis>, boost::histogram::unlimited_storage<>>;

  histogram bins_;
  std::uint64_t count_ = 0;
  std::chrono::nanoseconds max_{0};
  std::chrono::nanoseconds min_{std::chrono::nanoseconds::max()};
  long double sum_ns_ = 0;
};

} // namespace fridgebank::load
