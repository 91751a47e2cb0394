#include "load/nemesis.hpp"

#include <algorithm>
#include <csignal>
#include <optional>
#include <random>

namespace fridgebank::load {

nemesis::nemesis(spawned_server& server, nemesis_options options,
                 std::chrono::steady_clock::time_point epoch)
    : server_(server), options_(std::move(options)), epoch_(epoch) {
  thread_ = std::thread{[this] { run(); }};
}

void nemesis::stop() {
  {
    std::lock_guard guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

std::vector<nemesis_event> nemesis::events() const {
  std::lock_guard guard{mutex_};
  return events_;
}

std::vector<std::string> nemesis::failures() const {
  std::lock_guard guard{mutex_};
  return failures_;
}

bool nemesis::sleep_for(std::chrono::milliseconds span) {
  std::unique_lock lock{mutex_};
  return !wake_.wait_for(lock, span, [this] { return stopping_; });
}

void nemesis::note(std::string what) {
  std::lock_guard guard{mutex_};
  events_.push_back({std::chrono::steady_clock::now() - epoch_, std::move(what)});
}

void nemesis::fault(const std::string& which) {
  note(which);
  if (which == "pause") {
    server_.pause();
    sleep_for(options_.every / 2); // paused for half a period, or until the end
    server_.resume();
    note("resume");
    return;
  }
  int status = server_.stop(which == "kill" ? SIGKILL : SIGTERM);
  if (which == "term" && status != 0) {
    std::lock_guard guard{mutex_};
    failures_.push_back(status < 0 ? "SIGTERM: the server did not exit within 30 s"
                                   : "SIGTERM: the server exited with " + std::to_string(status));
  }
  if (status < 0)
    server_.stop(SIGKILL);
  try {
    server_.start();
    note("restart");
  } catch (const std::exception& e) {
    std::lock_guard guard{mutex_};
    failures_.push_back(std::string{"restart after "} + which + ": " + e.what());
  }
}

void nemesis::run() {
  std::mt19937_64 rng{options_.seed};
  std::uniform_real_distribution<double> jitter{0.5, 1.5};
  std::uniform_int_distribution<std::size_t> pick{0, options_.faults.size() - 1};
  while (sleep_for(
      std::chrono::milliseconds{static_cast<long>(double(options_.every.count()) * jitter(rng))})) {
    fault(options_.faults[pick(rng)]);
    if (!server_.running()) // a restart failed: nothing left to fault
      return;
  }
}

std::optional<std::vector<std::string>> parse_faults(const std::string& text) {
  std::vector<std::string> faults;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = std::min(text.find(',', start), text.size());
    auto name = text.substr(start, end - start);
    if (name != "kill" && name != "term" && name != "pause")
      return std::nullopt;
    faults.push_back(name);
    start = end + 1;
  }
  return faults;
}

} // namespace fridgebank::load
