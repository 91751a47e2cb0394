#pragma once

// Counters for /metrics. Filled from every I/O thread at once, so they are
// atomics (and a Boost.Histogram with thread-safe counts), never locks.

#include "fridgebank/net/http.hpp"
#include "fridgebank/protocol/journal.hpp"

#include <array>
#include <atomic>
#include <boost/histogram.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fridgebank::net {

/// A latency histogram in seconds, safe to fill from many threads.
class latency_histogram {
public:
  latency_histogram();
  void record(std::chrono::nanoseconds elapsed);
  /// Prometheus text for metric `name` (cumulative `le` buckets, sum, count).
  void render(std::string& out, std::string_view name, std::string_view help) const;
  /// Counts per bucket, the one below the first edge first and the one above
  /// the last edge last; two of them subtracted are a window.
  std::vector<std::uint64_t> counts() const;
  /// The upper edge in seconds of the bucket that holds quantile `q` of
  /// `window` (a difference of two `counts()`): an upper bound, as precise
  /// as the buckets; 0 for an empty window.
  double quantile(const std::vector<std::uint64_t>& window, double q) const;

private:
  using storage =
      boost::histogram::dense_storage<boost::histogram::accumulators::count<std::uint64_t, true>>;
  using axis = boost::histogram::axis::variable<double>;
  boost::histogram::histogram<std::tuple<axis>, storage> hist_;
  std::atomic<std::uint64_t> sum_ns_{0};
};

class metrics {
public:
  /// `routes` are the labels (route patterns); index `routes.size()` counts
  /// requests that matched none.
  explicit metrics(std::vector<std::string> routes);

  void record(std::size_t route, http::status status, std::chrono::nanoseconds elapsed);
  void connection_opened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t open_connections() const {
    return open_connections_.load(std::memory_order_relaxed);
  }

  std::size_t unmatched_route() const { return routes_.size(); }

  /// Every request answered so far, and their latencies.
  std::uint64_t requests() const;
  const latency_histogram& latency() const { return latency_; }

  /// Counts the access log's dropped lines in what `render` shows.
  void watch(const std::atomic<std::uint64_t>* access_log_dropped) {
    access_log_dropped_ = access_log_dropped;
  }

  /// Everything as Prometheus text; the actors' figures come from the caller.
  std::string render(std::size_t fridge_actors, std::size_t accounts,
                     const journal_stats* journal) const;

private:
  static constexpr std::array<unsigned, 17> statuses{200, 201, 202, 400, 401, 404, 405, 409, 410,
                                                     413, 415, 422, 431, 500, 503, 504, 0};
  static std::size_t status_index(unsigned status);

  std::vector<std::string> routes_;
  // (routes + 1) x statuses counters, flattened.
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  latency_histogram latency_;
  std::atomic<std::int64_t> open_connections_{0};
  const std::atomic<std::uint64_t>* access_log_dropped_ = nullptr;
};

} // namespace fridgebank::net
