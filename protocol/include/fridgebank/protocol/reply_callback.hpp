#pragma once

// An address that replies can be sent to without an actor behind it: a CAF
// `actor_companion` whose mailbox is a callback, run on the thread of
// whoever enqueues (so it must only hand the message on, never block). The
// bridge receives every reply of the I/O threads' requests this way
// (fridgebank/net/bridge.hpp), a node's batch server the replies it batches
// (batching.hpp).

#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <functional>

namespace fridgebank {

/// Everything enqueued to the returned address goes to `on_message`, until
/// `close_reply_callback`. The actor system waits for it unless `hidden`.
caf::strong_actor_ptr open_reply_callback(caf::actor_system& sys,
                                          std::function<void(caf::mailbox_element_ptr)> on_message,
                                          bool hidden = false);

/// Messages still on their way are dropped from now on, and the actor system
/// no longer waits for the address. Call once.
void close_reply_callback(const caf::strong_actor_ptr& address);

} // namespace fridgebank
