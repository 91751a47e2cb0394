#include "fridgebank/net/remote_backend.hpp"

#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/limits.hpp"
#include "fridgebank/protocol/placement.hpp"
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

using target_atom = caf::atom_constant<caf::atom("target")>;
using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
/// Ends a relay. Not `stop_atom`: that is a message for the actors behind it.
using close_atom = caf::atom_constant<caf::atom("close")>;
/// Answered (true) once the link has reached the node for the first time.
using connected_atom = caf::atom_constant<caf::atom("connected")>;

constexpr auto retry_interval = std::chrono::milliseconds{500};

struct relay_data {
  caf::actor target;   // empty while the node is unreachable
  std::string address; // the node's HOST:PORT, for the error
  static inline const char* name = "fridgebank.relay";
};

/// Forwards everything to `target`, keeping the original sender and request
/// id, so the reply goes straight back to the requester.
caf::behavior relay(caf::stateful_actor<relay_data>* self) {
  self->set_default_handler(
      [self](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        if (!self->state.target)
          return make_error(error_code::unavailable,
                            "the actor node " + self->state.address + " is unreachable");
        self->delegate(self->state.target, x.move_content_to_message());
        return caf::delegated<caf::message>{};
      });
  return {
      [self](target_atom, caf::actor& target) { self->state.target = std::move(target); },
      [self](close_atom) {
        self->state.target = nullptr;
        self->quit();
      },
  };
}

struct link_data {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;                      // BASP over TLS (CAF's OpenSSL module)
  std::uint32_t position = 0, count = 1; // this node's place in --actors-at
  caf::actor relays[3];                  // directory, bank, keys
  std::shared_ptr<std::atomic<bool>> up;
  caf::actor_addr node; // the connected node actor, watched
  std::vector<caf::typed_response_promise<bool>> awaiting_contact;
  std::string refusal; // the node's last refusal of our place, reported once
  static inline const char* name = "fridgebank.node_link";
};

using link_pointer = caf::stateful_actor<link_data>*;

void set_targets(link_pointer self, caf::actor directory, caf::actor bank, caf::actor keys) {
  auto& st = self->state;
  self->send(st.relays[0], target_atom::value, std::move(directory));
  self->send(st.relays[1], target_atom::value, std::move(bank));
  self->send(st.relays[2], target_atom::value, std::move(keys));
}

/// The node took our place in the list: serve its actors from now on.
void established(link_pointer self, const node_actor& node, directory_actor& d, bank_actor& b,
                 journal_actor& k) {
  auto& st = self->state;
  self->monitor(node);
  st.node = node.address();
  st.refusal.clear();
  set_targets(self, caf::actor_cast<caf::actor>(d), caf::actor_cast<caf::actor>(b),
              caf::actor_cast<caf::actor>(k));
  st.up->store(true);
  for (auto& rp : st.awaiting_contact)
    rp.deliver(true);
  st.awaiting_contact.clear();
}

/// The node holds another place's fridges: stay unreachable, keep asking
/// (an operator may restart it on the right data), say so once.
void refused(link_pointer self, const caf::error& err) {
  auto& st = self->state;
  auto why = "the actor node " + st.host + ":" + std::to_string(st.port) +
             " refuses this front end's node list: " + detail_of(err);
  bool told = !st.awaiting_contact.empty(); // a start that waits reports it itself
  for (auto& rp : st.awaiting_contact)
    rp.deliver(make_error(error_code::conflict, why));
  st.awaiting_contact.clear();
  if (!told && why != st.refusal)
    std::cerr << "fridgebank-server: " << why << std::endl;
  st.refusal = why;
}

void connect(link_pointer self) {
  auto& st = self->state;
  auto mm = st.tls ? self->system().openssl_manager().actor_handle()
                   : self->system().middleman().actor_handle();
  auto retry = [self] { self->delayed_send(self, retry_interval, reconnect_atom::value); };
  auto place = [self, retry](node_actor node) {
    return [self, retry, node](directory_actor& d, bank_actor& b, journal_actor& k) {
      auto& st = self->state;
      self->request(node, std::chrono::seconds{5}, shard_atom::value, st.position, st.count)
          .then([=](bool) mutable { established(self, node, d, b, k); },
                [self, retry](caf::error& err) {
                  if (code_of(err) == error_code::conflict)
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

/// Connects, and reconnects whenever the connection to the node goes down.
caf::behavior node_link(link_pointer self) {
  self->set_down_handler([self](caf::down_msg& down) {
    if (down.source != self->state.node)
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

caf::expected<node_handles> connect_node(caf::actor_system& sys, const node_address& at,
                                         std::uint32_t position, std::uint32_t count,
                                         std::chrono::milliseconds first_contact, bool tls) {
  node_handles result;
  result.up = std::make_shared<std::atomic<bool>>(false);
  for (auto& r : result.relays)
    r = sys.spawn([address = at.text()](caf::stateful_actor<relay_data>* self) {
      self->state.address = address;
      return relay(self);
    });
  result.link = sys.spawn([&](link_pointer self) {
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
  // The link keeps trying in the background; a start waits only so long.
  bool reached = false;
  caf::error refusal;
  caf::scoped_actor self{sys};
  self->request(result.link, first_contact, connected_atom::value)
      .receive([&](bool) { reached = true; },
               [&](caf::error& err) {
                 if (code_of(err) == error_code::conflict)
                   refusal = std::move(err);
               });
  if (!reached) {
    self->send(result.link, stop_atom::value);
    if (refusal)
      return refusal;
    return make_error(
        error_code::unavailable,
        "no fridgebank actors published at " + at.text() +
            (tls ? " that accept our certificate and present one our CA signed" : ""));
  }
  return result;
}

/// Whether every fridge node `position` holds is one the list places there,
/// and only the first node holds accounts: a list that disagrees would hide
/// fridges or create a second one of the same name elsewhere. Reads the
/// node's whole listing, a page of 10 000 at a time.
caf::error check_placement(caf::actor_system& sys, const std::vector<node_address>& nodes,
                           std::size_t position, const node_handles& node) {
  caf::scoped_actor self{sys};
  caf::error failure;
  auto directory = caf::actor_cast<directory_actor>(node.relays[0]);
  auto mismatch = [&](const std::string& detail) {
    return make_error(error_code::bad_request,
                      "the node list disagrees with what the nodes hold: " + detail +
                          " (docs/distribution.md, \"Changing the node list\")");
  };
  page_request page;
  page.limit = max_page_limit;
  for (bool more = true; more && !failure;) {
    self->request(directory, std::chrono::seconds{60}, list_atom::value, page)
        .receive(
            [&](fridge_list& list) {
              for (const auto& f : list.fridges) {
                auto home = placement::node_of(f.name, nodes.size());
                if (home != position && !failure)
                  failure = mismatch("fridge '" + f.name + "' is on " + nodes[position].text() +
                                     " but the list places it on " + nodes[home].text());
              }
              page.after = list.next;
              more = !list.next.empty();
            },
            [&](caf::error& err) { failure = err; });
  }
  if (failure || position == 0)
    return failure;
  auto bank = caf::actor_cast<bank_actor>(node.relays[1]);
  self->request(bank, std::chrono::seconds{60}, count_atom::value)
      .receive(
          [&](std::size_t accounts) {
            if (accounts > 0)
              failure =
                  mismatch(nodes[position].text() + " holds " + std::to_string(accounts) +
                           " accounts, but the bank lives on the first node, " + nodes[0].text());
          },
          [&](caf::error& err) { failure = err; });
  return failure;
}

/// The routes' handles over the nodes: the first node's bank and keys, and
/// with more than one node the sharded directory and per-fridge keys.
api_backend backend_over(caf::actor_system& sys, const std::vector<node_address>& nodes,
                         const std::vector<node_handles>& handles) {
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
  backend.directory = sys.spawn(sharded_directory, std::move(shards));
  backend.fridge_keys = [keys = std::move(keys)](const std::string& name) {
    return keys[placement::node_of(name, keys.size())];
  };
  return backend;
}

} // namespace

caf::expected<remote_backend> connect_remote_backend(caf::actor_system& sys,
                                                     const std::vector<node_address>& nodes,
                                                     std::chrono::milliseconds first_contact,
                                                     bool tls) {
  assert(!nodes.empty() && "a front end over no actor nodes");
  std::vector<node_handles> handles;
  auto give_up = [&](caf::error err) -> caf::expected<remote_backend> {
    for (auto& h : handles)
      caf::anon_send(h.link, stop_atom::value);
    return err;
  };
  for (std::uint32_t i = 0; i < nodes.size(); ++i) {
    auto node = connect_node(sys, nodes[i], i, static_cast<std::uint32_t>(nodes.size()),
                             first_contact, tls);
    if (!node)
      return give_up(std::move(node.error()));
    handles.push_back(std::move(*node));
  }
  if (nodes.size() > 1)
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (auto err = check_placement(sys, nodes, i, handles[i]))
        return give_up(std::move(err));
  remote_backend result;
  result.backend = backend_over(sys, nodes, handles);
  for (auto& h : handles)
    result.links.push_back(h.link);
  return result;
}

} // namespace fridgebank::net
