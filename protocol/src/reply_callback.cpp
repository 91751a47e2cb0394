#include "fridgebank/protocol/reply_callback.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_companion.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_execution_unit.hpp>
#include <cassert>
#include <utility>

namespace fridgebank {

namespace {

caf::actor_companion* companion_of(const caf::strong_actor_ptr& ptr) {
  return static_cast<caf::actor_companion*>(caf::actor_cast<caf::abstract_actor*>(ptr));
}

} // namespace

caf::strong_actor_ptr open_reply_callback(caf::actor_system& sys,
                                          std::function<void(caf::mailbox_element_ptr)> on_message,
                                          bool hidden) {
  assert(on_message && "a reply callback that calls nothing");
  auto companion =
      hidden ? sys.spawn<caf::actor_companion, caf::hidden>() : sys.spawn<caf::actor_companion>();
  auto ptr = caf::actor_cast<caf::strong_actor_ptr>(companion);
  companion_of(ptr)->on_enqueue(std::move(on_message));
  return ptr;
}

void close_reply_callback(const caf::strong_actor_ptr& address) {
  assert(address && "closing no reply callback");
  // What CAF's Qt widget does; 0.17.6 declares `disconnect` but does not ship it.
  auto* companion = companion_of(address);
  companion->on_enqueue({});
  caf::scoped_execution_unit host{&companion->home_system()};
  companion->cleanup(caf::exit_reason::normal, &host);
}

} // namespace fridgebank
