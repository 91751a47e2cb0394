#include "fridgebank/protocol/batching.hpp"

#include "fridgebank/protocol/interfaces.hpp"
#include "fridgebank/protocol/reply_callback.hpp"

#include <algorithm>
#include <caf/actor_cast.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/response_handle.hpp>
#include <caf/send.hpp>
#include <cassert>
#include <string>
#include <type_traits>
#include <utility>

namespace fridgebank {

static_assert(std::is_same_v<batched_drink_atom, drink_atom>,
              "a batch carries the drink route under its own atom");

std::string to_string(batch_form x) {
  switch (x) {
  case batch_form::message:
    return "message";
  case batch_form::drink:
    return "drink";
  case batch_form::fridge_result:
    return "fridge_result";
  }
  return "batch_form(" + std::to_string(static_cast<int>(x)) + ")";
}

bool outbox::add(caf::mailbox_element& x) {
  assert(x.mid.is_request() && "only a request is batched: its reply comes back by number");
  assert(x.stages.empty() && "a batched request's reply goes to its sender, not to stages");
  waiting_.push_back({{x.sender, x.mid}, x.move_content_to_message()});
  return waiting_.size() == 1;
}

void outbox::drop_closed_front() {
  while (!sent_.empty() && !sent_.front().open) {
    sent_.pop_front();
    ++first_seq_;
  }
}

batch outbox::take(time_point now, time_point forget_before) {
  for (auto& s : sent_) { // oldest first: the expired are a prefix
    if (!s.open)
      continue;
    if (s.at >= forget_before)
      break;
    s.open = false; // its requester's deadline has answered it
    --open_;
  }
  drop_closed_front();
  auto n = std::min(waiting_.size(), max_batched_requests);
  batch out;
  out.reserve(n);
  auto next = first_seq_ + sent_.size();
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back({next + i, std::move(waiting_[i].content)});
    sent_.push_back({std::move(waiting_[i].from), now, true});
  }
  open_ += n;
  waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

void outbox::deliver(batch& replies, caf::execution_unit* ctx) {
  for (auto& reply : replies) {
    if (reply.seq < first_seq_ || reply.seq - first_seq_ >= sent_.size())
      continue; // forgotten, or never sent (the node's word only)
    auto& s = sent_[reply.seq - first_seq_];
    if (!s.open)
      continue;
    s.open = false;
    --open_;
    if (s.to.sender)
      s.to.sender->enqueue(
          caf::make_mailbox_element(nullptr, s.to.id.response_id(), {}, std::move(reply.content)),
          ctx);
    s.to.sender = nullptr;
  }
  drop_closed_front();
}

void outbox::fail_waiting(const caf::error& why, caf::execution_unit* ctx) {
  for (auto& w : waiting_)
    if (w.from.sender)
      w.from.sender->enqueue(caf::make_mailbox_element(nullptr, w.from.id.response_id(), {}, why),
                             ctx);
  waiting_.clear();
}

void outbox::send_waiting_to(const caf::actor& to, caf::execution_unit* ctx) {
  assert(to && "sending waiting requests to no one");
  for (auto& w : waiting_)
    to->enqueue(
        caf::make_mailbox_element(std::move(w.from.sender), w.from.id, {}, std::move(w.content)),
        ctx);
  waiting_.clear();
}

namespace {

/// Where the node's actors send the replies: each is kept, and the server
/// told when one is the first since its last batch left. Runs on the
/// replier's thread.
caf::strong_actor_ptr gather_replies(caf::stateful_actor<batch_server_data>* self) {
  auto on_reply = [gathered = self->state.gathered,
                   server = self->address()](caf::mailbox_element_ptr x) {
    if (!x || !x->mid.is_response())
      return; // only replies are sent to it
    bool first = false;
    {
      std::lock_guard<std::mutex> guard{gathered->lock};
      first = gathered->replies.empty();
      gathered->replies.push_back(
          {x->mid.request_id().integer_value(), x->move_content_to_message()});
    }
    if (first)
      if (auto to = caf::actor_cast<caf::actor>(server))
        caf::anon_send(to, batch_flush_atom::value);
  };
  return open_reply_callback(self->system(), std::move(on_reply), true);
}

/// The replies gathered so far leave, in one batch.
void send_gathered(caf::stateful_actor<batch_server_data>* self) {
  auto& st = self->state;
  batch replies;
  {
    std::lock_guard<std::mutex> guard{st.gathered->lock};
    replies.swap(st.gathered->replies);
  }
  if (replies.empty())
    return;
  self->send(st.relay, batch_atom::value, std::move(replies));
  ++st.batches_sent;
}

bool nothing_gathered(const batch_server_data& st) {
  std::lock_guard<std::mutex> guard{st.gathered->lock};
  return st.gathered->replies.empty();
}

/// One round of a stopping node's sync (batching.hpp): what was gathered
/// leaves, then the relay is asked. Its answer comes after every batch it
/// sent before it, and tells whether it closed the way just now. Another
/// round follows when it did (what it sent the direct way before closing
/// has been answered by now, ahead of the next round on the connection),
/// when a batch came meanwhile (refused by the drained actors, the
/// refusals gathered), or when replies left or were gathered after the
/// round's sync.
void sync_round(caf::stateful_actor<batch_server_data>* self, caf::response_promise rp,
                caf::actor_clock::time_point deadline) {
  auto& st = self->state;
  send_gathered(self);
  auto left = deadline - self->clock().now();
  if (left <= caf::timespan{0}) {
    rp.deliver(caf::make_error(caf::sec::request_timeout));
    return;
  }
  auto received = st.batches_received;
  auto sent = st.batches_sent;
  self->request(st.relay, left, batch_sync_atom::value)
      .then(
          [self, rp, deadline, received, sent](bool closed_now) mutable {
            auto& st = self->state;
            bool quiet = !closed_now && st.batches_received == received &&
                         st.batches_sent == sent && nothing_gathered(st);
            if (quiet)
              rp.deliver(true);
            else
              sync_round(self, std::move(rp), deadline);
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

} // namespace

caf::behavior batch_server(caf::stateful_actor<batch_server_data>* self, caf::actor target,
                           caf::actor relay) {
  assert(target && relay && "a batch server needs a target and a relay");
  auto& st = self->state;
  st.target = std::move(target);
  st.relay = std::move(relay);
  st.gathered = std::make_shared<gathered_replies>();
  st.companion = gather_replies(self);
  self->attach_functor([companion = st.companion] { close_reply_callback(companion); });
  self->monitor(st.relay);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); }); // the front end is gone
  return {
      [self](batch_atom, batch& requests) {
        auto& st = self->state;
        ++st.batches_received;
        for (auto& request : requests) {
          if (request.seq == 0 || request.seq > caf::message_id::request_id_mask)
            continue; // no outbox numbers so: not a front end of ours
          st.target->enqueue(caf::make_mailbox_element(st.companion,
                                                       caf::make_message_id(request.seq), {},
                                                       std::move(request.content)),
                             self->context());
        }
      },
      [self](batch_flush_atom) { send_gathered(self); },
      [self](batch_sync_atom) {
        auto rp = self->make_response_promise<bool>();
        sync_round(self, rp, self->clock().now() + batch_sync_timeout);
        return rp;
      },
  };
}

void sync_batch_servers(caf::scoped_actor& self, const std::vector<caf::actor>& servers) {
  // All asked at once: each waits at most batch_sync_timeout from now.
  std::vector<caf::response_handle<caf::blocking_actor, caf::message, true>> pending;
  for (const auto& server : servers)
    pending.push_back(self->request(server, batch_sync_timeout, batch_sync_atom::value));
  for (auto& answer : pending)
    answer.receive([](bool) {}, [](caf::error&) {}); // gone, or out of time: nothing to wait for
}

} // namespace fridgebank
