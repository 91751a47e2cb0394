#pragma once

// Where the journal keeps state: one SQLite database in the data directory.

#include "fridgebank/protocol/journal.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fridgebank {

/// Unix seconds, the clock idempotency records are stamped with.
std::int64_t unix_now();

class store {
public:
  virtual ~store() = default;

  /// Everything on disk.
  virtual caf::expected<durable_state> load() = 0;

  /// Applies `batch` in order as one transaction: every later `load()`
  /// sees it, but it is durable only once a `sync()` called after this
  /// returned has returned. On error nothing of the batch is applied.
  virtual caf::error commit(const std::vector<const journal_entry*>& batch) = 0;

  /// Makes every commit that returned before this call durable (fsync).
  /// `lane` 0 is the journal's own thread, 1..sync_lanes its sync lanes
  /// (journal.hpp), which call this while `commit` runs on another thread;
  /// one call per lane at a time. Each lane syncs through a file of its own:
  /// Linux reports a failed writeback once per open file, so a shared one
  /// could tell one lane of the failure and the other "synced". On error,
  /// whether those commits survive a crash is unknown. A store without a
  /// disk has nothing to do.
  virtual caf::error sync(std::size_t lane) {
    (void)lane;
    return {};
  }
};

/// How many fsyncs may be in flight at once, besides the journal's own;
/// each lane is one thread. A disk that syncs in parallel (bench/NOTES.md)
/// then takes a group as soon as it forms instead of after the one before.
inline constexpr std::size_t sync_lanes = 2;

/// Opens (creating if needed) `DATA_DIR/fridgebank.db` in WAL mode, where a
/// commit writes the WAL and `sync()` fdatasyncs it (SQLite's
/// `synchronous=NORMAL` plus one explicit fdatasync per group), after
/// taking an exclusive lock on `DATA_DIR/lock` so two servers never share a
/// data directory. Checks the database's integrity first.
caf::expected<std::unique_ptr<store>> open_sqlite_store(const std::string& data_dir);

/// `db`, with every commit `delay` late (testing the paths a slow disk
/// opens: timeouts while the commit is still to come). No delay: `db` itself.
std::unique_ptr<store> with_commit_delay(std::unique_ptr<store> db,
                                         std::chrono::milliseconds delay);

/// A store that keeps nothing, for `--in-memory`: a journal over it still
/// answers Idempotency-Keys for as long as the process runs.
std::unique_ptr<store> make_memory_store();

} // namespace fridgebank
