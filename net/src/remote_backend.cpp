#include "fridgebank/net/remote_backend.hpp"

#include "fridgebank/protocol/error_code.hpp"

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
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
  caf::actor target; // empty while the node is unreachable
  static inline const char* name = "fridgebank.relay";
};

/// Forwards everything to `target`, keeping the original sender and request
/// id, so the reply goes straight back to the requester.
caf::behavior relay(caf::stateful_actor<relay_data>* self) {
  self->set_default_handler(
      [self](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        if (!self->state.target)
          return make_error(error_code::unavailable, "the actor node is unreachable");
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
  bool tls = false;     // BASP over TLS (CAF's OpenSSL module)
  caf::actor relays[3]; // directory, bank, keys
  std::shared_ptr<std::atomic<bool>> up;
  caf::actor_addr node; // the connected node actor, watched
  std::vector<caf::typed_response_promise<bool>> awaiting_contact;
  static inline const char* name = "fridgebank.node_link";
};

using link_pointer = caf::stateful_actor<link_data>*;

void set_targets(link_pointer self, caf::actor directory, caf::actor bank, caf::actor keys) {
  auto& st = self->state;
  self->send(st.relays[0], target_atom::value, std::move(directory));
  self->send(st.relays[1], target_atom::value, std::move(bank));
  self->send(st.relays[2], target_atom::value, std::move(keys));
}

void connect(link_pointer self) {
  auto& st = self->state;
  auto mm = st.tls ? self->system().openssl_manager().actor_handle()
                   : self->system().middleman().actor_handle();
  auto retry = [self] { self->delayed_send(self, retry_interval, reconnect_atom::value); };
  self->request(mm, std::chrono::seconds{5}, caf::connect_atom::value, st.host, st.port)
      .then(
          [self, retry](const caf::node_id&, caf::strong_actor_ptr& ptr,
                        const std::set<std::string>&) {
            auto node = caf::actor_cast<node_actor>(ptr);
            if (!node) {
              retry();
              return;
            }
            self->request(node, std::chrono::seconds{5}, node_atom::value)
                .then(
                    [self, node](directory_actor& d, bank_actor& b, journal_actor& k) {
                      self->monitor(node);
                      self->state.node = node.address();
                      set_targets(self, caf::actor_cast<caf::actor>(d),
                                  caf::actor_cast<caf::actor>(b), caf::actor_cast<caf::actor>(k));
                      self->state.up->store(true);
                      for (auto& rp : self->state.awaiting_contact)
                        rp.deliver(true);
                      self->state.awaiting_contact.clear();
                    },
                    [retry](caf::error&) { retry(); });
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

} // namespace

caf::expected<remote_backend> connect_remote_backend(caf::actor_system& sys, std::string host,
                                                     std::uint16_t port,
                                                     std::chrono::milliseconds first_contact,
                                                     bool tls) {
  remote_backend result;
  auto up = std::make_shared<std::atomic<bool>>(false);
  caf::actor relays[3];
  for (auto& r : relays)
    r = sys.spawn(relay);
  result.link = sys.spawn([&](link_pointer self) {
    self->state.host = host;
    self->state.port = port;
    self->state.tls = tls;
    self->state.up = up;
    for (int i = 0; i < 3; ++i)
      self->state.relays[i] = relays[i];
    return node_link(self);
  });
  // The link keeps trying in the background; a start waits only so long.
  bool reached = false;
  caf::scoped_actor self{sys};
  self->request(result.link, first_contact, connected_atom::value)
      .receive([&](bool) { reached = true; }, [](caf::error&) {});
  if (!reached) {
    self->send(result.link, stop_atom::value);
    return make_error(
        error_code::unavailable,
        "no fridgebank actors published at " + host + ":" + std::to_string(port) +
            (tls ? " that accept our certificate and present one our CA signed" : ""));
  }
  result.backend.directory = caf::actor_cast<directory_actor>(relays[0]);
  result.backend.bank = caf::actor_cast<bank_actor>(relays[1]);
  result.backend.keys = caf::actor_cast<journal_actor>(relays[2]);
  result.backend.node_up = std::move(up);
  return result;
}

} // namespace fridgebank::net
