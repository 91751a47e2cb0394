// Requests batched over the middleman (fridgebank/protocol/batching.hpp):
// the front end's relay and the node's batch server, here in one system
// under the deterministic scheduler, so each interleaving is chosen. Over
// real processes and BASP the same path carries every route of the
// http-remote, http-remote-tls and http-shards suites.

#include "actor_fixture.hpp"
#include "fridgebank/actors/node.hpp"
#include "fridgebank/net/bridge.hpp"
#include "fridgebank/protocol/batching.hpp"
#include "fridgebank/protocol/reply_callback.hpp"
#include "relay.hpp" // net/src

#include <atomic>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <doctest/doctest.h>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace fridgebank;
using fridgebank::test::actor_fixture;
using fridgebank::test::code_of;
using namespace std::chrono_literals;

namespace {

/// What the node's actor saw: each number in arrival order, and who sent it.
struct arrivals {
  std::vector<int> numbers;
  std::vector<caf::actor_addr> senders;
};

/// Answers a number with ten times it, noting who asked.
caf::behavior recorder(caf::event_based_actor* self, std::shared_ptr<arrivals> seen) {
  return {[self, seen](int x) {
    seen->numbers.push_back(x);
    seen->senders.push_back(caf::actor_cast<caf::actor_addr>(self->current_sender()));
    return x * 10;
  }};
}

/// Stands between the relay and the batch server, both ways: notes each
/// batch of requests and hands it on, or keeps it while `hold` is set; hands
/// the replies on to the relay.
struct spy_state {
  std::vector<std::size_t> sizes;
  std::vector<batch> held;
  bool hold = false;
  std::vector<std::string> from_server; // "replies" or "sync", as they passed
  std::vector<caf::response_promise> held_syncs;
  bool hold_syncs = false;
  caf::actor server, relay;
};

/// Tells the spy to hand the syncs it holds on to the relay.
using release_atom = caf::atom_constant<caf::atom("release")>;

void sync_via(caf::event_based_actor* self, const caf::actor& relay, caf::response_promise rp) {
  self->request(relay, caf::infinite, batch_sync_atom::value).then([rp](bool ok) mutable {
    rp.deliver(ok);
  });
}

caf::behavior spy(caf::event_based_actor* self, std::shared_ptr<spy_state> st) {
  return {
      [self, st](batch_atom, batch& items) {
        if (self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(st->server)) {
          st->from_server.push_back("replies");
          self->send(st->relay, batch_atom::value, std::move(items));
          return;
        }
        st->sizes.push_back(items.size());
        if (st->hold)
          st->held.push_back(std::move(items));
        else
          self->send(st->server, batch_atom::value, std::move(items));
      },
      [st](caf::actor& server) { st->server = std::move(server); },
      [self, st](batch_sync_atom) {
        st->from_server.push_back("sync");
        auto rp = self->make_response_promise();
        if (st->hold_syncs)
          st->held_syncs.push_back(rp);
        else
          sync_via(self, st->relay, rp);
        return rp;
      },
      [self, st](release_atom) {
        for (auto& rp : std::exchange(st->held_syncs, {}))
          sync_via(self, st->relay, rp);
      },
  };
}

/// The answers one bridge request got.
struct answers {
  std::atomic<int> count{0};
  std::promise<caf::expected<int>> first;

  auto recorder() {
    return [this](caf::expected<int> x) {
      if (count++ == 0)
        first.set_value(std::move(x));
    };
  }
  /// The answer, once it has come (a deadline answers on the bridge's sweeper thread).
  caf::expected<int> get() {
    auto f = first.get_future();
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    return f.get();
  }
};

struct batching_fixture : actor_fixture {
  std::shared_ptr<arrivals> seen = std::make_shared<arrivals>();
  std::shared_ptr<spy_state> spied = std::make_shared<spy_state>();
  caf::actor target = sys.spawn(recorder, seen);
  caf::actor relay = net::spawn_relay(sys, "node.example:4242");
  caf::actor server;
  caf::actor between; // the spy
  net::bridge bridge{sys, 1, 300ms};

  /// The relay forwards to `target`, and batches the bridge's requests
  /// through a batch server (behind the spy, which the server answers).
  void batching() {
    caf::anon_send(relay, net::target_atom::value, target);
    spied->relay = relay;
    between = sys.spawn(spy, spied);
    server = sys.spawn(batch_server, target, between);
    caf::anon_send(between, server);
    caf::anon_send(relay, batch_atom::value, between);
    caf::anon_send(relay, batch_atom::value, bridge.sender(), caf::timespan{bridge.timeout()});
    sched.run();
  }

  void via_bridge(answers& a, int x) { bridge.request<int>(relay, a.recorder(), x); }

  /// The node's sync answered, and answered true.
  template <class Handle> static bool synced(Handle& sync) {
    bool ok = false;
    sync.receive([&](bool x) { ok = x; }, [](caf::error& err) { FAIL(to_string(err)); });
    return ok;
  }

  /// The spy lets every sync pass from now on; then `synced`.
  template <class Handle> bool synced_once_released(Handle& sync) {
    spied->hold_syncs = false;
    caf::anon_send(between, release_atom::value);
    sched.run();
    return synced(sync);
  }

  ~batching_fixture() {
    bridge.close();
    for (auto* a : {&target, &relay, &server, &between})
      if (*a)
        caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    sched.run();
  }
};

} // namespace

TEST_CASE_FIXTURE(batching_fixture, "the bridge's requests cross in one batch, reach the actor "
                                    "in order and are each answered once") {
  batching();
  std::vector<answers> got(5);
  for (int i = 0; i < 5; ++i)
    via_bridge(got[i], i + 1);
  sched.run();
  CHECK(spied->sizes == std::vector<std::size_t>{5});
  CHECK(seen->numbers == std::vector<int>{1, 2, 3, 4, 5});
  CHECK(seen->senders[0] != bridge.sender()); // the server's companion stands for the bridge
  for (auto& sender : seen->senders)
    CHECK(sender == seen->senders[0]);
  for (int i = 0; i < 5; ++i) {
    CAPTURE(i);
    CHECK(got[i].count == 1);
    CHECK(got[i].get() == (i + 1) * 10);
  }
  answers later; // a lone request waits for no timer: a batch of one
  via_bridge(later, 6);
  sched.run();
  CHECK(spied->sizes == std::vector<std::size_t>{5, 1});
  CHECK(later.get() == 60);
}

TEST_CASE_FIXTURE(batching_fixture, "anyone else's request goes the direct way, keeping its "
                                    "sender, and so does the bridge's before batching starts") {
  caf::anon_send(relay, net::target_atom::value, target);
  sched.run();
  answers early;
  via_bridge(early, 1);
  sched.run();
  CHECK(early.get() == 10);
  REQUIRE(seen->senders.size() == 1);
  CHECK(seen->senders[0] == bridge.sender());

  batching();
  CHECK(ask<int>(relay, 2) == 20); // the scoped actor's
  REQUIRE(seen->senders.size() == 2);
  CHECK(seen->senders[1] == self->address());
  CHECK(spied->sizes.empty());
}

TEST_CASE_FIXTURE(batching_fixture, "the node lost while requests wait: each is answered "
                                    "unavailable and never runs") {
  batching();
  answers a, b;
  via_bridge(a, 1);
  via_bridge(b, 2);
  caf::anon_send(relay, net::target_atom::value, caf::actor{}); // before the flush
  sched.run();
  CHECK(spied->sizes.empty());
  CHECK(seen->numbers.empty());
  for (auto* x : {&a, &b}) {
    auto reply = x->get();
    CHECK(code_of(reply) == "unavailable");
    CHECK(x->count == 1);
  }
  answers c; // and while there is no node, at once
  via_bridge(c, 3);
  sched.run();
  CHECK(code_of(c.get()) == "unavailable");
}

TEST_CASE_FIXTURE(batching_fixture, "the node's actor down while its connection stands: what "
                                    "it was given is still answered, by the reply") {
  batching();
  spied->hold = true;
  answers a, b;
  via_bridge(a, 1);
  via_bridge(b, 2);
  sched.run(); // the batch has left the relay
  REQUIRE(spied->held.size() == 1);
  caf::anon_send(relay, net::target_atom::value, caf::actor{}); // as a draining node does
  sched.run();
  answers c; // a new request is not sent, it is answered at once
  via_bridge(c, 3);
  sched.run();
  CHECK(code_of(c.get()) == "unavailable");
  caf::anon_send(server, batch_atom::value, std::move(spied->held[0])); // the node drains
  sched.run();
  CHECK(seen->numbers == std::vector<int>{1, 2});
  CHECK(a.get() == 10);
  CHECK(b.get() == 20);
}

TEST_CASE_FIXTURE(batching_fixture, "the connection lost with a batch in flight: the deadline "
                                    "answers each request once, and a stray reply is dropped") {
  batching();
  spied->hold = true;
  answers a, b;
  via_bridge(a, 1);
  via_bridge(b, 2);
  sched.run();
  REQUIRE(spied->held.size() == 1);
  caf::anon_send_exit(between, caf::exit_reason::remote_link_unreachable);
  caf::anon_send(relay, net::target_atom::value, caf::actor{});
  sched.run();
  for (auto* x : {&a, &b})
    CHECK(x->get().error() == caf::sec::request_timeout); // may or may not have run
  // A reply with their numbers from anyone but their server reaches no one.
  batch stray{{1, caf::make_message(10)}, {2, caf::make_message(20)}};
  self->send(relay, batch_atom::value, stray);
  sched.run();
  CHECK(a.count == 1);
  CHECK(b.count == 1);
}

TEST_CASE_FIXTURE(batching_fixture, "the batch server gone while the node is not: what waits, "
                                    "and every request after, goes the direct way") {
  batching();
  caf::anon_send_exit(between, caf::exit_reason::user_shutdown); // its job runs first
  answers a;
  via_bridge(a, 1);
  sched.run_once(); // the spy quits: the relay has the request, then the down
  sched.run();
  CHECK(a.get() == 10);
  answers b;
  via_bridge(b, 2);
  sched.run();
  CHECK(b.get() == 20);
  REQUIRE(seen->senders.size() == 2);
  CHECK(seen->senders[0] == bridge.sender());
  CHECK(seen->senders[1] == bridge.sender());
  CHECK(spied->sizes.empty());
}

TEST_CASE_FIXTURE(batching_fixture, "a batched request to an actor that is gone is answered "
                                    "with its error, not left to time out") {
  batching();
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
  sched.run();
  answers a;
  via_bridge(a, 1);
  sched.run();
  auto reply = a.get();
  REQUIRE(!reply);
  CHECK(reply.error() == caf::sec::request_receiver_down);
}

TEST_CASE_FIXTURE(batching_fixture, "a stopping node's batch server: what it gathered "
                                    "leaves first, and a sync is answered once the relay has it") {
  batching();
  spied->hold_syncs = true;
  std::vector<answers> got(3);
  for (int i = 0; i < 3; ++i)
    via_bridge(got[i], i + 1);
  while (seen->numbers.size() < 3) // answered, as a drained node's actors have,
    sched.run_once();              // but their batch has not left yet
  auto sync = self->request(server, caf::infinite, batch_sync_atom::value);
  sched.run();
  CHECK(spied->from_server == std::vector<std::string>{"replies", "sync"});
  for (int i = 0; i < 3; ++i)
    CHECK(got[i].get() == (i + 1) * 10);
  CHECK(self->mailbox().empty()); // the relay has not answered the sync: neither has the server
  CHECK(synced_once_released(sync));
  // The relay closed its way at the first round: a second one, started
  // after, answers for what it sent the direct way before.
  CHECK(spied->from_server == std::vector<std::string>{"replies", "sync", "sync"});
}

TEST_CASE_FIXTURE(batching_fixture, "a stopping node's sync: replies that leave after a round's "
                                    "sync make another round before the node is answered") {
  batching();
  auto* late = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(target));
  auto all_but_target = [&] {
    sched.run_jobs_filtered([late](caf::resumable* job) { return job != late; });
  };
  answers a;
  via_bridge(a, 1);
  all_but_target(); // the request waits at the node's actor
  spied->hold_syncs = true;
  auto sync = self->request(server, caf::infinite, batch_sync_atom::value);
  all_but_target();
  caf::anon_send(between, release_atom::value); // the first round: the relay closes
  all_but_target();
  REQUIRE(spied->held_syncs.size() == 1); // the second round's sync waits at the spy
  sched.run();                            // the actor answers now: the reply leaves after that sync
  CHECK(a.get() == 10);
  caf::anon_send(between, release_atom::value);
  sched.run();
  CHECK(self->mailbox().empty()); // a third round, for the reply
  CHECK(spied->from_server == std::vector<std::string>{"sync", "sync", "replies", "sync"});
  CHECK(synced_once_released(sync));
}

TEST_CASE_FIXTURE(batching_fixture, "a stopping node's sync: a batch that crossed it is refused "
                                    "and its refusal given before the sync is answered") {
  batching();
  caf::anon_send_exit(target, caf::exit_reason::user_shutdown); // drained
  sched.run();
  spied->hold = true;
  spied->hold_syncs = true;
  auto sync = self->request(server, caf::infinite, batch_sync_atom::value);
  sched.run(); // the sync waits at the spy, as on the wire
  answers a;
  via_bridge(a, 1); // sent by the relay before it sees the sync
  sched.run();
  REQUIRE(spied->held.size() == 1);
  caf::anon_send(server, batch_atom::value, std::move(spied->held[0])); // arrives first
  spied->held.clear();
  spied->hold_syncs = false;
  caf::anon_send(between, release_atom::value);
  // The worst schedule: the server runs only when no one else can.
  auto* slow = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(server));
  while (self->mailbox().empty() && sched.has_job())
    if (sched.run_jobs_filtered([slow](caf::resumable* job) { return job != slow; }) == 0)
      sched.run_once();
  CHECK(a.count == 1); // answered by the node, not left to the deadline
  CHECK(a.get().error() == caf::sec::request_receiver_down);
  CHECK(synced(sync));
  CHECK(spied->from_server == std::vector<std::string>{"sync", "replies", "sync"});
  answers b; // the relay has closed the route: nothing goes to the stopped node
  via_bridge(b, 2);
  sched.run();
  CHECK(code_of(b.get()) == "unavailable");
  CHECK(spied->sizes == std::vector<std::size_t>{1});
}

TEST_CASE_FIXTURE(batching_fixture, "a node answers its stop with the batch servers it runs, "
                                    "not those that quit") {
  auto n =
      sys.spawn(node, caf::actor_cast<directory_actor>(target), caf::actor_cast<bank_actor>(target),
                journal_actor{}, std::string{}, std::optional<node_place>{});
  auto first = ask<caf::actor>(n, batch_atom::value, std::uint8_t{0}, relay);
  auto second = ask<caf::actor>(n, batch_atom::value, std::uint8_t{1}, relay);
  REQUIRE(first);
  REQUIRE(second);
  caf::anon_send_exit(*second, caf::exit_reason::user_shutdown);
  sched.run();
  auto running = ask<std::vector<caf::actor>>(n, stop_atom::value);
  REQUIRE(running);
  CHECK(*running == std::vector<caf::actor>{*first});
}

TEST_CASE_FIXTURE(batching_fixture, "a batch server quits when its relay is gone") {
  batching();
  self->monitor(server);
  caf::anon_send_exit(between, caf::exit_reason::remote_link_unreachable); // what it answers
  sched.run();
  bool down = false;
  self->receive([&](caf::down_msg& msg) { down = msg.source == server.address(); },
                caf::after(0s) >> [] {});
  CHECK(down);
}

namespace {

/// A requester that notes the number of every reply it gets.
struct reply_numbers {
  std::vector<std::uint64_t> got;
  caf::strong_actor_ptr address;

  explicit reply_numbers(caf::actor_system& sys)
      : address(open_reply_callback(sys, [this](caf::mailbox_element_ptr x) {
          got.push_back(x->mid.request_id().integer_value());
        })) {}
  ~reply_numbers() { close_reply_callback(address); }

  /// Request `n` of this requester, as the bridge sends it.
  caf::mailbox_element_ptr request(std::uint64_t n) {
    return caf::make_mailbox_element(address, caf::make_message_id(n), {}, 1);
  }
};

} // namespace

TEST_CASE_FIXTURE(actor_fixture, "an outbox numbers what it sends, answers each once, and "
                                 "forgets what is past its deadline") {
  reply_numbers requester{sys};
  outbox box;
  for (std::uint64_t n = 101; n <= 103; ++n)
    CHECK(box.add(*requester.request(n)) == (n == 101)); // the first asks for a flush
  auto t0 = outbox::time_point{} + 1h;
  auto sent = box.take(t0, t0 - 1min);
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].seq == 1);
  CHECK(sent[2].seq == 3);
  CHECK(!box.waiting());
  CHECK(box.in_flight() == 3);

  batch replies{{2, caf::make_message(0)}, {2, caf::make_message(0)}, {9, caf::make_message(0)}};
  box.deliver(replies, nullptr); // twice the same, and one never sent
  CHECK(requester.got == std::vector<std::uint64_t>{102});
  CHECK(box.in_flight() == 2);

  CHECK(box.add(*requester.request(104)));
  auto later = box.take(t0 + 2min, t0 + 1min); // 1 and 3 are past their deadline
  REQUIRE(later.size() == 1);
  CHECK(later[0].seq == 4); // numbers are never given twice
  CHECK(box.in_flight() == 1);
  batch late{{1, caf::make_message(0)}, {3, caf::make_message(0)}, {4, caf::make_message(0)}};
  box.deliver(late, nullptr);
  CHECK(requester.got == std::vector<std::uint64_t>{102, 104});
  CHECK(box.in_flight() == 0);
}

TEST_CASE_FIXTURE(actor_fixture, "an outbox sends at most max_batched_requests requests a batch") {
  reply_numbers requester{sys};
  outbox box;
  for (std::uint64_t n = 1; n <= max_batched_requests + 10; ++n)
    box.add(*requester.request(n));
  auto t = outbox::time_point{} + 1h;
  CHECK(box.take(t, t).size() == max_batched_requests);
  CHECK(box.waiting());
  CHECK(box.take(t, t).size() == 10);
  CHECK(!box.waiting());
  CHECK(box.in_flight() == max_batched_requests + 10);
}

TEST_CASE_FIXTURE(actor_fixture, "a batch crosses as it was sent: the drink route's request and "
                                 "reply as their fields, anything else as a message") {
  batch sent{{1, caf::make_message(drink_atom::value, std::string{"kitchen"}, drink_request{3, 1})},
             {2, caf::make_message(fridge_result{2, 1})},
             {3, caf::make_message(look_atom::value, std::string{"attic"})},
             {4, caf::make_message(make_error(error_code::not_found, "no fridge attic"))},
             {5, caf::make_message(drink_atom::value, drink_request{1, 0})}}; // a fridge's own
  std::vector<char> bytes;
  caf::binary_serializer sink{sys, bytes};
  REQUIRE(!sink(sent));
  std::vector<char> hot_bytes; // no type names for the hot path
  caf::binary_serializer hot{sys, hot_bytes};
  REQUIRE(!hot(batch{sent[0], sent[1]}));
  std::string wire(hot_bytes.begin(), hot_bytes.end());
  CHECK(wire.find("drink_request") == std::string::npos);
  CHECK(wire.find("fridge_result") == std::string::npos);
  batch got;
  caf::binary_deserializer source{sys, bytes};
  REQUIRE(!source(got));
  REQUIRE(got.size() == 5);
  for (std::size_t i = 0; i < got.size(); ++i)
    CHECK(got[i].seq == sent[i].seq);
  REQUIRE(got[0].content.match_elements<drink_atom, std::string, drink_request>());
  CHECK(got[0].content.get_as<std::string>(1) == "kitchen");
  CHECK(got[0].content.get_as<drink_request>(2) == drink_request{3, 1});
  REQUIRE(got[1].content.match_elements<fridge_result>());
  CHECK(got[1].content.get_as<fridge_result>(0) == fridge_result{2, 1});
  REQUIRE(got[2].content.match_elements<look_atom, std::string>());
  CHECK(got[2].content.get_as<std::string>(1) == "attic");
  REQUIRE(got[3].content.match_elements<caf::error>());
  CHECK(fridgebank::code_of(got[3].content.get_as<caf::error>(0)) == error_code::not_found);
  REQUIRE(got[4].content.match_elements<drink_atom, drink_request>());
  CHECK(got[4].content.get_as<drink_request>(1) == drink_request{1, 0});
  // In logs an item shows its form and what it carries.
  CHECK(caf::deep_to_string(sent[0]) ==
        R"(fridgebank::batch_item(1, drink, "kitchen", drink_request(3, 1)))");
}

TEST_CASE_FIXTURE(actor_fixture, "a batch item of a form this side does not know is an error") {
  std::vector<char> bytes;
  caf::binary_serializer sink{sys, bytes};
  REQUIRE(!sink(std::uint64_t{1}, std::uint8_t{9}));
  batch_item got;
  caf::binary_deserializer source{sys, bytes};
  CHECK(source(got) == caf::sec::invalid_argument);
}
