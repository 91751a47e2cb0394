#include "fridgebank/net/metrics.hpp"

#include "fridgebank/protocol/version.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

namespace fridgebank::net {

namespace bh = boost::histogram;

latency_histogram::latency_histogram()
    : hist_(bh::make_histogram_with(storage{},
                                    axis{{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                          0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0}})) {}

void latency_histogram::record(std::chrono::nanoseconds elapsed) {
  hist_(std::chrono::duration<double>(elapsed).count());
  sum_ns_.fetch_add(static_cast<std::uint64_t>(elapsed.count()), std::memory_order_relaxed);
}

void latency_histogram::render(std::string& out, std::string_view name,
                               std::string_view help) const {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " histogram\n";
  std::uint64_t cumulative = 0;
  // Index -1 is underflow (below the first edge): it belongs to every bucket.
  cumulative += static_cast<std::uint64_t>(hist_.at(-1).value());
  const auto& ax = hist_.axis();
  for (int i = 0; i < ax.size(); ++i) {
    cumulative += static_cast<std::uint64_t>(hist_.at(i).value());
    out += std::string{name} + "_bucket{le=\"" + std::to_string(ax.value(i + 1)) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += static_cast<std::uint64_t>(hist_.at(ax.size()).value());
  out += std::string{name} + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  out += std::string{name} + "_sum " +
         std::to_string(static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9) + "\n";
  out += std::string{name} + "_count " + std::to_string(cumulative) + "\n";
}

std::vector<std::uint64_t> latency_histogram::counts() const {
  std::vector<std::uint64_t> out;
  const auto n = hist_.axis().size();
  out.reserve(static_cast<std::size_t>(n) + 2);
  for (int i = -1; i <= n; ++i)
    out.push_back(static_cast<std::uint64_t>(hist_.at(i).value()));
  return out;
}

double latency_histogram::quantile(const std::vector<std::uint64_t>& window, double q) const {
  std::uint64_t total = 0;
  for (auto n : window)
    total += n;
  if (total == 0)
    return 0;
  const auto& ax = hist_.axis();
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < window.size(); ++i) {
    seen += window[i];
    if (seen >= rank) // bucket i is axis bin i - 1; its upper edge is value(i)
      return ax.value(static_cast<int>(std::min<std::size_t>(i, ax.size())));
  }
  return ax.value(ax.size());
}

std::uint64_t metrics::requests() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < (routes_.size() + 1) * statuses.size(); ++i)
    total += counts_[i].load(std::memory_order_relaxed);
  return total;
}

metrics::metrics(std::vector<std::string> routes)
    : routes_(std::move(routes)), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(
                                      (routes_.size() + 1) * statuses.size())) {}

std::size_t metrics::status_index(unsigned status) {
  for (std::size_t i = 0; i + 1 < statuses.size(); ++i)
    if (statuses[i] == status)
      return i;
  return statuses.size() - 1; // "other"
}

void metrics::record(std::size_t route, http::status status, std::chrono::nanoseconds elapsed) {
  auto cell = route * statuses.size() + status_index(static_cast<unsigned>(status));
  counts_[cell].fetch_add(1, std::memory_order_relaxed);
  latency_.record(elapsed);
}

namespace {

/// A Prometheus summary without quantiles: the rate of _sum over _count is
/// the mean time.
void summary(std::string& out, std::string_view name, std::string_view help,
             std::uint64_t nanoseconds, std::uint64_t count) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
  out.append(name).append(" summary\n").append(name).append("_sum ");
  out.append(std::to_string(static_cast<double>(nanoseconds) / 1e9)).append("\n");
  out.append(name).append("_count ").append(std::to_string(count)).append("\n");
}

} // namespace

std::string metrics::render(std::size_t fridge_actors, std::size_t accounts,
                            const journal_stats* journal) const {
  std::string out;
  out.reserve(4096);
  out += "# HELP fridgebank_build_info The running release (always 1).\n"
         "# TYPE fridgebank_build_info gauge\n"
         "fridgebank_build_info{version=\"" +
         std::string{version} + "\"} 1\n";
  out += "# HELP fridgebank_http_requests_total HTTP requests by route and status.\n"
         "# TYPE fridgebank_http_requests_total counter\n";
  for (std::size_t r = 0; r <= routes_.size(); ++r) {
    const std::string& label = r < routes_.size() ? routes_[r] : std::string{"unmatched"};
    for (std::size_t s = 0; s < statuses.size(); ++s) {
      auto n = counts_[r * statuses.size() + s].load(std::memory_order_relaxed);
      if (n == 0)
        continue;
      out += "fridgebank_http_requests_total{route=\"" + label + "\",status=\"" +
             (statuses[s] ? std::to_string(statuses[s]) : std::string{"other"}) + "\"} " +
             std::to_string(n) + "\n";
    }
  }
  latency_.render(out, "fridgebank_http_request_duration_seconds",
                  "Time from a parsed request to its reply being ready.");
  out += "# HELP fridgebank_open_connections Open HTTP connections.\n"
         "# TYPE fridgebank_open_connections gauge\n"
         "fridgebank_open_connections " +
         std::to_string(open_connections()) + "\n";
  if (access_log_dropped_)
    out += "# HELP fridgebank_access_log_dropped_total Access log lines dropped (its queue was "
           "full).\n"
           "# TYPE fridgebank_access_log_dropped_total counter\n"
           "fridgebank_access_log_dropped_total " +
           std::to_string(access_log_dropped_->load(std::memory_order_relaxed)) + "\n";
  out += "# HELP fridgebank_fridge_actors Live (not stopped) fridges, resting or awake.\n"
         "# TYPE fridgebank_fridge_actors gauge\n"
         "fridgebank_fridge_actors " +
         std::to_string(fridge_actors) + "\n";
  out += "# HELP fridgebank_accounts Accounts in the ledger.\n"
         "# TYPE fridgebank_accounts gauge\n"
         "fridgebank_accounts " +
         std::to_string(accounts) + "\n";
  if (journal) {
    // Entries over commits is the mean batch size.
    summary(out, "fridgebank_journal_commit_seconds",
            "Time spent writing journal commits (their fsync is fridgebank_journal_sync_seconds).",
            journal->commit_nanoseconds, journal->commits);
    summary(out, "fridgebank_journal_sync_seconds",
            "Time spent in fsyncs making commits durable (up to two run at once, each covering "
            "every commit before it).",
            journal->sync_nanoseconds, journal->syncs);
    out += "# HELP fridgebank_journal_entries_total Requests made durable (group commit batches "
           "them).\n"
           "# TYPE fridgebank_journal_entries_total counter\n"
           "fridgebank_journal_entries_total " +
           std::to_string(journal->entries) + "\n";
    out +=
        "# HELP fridgebank_journal_failed_commits_total Commits that failed and were rolled back.\n"
        "# TYPE fridgebank_journal_failed_commits_total counter\n"
        "fridgebank_journal_failed_commits_total " +
        std::to_string(journal->failed_commits) + "\n";
  }
  return out;
}

} // namespace fridgebank::net
