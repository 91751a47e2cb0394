#pragma once

// `--access-log FILE|-`: one JSON line per answered request, written by a
// thread of its own so the I/O threads never wait for a disk. The I/O
// thread formats the line into a buffer of its own and appends it to one
// pending buffer (a mutex held for one copy of the line; no allocation once
// the buffers have grown); the writer swaps that buffer for its empty one
// and writes it whole. When `capacity` lines wait, a line is dropped and
// counted. `reopen()` (SIGHUP) closes the
// file and opens it again by name, for log rotation.
//
//   {"time":"2026-12-02T00:41:07.123456Z","requestId":"...","remote":"127.0.0.1:50412",
//    "method":"POST","target":"/fridges/f/drink","status":200,"bytes":46,
//    "latencyUs":183,"idempotencyKey":"k1"}      (the key only when sent)

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace fridgebank::net {

/// What one line says.
struct access_entry {
  std::chrono::system_clock::time_point time;
  std::string_view request_id;
  std::string_view remote;
  std::string_view method;
  std::string_view target;
  unsigned status = 0;
  std::size_t bytes = 0; // the reply on the wire, head included
  std::chrono::microseconds latency{0};
  std::string_view idempotency_key; // empty: none sent
};

/// The line for `e`, newline included, in a buffer of the calling thread's
/// that the thread's next call overwrites.
std::string_view access_line(const access_entry& e);

class access_log {
public:
  /// `path` "-" is stdout. Lines beyond `capacity` waiting are dropped.
  explicit access_log(std::string path, std::size_t capacity = 65536);
  ~access_log();
  access_log(const access_log&) = delete;
  access_log& operator=(const access_log&) = delete;

  /// Opens the file (appending); the error text when it cannot.
  std::optional<std::string> open();

  /// Queues the line for `e`; never blocks on the disk. Any thread.
  void write(const access_entry& e);

  /// Closes and opens the file again by name (after a rotation). Any thread.
  void reopen();

  /// Lines dropped because the queue was full (/metrics shows it).
  const std::atomic<std::uint64_t>& dropped() const { return dropped_; }

  /// Writes what is queued and stops the writer (also the destructor's job).
  void close();

private:
  void run();
  /// Sets `request` (reopen or stop) and wakes the writer for it.
  void tell_writer(bool access_log::*request);

  std::string path_;
  std::size_t capacity_;
  std::FILE* file_ = nullptr; // the writer's, after open()
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;           // whole lines, in the order written
  std::size_t pending_lines_ = 0; // how many
  bool reopen_wanted_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> dropped_{0};
  std::thread writer_;
};

} // namespace fridgebank::net
