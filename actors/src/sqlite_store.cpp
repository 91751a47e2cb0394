#include "fridgebank/actors/faults.hpp"
#include "fridgebank/actors/store.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/idempotency.hpp"

#include <array>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <sqlite3.h>
#include <string_view>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <unordered_map>

namespace fridgebank {

namespace {

caf::error storage_error(const std::string& what) {
  return make_error(error_code::internal, what);
}

/// The schema this binary writes (`PRAGMA user_version`). 0: the first
/// layout, whose key records held the whole request as their fingerprint.
/// 1: key records hold its SHA-256 digest.
constexpr int schema_version = 1;

class sqlite_store final : public store {
public:
  ~sqlite_store() override {
    for (auto* stmt : {upsert_fridge_, upsert_account_, stop_bank_, insert_key_, prune_keys_})
      sqlite3_finalize(stmt);
    if (db_)
      sqlite3_close(db_);
    if (file_fd_ >= 0)
      ::close(file_fd_);
    for (int fd : wal_fds_)
      if (fd >= 0)
        ::close(fd);
    if (lock_fd_ >= 0)
      ::close(lock_fd_); // releases the flock
  }

  caf::error open(const std::string& data_dir) {
    auto lock_path = std::filesystem::path{data_dir} / "lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0)
      return storage_error("cannot open " + lock_path.string() + ": " + std::strerror(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
      return storage_error("data directory " + data_dir +
                           " is in use by another fridgebank-server");
    path_ = (std::filesystem::path{data_dir} / "fridgebank.db").string();
    if (auto err = refuse_orphan_wal())
      return err;
    // Created 0600 here, so SQLite's -wal and -shm files (which copy the
    // database's mode) are 0600 too; an older, looser file is tightened.
    // Kept open to notice an unlink.
    file_fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (file_fd_ < 0)
      return storage_error("cannot open " + path_ + ": " + std::strerror(errno));
    ::fchmod(file_fd_, 0600);
    for (auto suffix : {"-wal", "-shm"})
      ::chmod((path_ + suffix).c_str(), 0600);
    for (auto suffix : {"", "-wal"})
      if (auto err = settle(path_ + suffix))
        return err;
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      return failure("cannot open " + path_);
    // integrity first: a damaged file is refused, never "repaired" silently.
    std::string check;
    if (auto err = query_text("PRAGMA quick_check", check))
      return storage_error("database " + path_ + " is unreadable: " + detail_of(err));
    if (check != "ok")
      return storage_error("database " + path_ + " is corrupt: " + check);
    std::string version;
    if (auto err = query_text("PRAGMA user_version", version))
      return err;
    if (std::stoi(version) < 0)
      return storage_error("database " + path_ + " has an unknown schema version " + version);
    if (std::stoi(version) > schema_version)
      return storage_error("database " + path_ + " has schema version " + version +
                           ", newer than this fridgebank-server knows (" +
                           std::to_string(schema_version) + "); use a newer binary");
    if (auto err = create_schema(std::stoi(version)))
      return err;
    wal_identity_ = identity_of(path_ + "-wal"); // the schema's transaction made it
    if (auto err = open_wal(data_dir))           // what SQLite read back was settled above
      return err;
    if (auto err = prepare("INSERT INTO fridges(name, drinks, stopped) VALUES(?1, ?2, ?3)"
                           " ON CONFLICT(name) DO UPDATE SET drinks = ?2, stopped = ?3",
                           upsert_fridge_))
      return err;
    if (auto err = prepare("INSERT INTO accounts(id, balance) VALUES(?1, ?2)"
                           " ON CONFLICT(id) DO UPDATE SET balance = ?2",
                           upsert_account_))
      return err;
    if (auto err = prepare("INSERT OR REPLACE INTO idempotency(key, fingerprint, status, body,"
                           " created) VALUES(?1, ?2, ?3, ?4, ?5)",
                           insert_key_))
      return err;
    if (auto err = prepare("DELETE FROM idempotency WHERE created < ?1", prune_keys_))
      return err;
    if (auto err = prepare("INSERT OR REPLACE INTO bank(id, stopped) VALUES(1, 1)", stop_bank_))
      return err;
    // Expired keys go before anyone can see them.
    if (auto err = exec("BEGIN IMMEDIATE"))
      return err;
    if (auto err = prune())
      return abort(err);
    return exec("COMMIT");
  }

  caf::expected<durable_state> load() override {
    auto state = load_state();
    if (state && faults::on(faults::fault::lose_keys_on_restart))
      state->keys.clear(); // the bug: a retry after a restart runs again
    return state;
  }

  caf::error commit(const std::vector<const journal_entry*>& batch) override {
    if (auto err = still_linked())
      return err;
    return commit_batch(batch);
  }

  /// With `synchronous=NORMAL` a commit only writes the WAL; this is the
  /// fsync `synchronous=FULL` would have made inside it, and one covers
  /// every commit before it. Only the lane's own file is touched: another
  /// thread may be committing.
  caf::error sync(std::size_t lane) override {
    assert(lane < wal_fds_.size()); // the journal has no more lanes than sync_lanes
    if (::fdatasync(wal_fds_[lane]) != 0)
      return storage_error("fdatasync " + path_ + "-wal: " + std::strerror(errno));
    return {};
  }

private:
  /// The tables, and from an older `version` the migration, in one transaction.
  caf::error create_schema(int version) {
    // NORMAL: a commit does not fsync; `sync()` does, outside SQLite.
    // Checkpoints still sync the WAL before and the database after.
    for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"})
      if (auto err = exec(sql))
        return err;
    if (auto err = exec("BEGIN IMMEDIATE"))
      return err;
    for (const char* sql : {
             "CREATE TABLE IF NOT EXISTS fridges(name TEXT PRIMARY KEY, drinks INTEGER NOT NULL,"
             " stopped INTEGER NOT NULL) WITHOUT ROWID",
             "CREATE TABLE IF NOT EXISTS accounts(id TEXT PRIMARY KEY, balance INTEGER NOT NULL)"
             " WITHOUT ROWID",
             "CREATE TABLE IF NOT EXISTS bank(id INTEGER PRIMARY KEY CHECK (id = 1),"
             " stopped INTEGER NOT NULL)",
             "CREATE TABLE IF NOT EXISTS idempotency(key TEXT PRIMARY KEY,"
             " fingerprint BLOB NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,"
             " created INTEGER NOT NULL) WITHOUT ROWID",
             "CREATE INDEX IF NOT EXISTS idempotency_by_age ON idempotency(created)",
         })
      if (auto err = exec(sql))
        return abort(err);
    if (version < 1)
      if (auto err = digest_fingerprints())
        return abort(err);
    if (auto err = exec(("PRAGMA user_version = " + std::to_string(schema_version)).c_str()))
      return abort(err);
    return exec("COMMIT");
  }

  /// Version 0 stored "METHOD TARGET\nBODY" itself: its digest is exactly
  /// what the front end computes now, so old keys still match their retries.
  caf::error digest_fingerprints() {
    sqlite3_stmt* select = nullptr;
    sqlite3_stmt* update = nullptr;
    if (auto err = prepare("SELECT key, fingerprint FROM idempotency", select))
      return err;
    caf::error err = prepare("UPDATE idempotency SET fingerprint = ?2 WHERE key = ?1", update);
    std::vector<std::pair<std::string, std::string>> rows;
    while (!err && sqlite3_step(select) == SQLITE_ROW)
      rows.emplace_back(text(select, 0), blob(select, 1));
    sqlite3_finalize(select);
    for (auto& [key, whole] : rows) {
      if (err)
        break;
      auto digest = digest_of_v0(whole);
      bind_text(update, 1, key);
      sqlite3_bind_blob(update, 2, digest.data(), static_cast<int>(digest.size()), SQLITE_STATIC);
      err = run(update);
    }
    sqlite3_finalize(update);
    return err;
  }

  static std::string digest_of_v0(std::string_view whole) {
    auto line_end = std::min(whole.find('\n'), whole.size());
    auto head = whole.substr(0, line_end);
    auto body = whole.substr(std::min(line_end + 1, whole.size()));
    auto space = std::min(head.find(' '), head.size());
    return idempotency::fingerprint(head.substr(0, space),
                                    head.substr(std::min(space + 1, head.size())), body);
  }

  /// The -wal file without its database: a deleted or moved database whose
  /// recent commits are in the WAL. Starting empty beside it would hide that.
  caf::error refuse_orphan_wal() {
    std::error_code ec;
    if (std::filesystem::exists(path_, ec) || !std::filesystem::exists(path_ + "-wal", ec))
      return {};
    return storage_error(path_ + "-wal exists without its database " + path_ +
                         ": restore the database (from a backup), or remove the -wal and -shm "
                         "files to start empty");
  }

  /// What the page cache holds of `path` is written (frames a killed process
  /// never synced become durable here), then dropped, so SQLite reads what
  /// is on the disk: after a failed fsync Linux keeps the pages it could not
  /// write, marked clean, and a restart would otherwise serve them.
  static caf::error settle(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return errno == ENOENT ? caf::error{}
                             : storage_error("cannot open " + path + ": " + std::strerror(errno));
    int synced = ::fdatasync(fd);
    int error = errno;
    if (synced == 0)
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    if (synced != 0)
      return storage_error("fdatasync " + path + ": " + std::strerror(error));
    return {};
  }

  /// The WAL, opened once more for each sync lane (store.hpp), and the
  /// directory entry that names it made durable (SQLite syncs it only with
  /// FULL).
  caf::error open_wal(const std::string& data_dir) {
    auto wal = path_ + "-wal";
    for (int& fd : wal_fds_) {
      fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return storage_error("cannot open " + wal + ": " + std::strerror(errno));
    }
    int dir = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool synced = dir >= 0 && ::fsync(dir) == 0;
    int error = errno;
    if (dir >= 0)
      ::close(dir);
    if (!synced)
      return storage_error("cannot fsync " + data_dir + ": " + std::strerror(error));
    return {};
  }

  /// Device and inode of `path` (relative to `fd` when `path` is empty),
  /// or zeros when it does not exist or is unlinked. Asks for no times: on
  /// Linux 6.13+ (multigrain timestamps) a stat that reads them makes the
  /// next write stamp a fresh mtime, and an fdatasync on ext4 without a
  /// journal then writes the inode too, a second I/O (bench/NOTES.md).
  static std::pair<dev_t, ino_t> identity_of(const std::string& path, int fd = AT_FDCWD) {
    struct statx info {};
    int flags = path.empty() ? AT_EMPTY_PATH : 0;
    if (::statx(fd, path.c_str(), flags, STATX_INO | STATX_NLINK, &info) != 0 ||
        info.stx_nlink == 0)
      return {0, 0};
    return {makedev(info.stx_dev_major, info.stx_dev_minor), info.stx_ino};
  }

  /// A database or WAL file unlinked (or replaced) under us would take every
  /// later commit with it: refuse instead (503 unavailable), and say so once.
  caf::error still_linked() {
    bool db_ok = identity_of("", file_fd_).second != 0;
    bool wal_ok = wal_identity_.second == 0 || identity_of(path_ + "-wal") == wal_identity_;
    if (db_ok && wal_ok)
      return {};
    if (!unlinked_reported_) {
      unlinked_reported_ = true;
      std::cerr << "fridgebank: database " << path_ << (db_ok ? "-wal" : "")
                << " was deleted while the server ran; refusing every write until restart"
                << std::endl;
    }
    return make_error(error_code::unavailable, "the database file was deleted; restart the server");
  }

  caf::expected<durable_state> load_state() {
    durable_state state;
    sqlite3_stmt* stmt = nullptr;
    if (auto err = prepare("SELECT name, drinks, stopped FROM fridges ORDER BY name", stmt))
      return err;
    while (sqlite3_step(stmt) == SQLITE_ROW)
      state.fridges.push_back(fridge_record{text(stmt, 0), sqlite3_column_int64(stmt, 1),
                                            sqlite3_column_int64(stmt, 2) != 0});
    sqlite3_finalize(stmt);
    if (auto err = prepare("SELECT id, balance FROM accounts ORDER BY id", stmt))
      return err;
    while (sqlite3_step(stmt) == SQLITE_ROW)
      state.accounts.push_back(account_record{text(stmt, 0), sqlite3_column_int64(stmt, 1)});
    sqlite3_finalize(stmt);
    std::string stopped;
    if (auto err = query_text("SELECT stopped FROM bank WHERE id = 1", stopped))
      return err;
    state.bank_stopped = stopped == "1";
    if (auto err = prepare("SELECT key, fingerprint, status, body, created FROM idempotency", stmt))
      return err;
    while (sqlite3_step(stmt) == SQLITE_ROW)
      state.keys.push_back(idempotency_record{
          text(stmt, 0), blob(stmt, 1), static_cast<std::uint16_t>(sqlite3_column_int(stmt, 2)),
          text(stmt, 3), sqlite3_column_int64(stmt, 4)});
    sqlite3_finalize(stmt);
    return state;
  }

  caf::error commit_batch(const std::vector<const journal_entry*>& batch) {
    // Entries carry absolute values, so within one transaction only the last
    // value of each fridge and account matters: under load a batch is mostly
    // the same few rows, and one statement each is enough.
    last_fridge_.clear();
    last_account_.clear();
    bool bank_stopped = false;
    for (const auto* entry : batch) {
      for (const auto& f : entry->fridges)
        last_fridge_[f.name] = &f;
      for (const auto& a : entry->accounts)
        last_account_[a.id] = &a;
      bank_stopped = bank_stopped || entry->bank_stopped;
    }
    if (auto err = exec("BEGIN IMMEDIATE"))
      return err;
    for (const auto& [name, f] : last_fridge_) {
      bind_text(upsert_fridge_, 1, name);
      sqlite3_bind_int64(upsert_fridge_, 2, f->drinks);
      sqlite3_bind_int(upsert_fridge_, 3, f->stopped ? 1 : 0);
      if (auto err = run(upsert_fridge_))
        return abort(err);
    }
    for (const auto& [id, a] : last_account_) {
      bind_text(upsert_account_, 1, id);
      sqlite3_bind_int64(upsert_account_, 2, a->balance);
      if (auto err = run(upsert_account_))
        return abort(err);
    }
    if (bank_stopped)
      if (auto err = run(stop_bank_))
        return abort(err);
    for (const auto* entry : batch)
      for (const auto& k : entry->keys) {
        bind_text(insert_key_, 1, k.key);
        sqlite3_bind_blob(insert_key_, 2, k.fingerprint.data(),
                          static_cast<int>(k.fingerprint.size()), SQLITE_STATIC);
        sqlite3_bind_int(insert_key_, 3, k.status);
        bind_text(insert_key_, 4, k.body);
        sqlite3_bind_int64(insert_key_, 5, k.created);
        if (auto err = run(insert_key_))
          return abort(err);
      }
    if (unix_now() - last_prune_ >= 3600)
      if (auto err = prune())
        return abort(err);
    if (auto err = exec("COMMIT"))
      return abort(err);
    return {};
  }

  caf::error prune() {
    last_prune_ = unix_now();
    sqlite3_bind_int64(prune_keys_, 1, last_prune_ - idempotency::retention_seconds);
    return run(prune_keys_);
  }

  static void bind_text(sqlite3_stmt* stmt, int index, std::string_view value) {
    sqlite3_bind_text(stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  }

  caf::error failure(const std::string& what) {
    return storage_error(what + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }

  caf::error exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK)
      return {};
    std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return storage_error(std::string{sql} + ": " + text);
  }

  caf::error prepare(const char* sql, sqlite3_stmt*& stmt) {
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK)
      return failure(sql);
    return {};
  }

  caf::error run(sqlite3_stmt* stmt) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_DONE)
      return failure("write");
    return {};
  }

  caf::error abort(caf::error err) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return err;
  }

  caf::error query_text(const char* sql, std::string& out) {
    sqlite3_stmt* stmt = nullptr;
    if (auto err = prepare(sql, stmt))
      return err;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
      out = text(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return failure(sql);
    return {};
  }

  static std::string blob(sqlite3_stmt* stmt, int column) {
    auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, column));
    return p ? std::string{p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column))}
             : std::string{};
  }

  static std::string text(sqlite3_stmt* stmt, int column) {
    auto* p = sqlite3_column_text(stmt, column);
    return p ? std::string{reinterpret_cast<const char*>(p)} : std::string{};
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_fridge_ = nullptr;
  sqlite3_stmt* upsert_account_ = nullptr;
  sqlite3_stmt* stop_bank_ = nullptr;
  sqlite3_stmt* insert_key_ = nullptr;
  sqlite3_stmt* prune_keys_ = nullptr;
  std::int64_t last_prune_ = 0;
  int lock_fd_ = -1;
  int file_fd_ = -1;                              // the database file itself, watched for an unlink
  std::array<int, sync_lanes + 1> wal_fds_ = [] { // the WAL, for sync(lane)
    std::array<int, sync_lanes + 1> none{};
    none.fill(-1);
    return none;
  }();
  std::pair<dev_t, ino_t> wal_identity_{0, 0}; // the WAL file, watched likewise
  std::string path_;
  bool unlinked_reported_ = false;
  // Per commit: the last record of each row; the views point into the batch.
  std::unordered_map<std::string_view, const fridge_record*> last_fridge_;
  std::unordered_map<std::string_view, const account_record*> last_account_;
};

} // namespace

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

caf::expected<std::unique_ptr<store>> open_sqlite_store(const std::string& data_dir) {
  auto s = std::make_unique<sqlite_store>();
  if (auto err = s->open(data_dir))
    return err;
  return std::unique_ptr<store>{std::move(s)};
}

} // namespace fridgebank
