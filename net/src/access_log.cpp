#include "fridgebank/net/access_log.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

namespace fridgebank::net {

namespace {

/// The bytes a JSON string holds unescaped that are also plain ASCII.
constexpr auto copied_as_is = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x7f; ++c)
    table[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return table;
}();

/// Writes a line into a buffer with room enough (plain copies: the I/O
/// thread pays for this once per request).
class line_writer {
public:
  line_writer(char* at, std::size_t room) : start_(at), at_(at), end_(at + room) {}
  /// The line so far; room_for() promised it fits (a programmer's error if not).
  std::string_view written() const {
    assert(at_ <= end_);
    return {start_, static_cast<std::size_t>(at_ - start_)};
  }

  void raw(std::string_view text) {
    assert(static_cast<std::size_t>(end_ - at_) >= text.size());
    std::memcpy(at_, text.data(), text.size());
    at_ += text.size();
  }
  /// `label` (`,"name":`) and the number.
  void number(std::string_view label, std::uint64_t n) {
    raw(label);
    at_ = std::to_chars(at_, at_ + 20, n).ptr;
  }
  /// `label` and the text as a JSON string.
  void text(std::string_view label, std::string_view value) {
    raw(label);
    quoted(value);
  }

  /// `label` and `value`, which needs no escaping (a programmer's error if
  /// it does): what the server itself wrote, or an HTTP token.
  void plain_text(std::string_view label, std::string_view value) {
    assert(std::all_of(value.begin(), value.end(),
                       [](char c) { return copied_as_is[static_cast<unsigned char>(c)]; }));
    raw(label);
    *at_++ = '"';
    raw(value);
    *at_++ = '"';
  }

  /// `text` as a JSON string literal: targets and ids are the client's
  /// bytes. Printable ASCII is copied as it is (nearly every line is only
  /// that); `"` and `\` are escaped, and every other byte is written as
  /// `\u00XX`, one per byte, so a line is ASCII and valid JSON whatever the
  /// client sent (bytes that are not UTF-8 included).
  void quoted(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    char* out = at_;
    *out++ = '"';
    for (char c : text) {
      auto byte = static_cast<unsigned char>(c);
      if (copied_as_is[byte]) {
        *out++ = c;
      } else if (c == '"' || c == '\\') {
        *out++ = '\\';
        *out++ = c;
      } else {
        std::memcpy(out, "\\u00", 4);
        out[4] = hex[byte >> 4];
        out[5] = hex[byte & 15];
        out += 6;
      }
    }
    *out++ = '"';
    at_ = out;
  }

  /// `"2026-12-02T00:45:23.683649Z"`. The date and time of the current
  /// second are formatted once per thread and second, not per line.
  void time(std::chrono::system_clock::time_point t) {
    thread_local std::int64_t cached_second = -1;
    thread_local char cached[32];
    thread_local std::size_t cached_size = 0;
    auto since = t.time_since_epoch();
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since - seconds).count();
    if (seconds.count() != cached_second) {
      std::time_t tt = seconds.count();
      std::tm tm{};
      gmtime_r(&tt, &tm);
      int n = std::snprintf(cached, sizeof cached, "\"%04d-%02d-%02dT%02d:%02d:%02d.",
                            (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
                            tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
      cached_size = static_cast<std::size_t>(n);
      cached_second = seconds.count();
    }
    raw({cached, cached_size});
    for (int i = 5; i >= 0; --i, micros /= 10)
      at_[i] = static_cast<char>('0' + micros % 10);
    at_ += 6;
    raw("Z\"");
  }

private:
  char* start_;
  char* at_;
  char* end_;
};

/// The most a line takes: its fixed text and numbers, and each client
/// string escaped at worst (`\u00XX` for every byte).
std::size_t room_for(const access_entry& e) {
  return 256 + 6 * (e.request_id.size() + e.remote.size() + e.method.size() + e.target.size() +
                    e.idempotency_key.size());
}

} // namespace

std::string_view access_line(const access_entry& e) {
  thread_local std::vector<char> buffer; // grown when a line needs it, never cleared
  auto room = room_for(e);
  if (buffer.size() < room)
    buffer.resize(room);
  line_writer w{buffer.data(), room};
  w.raw("{\"time\":");
  w.time(e.time);
  w.text(",\"requestId\":", e.request_id);
  w.plain_text(",\"remote\":", e.remote); // formatted and checked by the session
  w.plain_text(",\"method\":", e.method); // an HTTP token (RFC 9110): no quotes, no backslash
  w.text(",\"target\":", e.target);
  w.number(",\"status\":", e.status);
  w.number(",\"bytes\":", e.bytes);
  w.number(",\"latencyUs\":",
           static_cast<std::uint64_t>(std::max<std::int64_t>(0, e.latency.count())));
  if (!e.idempotency_key.empty())
    w.text(",\"idempotencyKey\":", e.idempotency_key);
  w.raw("}\n");
  return w.written();
}

access_log::access_log(std::string path, std::size_t capacity)
    : path_(std::move(path)), capacity_(capacity) {}

access_log::~access_log() {
  close();
}

std::optional<std::string> access_log::open() {
  if (path_ == "-") {
    file_ = stdout;
  } else {
    file_ = std::fopen(path_.c_str(), "a");
    if (!file_)
      return "cannot open the access log " + path_ + ": " + std::strerror(errno);
  }
  writer_ = std::thread{[this] { run(); }};
  return std::nullopt;
}

void access_log::write(const access_entry& e) {
  auto line = access_line(e);
  bool wake = false;
  {
    std::lock_guard guard{mutex_};
    if (pending_lines_ >= capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    pending_ += line;
    // The writer is woken by a batch's first line (it then gathers for
    // `linger`) and when the queue half fills, not once per line (a futex
    // call and a thread switch per request are a cost the drink route shows).
    ++pending_lines_;
    wake = pending_lines_ == 1 || pending_lines_ == capacity_ / 2;
  }
  if (wake)
    wake_.notify_one();
}

void access_log::tell_writer(bool access_log::*request) {
  {
    std::lock_guard guard{mutex_};
    this->*request = true;
  }
  wake_.notify_one();
}

void access_log::reopen() {
  tell_writer(&access_log::reopen_wanted_);
}

void access_log::close() {
  tell_writer(&access_log::stopping_);
  if (writer_.joinable())
    writer_.join();
  if (file_ && file_ != stdout)
    std::fclose(file_);
  file_ = nullptr;
}

/// How long a line may wait for the writer (it is in the file by then).
constexpr std::chrono::milliseconds linger{50};

void access_log::run() {
  std::string batch;
  for (;;) {
    bool reopen = false;
    bool stop = false;
    {
      std::unique_lock lock{mutex_};
      // Idle, the writer sleeps until a line comes: no wake-ups at all.
      wake_.wait(lock, [this] { return stopping_ || reopen_wanted_ || pending_lines_ > 0; });
      wake_.wait_for(lock, linger, [this] {
        return stopping_ || reopen_wanted_ || pending_lines_ >= capacity_ / 2;
      });
      batch.swap(pending_); // both keep their capacity: no allocation per batch
      pending_lines_ = 0;
      reopen = std::exchange(reopen_wanted_, false);
      stop = stopping_;
    }
    std::fwrite(batch.data(), 1, batch.size(), file_);
    std::fflush(file_); // a line is in the file once the writer woke for it
    batch.clear();
    if (reopen && file_ != stdout) {
      if (auto* fresh = std::fopen(path_.c_str(), "a")) {
        std::fclose(file_);
        file_ = fresh;
      } // else keep writing to the old one: a line lost is worse than a late rotation
    }
    if (stop)
      return;
  }
}

} // namespace fridgebank::net
