#include "fridgebank/net/access_log.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace fridgebank::net {

namespace {

/// Appends `text` as a JSON string literal: targets and ids are the
/// client's bytes. Printable ASCII without quotes or backslashes (nearly
/// every line) is copied as it is; anything else goes through Boost.JSON.
void append_quoted(std::string& out, std::string_view text) {
  bool plain = std::all_of(text.begin(), text.end(),
                           [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (!plain) {
    out += boost::json::serialize(boost::json::string(text));
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

/// `2026-12-02T00:45:23.683649Z`. The date and time of the current second
/// are formatted once per thread and second, not per line.
void append_time(std::string& out, std::chrono::system_clock::time_point t) {
  thread_local std::int64_t cached_second = -1;
  thread_local char cached[32];
  auto since = t.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since - seconds).count();
  if (seconds.count() != cached_second) {
    std::time_t tt = seconds.count();
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d",
                  (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
                  tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
    cached_second = seconds.count();
  }
  char frac[] = ".000000Z\"";
  for (int i = 6; i >= 1; --i, micros /= 10)
    frac[i] = static_cast<char>('0' + micros % 10);
  out += '"';
  out += cached;
  out += frac;
}

} // namespace

void append_access_line(std::string& out, const access_entry& e) {
  out += "{\"time\":";
  append_time(out, e.time);
  out += ",\"requestId\":";
  append_quoted(out, e.request_id);
  out += ",\"remote\":";
  append_quoted(out, e.remote);
  out += ",\"method\":";
  append_quoted(out, e.method);
  out += ",\"target\":";
  append_quoted(out, e.target);
  out += ",\"status\":";
  out += std::to_string(e.status);
  out += ",\"bytes\":";
  out += std::to_string(e.bytes);
  out += ",\"latencyUs\":";
  out += std::to_string(e.latency.count());
  if (!e.idempotency_key.empty()) {
    out += ",\"idempotencyKey\":";
    append_quoted(out, e.idempotency_key);
  }
  out += "}\n";
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
  thread_local std::string line;
  line.clear();
  append_access_line(line, e);
  bool wake = false;
  {
    std::lock_guard guard{mutex_};
    if (pending_lines_ >= capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    pending_ += line;
    // The writer comes by every `linger` anyway: it is woken early only
    // when the queue fills, not once per line (a futex call and a thread
    // switch per request are a cost the drink route shows).
    wake = ++pending_lines_ == capacity_ / 2;
  }
  if (wake)
    wake_.notify_one();
}

void access_log::reopen() {
  {
    std::lock_guard guard{mutex_};
    reopen_wanted_ = true;
  }
  wake_.notify_one();
}

void access_log::close() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
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
