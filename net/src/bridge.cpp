#include "fridgebank/net/bridge.hpp"

#include "fridgebank/protocol/reply_callback.hpp"

#include <caf/send.hpp>

namespace fridgebank::net {

namespace {

caf::behavior bridge_actor(caf::event_based_actor* self) {
  return {[self](bridge_job& job) { job(self); }};
}

} // namespace

bridge::bridge(caf::actor_system& sys, std::size_t actors, std::chrono::milliseconds timeout)
    : pending_(std::make_shared<pending_requests>(timeout)) {
  // Runs on whichever thread replies, so it only hands the reply on. Anything
  // that is not a reply to us (nothing should be) is dropped.
  replies_ = open_reply_callback(sys, [this](caf::mailbox_element_ptr ptr) {
    if (!ptr || !ptr->mid.is_response())
      return;
    pending_->resolve(ptr->mid.request_id().integer_value(), ptr->content());
  });
  for (std::size_t i = 0; i < std::max<std::size_t>(actors, 1); ++i)
    actors_.push_back(sys.spawn(bridge_actor));
}

void bridge::submit(bridge_job job) {
  auto& target = actors_[next_.fetch_add(1, std::memory_order_relaxed) % actors_.size()];
  caf::anon_send(target, std::move(job));
}

void bridge::close() {
  // Our own pill, behind every job already sent: the bridge actors quit once
  // they have issued all requests. Called after the I/O threads have stopped.
  for (auto& a : actors_)
    caf::anon_send(a, bridge_job{[](caf::event_based_actor* self) { self->quit(); }});
  actors_.clear();
  pending_->close();
  if (replies_) {
    // Replies still on their way are dropped from here on, and the actor
    // system no longer waits for the companion.
    close_reply_callback(replies_);
    replies_ = nullptr;
  }
}

} // namespace fridgebank::net
