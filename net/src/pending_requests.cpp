#include "fridgebank/net/pending_requests.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>
#include <pthread.h>
#include <vector>

namespace fridgebank::net {

namespace {

/// Runs a continuation with an error as the reply's content, as a receiver
/// that answered with the error would have.
void answer_with(pending_requests::continuation& then, caf::error err) {
  auto reply = caf::make_message(std::move(err));
  then(reply.content());
}

} // namespace

pending_requests::pending_requests(std::chrono::milliseconds timeout) : timeout_(timeout) {
  sweeper_ = std::thread{[this] {
    pthread_setname_np(pthread_self(), "fb.timeouts");
    sweep();
  }};
}

std::uint64_t pending_requests::open(continuation then) {
  bool wake = false;
  std::uint64_t id = 0;
  {
    std::lock_guard guard{mutex_};
    id = next_id_++;
    open_.emplace_hint(open_.end(), id, entry{clock::now() + timeout_, std::move(then)});
    wake = sweeper_idle_;
    sweeper_idle_ = false;
  }
  if (wake)
    wake_.notify_one();
  return id;
}

std::optional<pending_requests::continuation> pending_requests::take(std::uint64_t id) {
  std::lock_guard guard{mutex_};
  auto it = open_.find(id);
  if (it == open_.end())
    return std::nullopt;
  auto then = std::move(it->second.then);
  open_.erase(it);
  return then;
}

bool pending_requests::waiting(std::uint64_t id) {
  std::lock_guard guard{mutex_};
  return open_.count(id) != 0;
}

void pending_requests::resolve(std::uint64_t id, caf::type_erased_tuple& reply) {
  if (auto then = take(id))
    (*then)(reply);
}

void pending_requests::fail(std::uint64_t id, caf::error err) {
  if (auto then = take(id))
    answer_with(*then, std::move(err));
}

void pending_requests::sweep() {
  std::unique_lock lock{mutex_};
  auto has_work = [this] { return closing_ || !open_.empty(); };
  while (!closing_) {
    if (open_.empty()) {
      // One more period awake before an untimed wait: a client that sends
      // one request at a time empties the table after each, and a wake-up
      // per request is what this class is here to avoid.
      if (!wake_.wait_for(lock, timeout_, has_work)) {
        sweeper_idle_ = true;
        wake_.wait(lock, has_work);
        sweeper_idle_ = false;
      }
      continue;
    }
    auto now = clock::now();
    if (auto due = open_.begin()->second.deadline; due > now) {
      wake_.wait_until(lock, due);
      continue;
    }
    std::vector<continuation> expired;
    while (!open_.empty() && open_.begin()->second.deadline <= now) {
      expired.push_back(std::move(open_.begin()->second.then));
      open_.erase(open_.begin());
    }
    lock.unlock();
    for (auto& then : expired)
      answer_with(then, caf::make_error(caf::sec::request_timeout));
    expired.clear();
    lock.lock();
  }
}

void pending_requests::close() {
  std::map<std::uint64_t, entry> dropped;
  {
    std::lock_guard guard{mutex_};
    if (closing_)
      return;
    closing_ = true;
    dropped.swap(open_);
  }
  wake_.notify_all();
  if (sweeper_.joinable())
    sweeper_.join();
}

} // namespace fridgebank::net
