#include "fridgebank/net/remote_backend.hpp"

#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/placement.hpp"
#include "relay.hpp"
#include "sharded_directory.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <cassert>
#include <iostream>
#include <set>
#include <vector>

namespace fridgebank::net {

namespace {

using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
/// From now on the node is to keep our place (the start found the list agreeable).
using record_atom = caf::atom_constant<caf::atom("record")>;
/// Answered (true) once the link has reached the node for the first time.
using connected_atom = caf::atom_constant<caf::atom("connected")>;

constexpr auto retry_interval = std::chrono::milliseconds{500};

struct link_data {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;                      // BASP over TLS (CAF's OpenSSL module)
  std::uint32_t position = 0, count = 1; // this node's place in --actors-at
  /// Whether the node is to keep our place: only once the start has found
  /// the whole list agreeable (until then a claim only asks).
  bool record = false;
  caf::actor relays[3]; // directory, bank, keys
  std::shared_ptr<std::atomic<bool>> up;
  node_actor node; // the connected node actor, watched
  std::vector<caf::typed_response_promise<bool>> awaiting_contact;
  std::string refusal; // the node's last refusal of our place, reported once
  static inline const char* name = "fridgebank.node_link";
};

using link_pointer = caf::stateful_actor<link_data>*;

std::string address_of(const link_data& st) {
  return st.host + ":" + std::to_string(st.port);
}

void set_targets(link_pointer self, caf::actor directory, caf::actor bank, caf::actor keys) {
  auto& st = self->state;
  self->send(st.relays[0], target_atom::value, std::move(directory));
  self->send(st.relays[1], target_atom::value, std::move(bank));
  self->send(st.relays[2], target_atom::value, std::move(keys));
}

/// Asks the node for a batch server per relay; a relay without one (an
/// older node, an error) sends everything direct.
void ask_batch_servers(link_pointer self, const node_actor& node) {
  for (auto to : {batch_target::directory, batch_target::bank}) {
    auto relay = self->state.relays[static_cast<std::size_t>(to)];
    self->request(node, std::chrono::seconds{5}, batch_atom::value, static_cast<std::uint8_t>(to),
                  relay)
        .then(
            [self, node, relay](caf::actor& server) {
              if (self->state.node == node) // not an answer from before a reconnect
                self->send(relay, batch_atom::value, std::move(server));
            },
            [self](caf::error& err) {
              std::cerr << "fridgebank-server: the actor node " << address_of(self->state)
                        << " gives no batch server (" << to_string(err)
                        << "); its requests go one by one" << std::endl;
            });
  }
}

/// The node took our place in the list: serve its actors from now on.
void established(link_pointer self, const node_actor& node, directory_actor& d, bank_actor& b,
                 journal_actor& k) {
  auto& st = self->state;
  self->monitor(node);
  st.node = node;
  st.refusal.clear();
  set_targets(self, caf::actor_cast<caf::actor>(d), caf::actor_cast<caf::actor>(b),
              caf::actor_cast<caf::actor>(k));
  ask_batch_servers(self, node);
  st.up->store(true);
  for (auto& rp : st.awaiting_contact)
    rp.deliver(true);
  st.awaiting_contact.clear();
}

/// The node refuses our place (it holds another place's fridges, or cannot
/// keep it): stay unreachable, keep asking (an operator may restart it on
/// the right data), say why once.
void refused(link_pointer self, const caf::error& err) {
  auto& st = self->state;
  auto detail = detail_of(err);
  auto why = "the actor node " + address_of(st) +
             " refuses this front end's node list: " + (detail.empty() ? to_string(err) : detail);
  bool told = !st.awaiting_contact.empty(); // a start that waits reports it itself
  for (auto& rp : st.awaiting_contact)
    rp.deliver(make_error(error_code::conflict, why));
  st.awaiting_contact.clear();
  if (!told && why != st.refusal)
    std::cerr << "fridgebank-server: " << why << std::endl;
  st.refusal = why;
}

/// Whether `err` is the node's answer (a refusal) rather than no answer.
bool answered_by_node(const caf::error& err) {
  return err != caf::sec::request_timeout && err != caf::sec::request_receiver_down;
}

void connect(link_pointer self) {
  auto& st = self->state;
  auto mm = st.tls ? self->system().openssl_manager().actor_handle()
                   : self->system().middleman().actor_handle();
  auto retry = [self] { self->delayed_send(self, retry_interval, reconnect_atom::value); };
  auto place = [self, retry](node_actor node) {
    return [self, retry, node](directory_actor& d, bank_actor& b, journal_actor& k) {
      auto& st = self->state;
      self->request(node, std::chrono::seconds{60}, shard_atom::value, st.position, st.count,
                    st.record)
          .then([=](bool) mutable { established(self, node, d, b, k); },
                [self, retry](caf::error& err) {
                  if (answered_by_node(err))
                    refused(self, err);
                  retry();
                });
    };
  };
  self->request(mm, std::chrono::seconds{5}, caf::connect_atom::value, st.host, st.port)
      .then(
          [self, retry, place](const caf::node_id&, caf::strong_actor_ptr& ptr,
                               const std::set<std::string>&) {
            auto node = caf::actor_cast<node_actor>(ptr);
            if (!node) {
              retry();
              return;
            }
            self->request(node, std::chrono::seconds{5}, node_atom::value)
                .then(place(node), [retry](caf::error&) { retry(); });
          },
          [retry](caf::error&) { retry(); });
}

/// From now on the node keeps our place; answered once it has (at once when
/// it is not connected: it will keep it when it is).
caf::result<bool> record_place(link_pointer self) {
  auto& st = self->state;
  st.record = true;
  if (!st.node)
    return true;
  auto rp = self->make_response_promise<bool>();
  self->request(st.node, std::chrono::seconds{60}, shard_atom::value, st.position, st.count, true)
      .then([rp](bool) mutable { rp.deliver(true); },
            [self, rp](caf::error& err) mutable {
              auto detail = detail_of(err);
              rp.deliver(
                  make_error(error_code::conflict, "the actor node " + address_of(self->state) +
                                                       " refuses this front end's node list: " +
                                                       (detail.empty() ? to_string(err) : detail)));
            });
  return rp;
}

/// Connects, and reconnects whenever the connection to the node goes down.
caf::behavior node_link(link_pointer self) {
  self->set_down_handler([self](caf::down_msg& down) {
    if (!self->state.node || down.source != self->state.node.address())
      return;
    self->state.node = nullptr;
    self->state.up->store(false);
    set_targets(self, nullptr, nullptr, nullptr); // answer at once, not at the timeout
    self->delayed_send(self, retry_interval, reconnect_atom::value);
  });
  connect(self);
  return {
      [self](reconnect_atom) {
        if (!self->state.node)
          connect(self);
      },
      [self](connected_atom) -> caf::result<bool> {
        if (self->state.up->load())
          return true;
        auto rp = self->make_response_promise<bool>();
        self->state.awaiting_contact.push_back(rp);
        return rp;
      },
      [self](record_atom) { return record_place(self); },
      [self](batch_atom, caf::actor_addr& sender, caf::timespan deadline) {
        for (auto& r : self->state.relays)
          self->send(r, batch_atom::value, sender, deadline);
      },
      [self](stop_atom) {
        for (auto& r : self->state.relays)
          self->send(r, close_atom::value);
        self->quit();
      },
  };
}

/// One node's link and its three relays (directory, bank, keys).
struct node_handles {
  caf::actor link;
  caf::actor relays[3];
  std::shared_ptr<std::atomic<bool>> up;
};

node_handles spawn_link(caf::actor_system& sys, const node_address& at, std::uint32_t position,
                        std::uint32_t count, bool tls) {
  node_handles result;
  result.up = std::make_shared<std::atomic<bool>>(false);
  for (auto& r : result.relays)
    r = spawn_relay(sys, at.text());
  // By value: the actor may start after this function has returned.
  result.link = sys.spawn([at, position, count, tls, result](link_pointer self) {
    self->state.host = at.host;
    self->state.port = at.port;
    self->state.tls = tls;
    self->state.position = position;
    self->state.count = count;
    self->state.up = result.up;
    for (int i = 0; i < 3; ++i)
      self->state.relays[i] = result.relays[i];
    return node_link(self);
  });
  return result;
}

/// What a start learned of one node by `deadline`.
enum class contact { reached, unreached, refused };

contact first_contact_with(caf::scoped_actor& self, const node_handles& node,
                           std::chrono::steady_clock::time_point deadline, caf::error& refusal) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  auto result = contact::unreached;
  self->request(node.link, std::max(left, std::chrono::milliseconds{1}), connected_atom::value)
      .receive([&](bool) { result = contact::reached; },
               [&](caf::error& err) {
                 if (code_of(err) == error_code::conflict) {
                   refusal = std::move(err);
                   result = contact::refused;
                 }
               });
  return result;
}

/// The routes' handles over the nodes: the first node's bank and keys, and
/// with more than one node the sharded directory and per-fridge keys.
api_backend backend_over(caf::actor_system& sys, const std::vector<node_address>& nodes,
                         const std::vector<node_handles>& handles,
                         std::chrono::milliseconds node_timeout) {
  api_backend backend;
  backend.bank = caf::actor_cast<bank_actor>(handles[0].relays[1]);
  backend.keys = caf::actor_cast<journal_actor>(handles[0].relays[2]);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    backend.nodes.push_back({nodes[i].text(), handles[i].up});
  if (nodes.size() == 1) { // no placement: the relay itself, one hop fewer
    backend.directory = caf::actor_cast<directory_actor>(handles[0].relays[0]);
    return backend;
  }
  std::vector<shard> shards;
  std::vector<journal_actor> keys;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    shards.push_back({nodes[i].text(), caf::actor_cast<directory_actor>(handles[i].relays[0])});
    keys.push_back(caf::actor_cast<journal_actor>(handles[i].relays[2]));
  }
  backend.directory = sys.spawn(sharded_directory, std::move(shards), node_timeout);
  backend.fridge_keys = [keys = std::move(keys)](const std::string& name) {
    return keys[placement::node_of(name, keys.size())];
  };
  return backend;
}

} // namespace

caf::expected<remote_backend> connect_remote_backend(caf::actor_system& sys,
                                                     const std::vector<node_address>& nodes,
                                                     std::chrono::milliseconds first_contact,
                                                     std::chrono::milliseconds node_timeout,
                                                     bool tls) {
  assert(!nodes.empty() && "a front end over no actor nodes");
  std::vector<node_handles> handles;
  auto count = static_cast<std::uint32_t>(nodes.size());
  for (std::uint32_t i = 0; i < count; ++i) // all at once: a start waits for the slowest only
    handles.push_back(spawn_link(sys, nodes[i], i, count, tls));
  auto give_up = [&](caf::error err) -> caf::expected<remote_backend> {
    for (auto& h : handles)
      caf::anon_send(h.link, stop_atom::value);
    return err;
  };
  // First every node is only asked whether it agrees with its place; the
  // places are kept only once every node has answered and agreed (a
  // mistyped list must not leave its places behind).
  caf::scoped_actor self{sys};
  auto deadline = std::chrono::steady_clock::now() + first_contact;
  std::vector<std::string> unreached;
  for (std::size_t i = 0; i < handles.size(); ++i) {
    caf::error refusal;
    auto c = first_contact_with(self, handles[i], deadline, refusal);
    if (c == contact::refused)
      return give_up(std::move(refusal));
    if (c == contact::unreached)
      unreached.push_back(nodes[i].text());
  }
  if (unreached.size() == nodes.size())
    return give_up(
        make_error(error_code::unavailable,
                   "no fridgebank actors published at " + nodes[0].text() +
                       (nodes.size() > 1 ? " nor at any other node of the list" : "") +
                       (tls ? " that accept our certificate and present one our CA signed" : "")));
  // A node not reached may be a typo: then no place is kept anywhere (the
  // nodes reached are still checked against the places they keep).
  for (auto& h : handles) {
    caf::error failure;
    if (unreached.empty())
      self->request(h.link, std::chrono::seconds{120}, record_atom::value)
          .receive([](bool) {}, [&](caf::error& err) { failure = std::move(err); });
    if (failure)
      return give_up(std::move(failure));
  }
  for (const auto& u : unreached) // served degraded: its fridges answer 503 until it is up
    std::cerr << "fridgebank-server: the actor node " << u
              << " is not reachable yet; what it holds answers 503 unavailable until it is"
                 " (the nodes keep their places only after a start that reaches them all)"
              << std::endl;
  remote_backend result;
  result.backend = backend_over(sys, nodes, handles, node_timeout);
  for (auto& h : handles)
    result.links.push_back(h.link);
  return result;
}

void batch_requests_of(const std::vector<caf::actor>& links, const caf::actor_addr& sender,
                       std::chrono::milliseconds deadline) {
  for (auto& link : links)
    caf::anon_send(link, batch_atom::value, sender, caf::timespan{deadline});
}

} // namespace fridgebank::net
