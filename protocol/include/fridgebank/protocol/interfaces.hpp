#pragma once

// The typed interfaces of our actors: the only thing other layers (and other
// CAF systems) know of them. The HTTP front end talks to the directory and
// the bank through these handles, never through their implementation.

#include "fridgebank/protocol/batching.hpp"
#include "fridgebank/protocol/journal.hpp"
#include "fridgebank/protocol/messages.hpp"

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstddef>
#include <string>

namespace fridgebank {

using drink_atom = caf::atom_constant<caf::atom("drink")>;
using look_atom = caf::atom_constant<caf::atom("look")>;
/// Shutting the process down, not a pill: serve what is queued, then end.
/// Nothing about it is journaled; a restart brings everything back live.
using drain_atom = caf::atom_constant<caf::atom("drain")>;
/// Answered once everything sent before it has been served (and so every
/// effect of it handed to the journal): Idempotency-Key's fence.
using fence_atom = caf::atom_constant<caf::atom("fence")>;
using create_atom = caf::atom_constant<caf::atom("create")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using find_atom = caf::atom_constant<caf::atom("find")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using open_atom = caf::atom_constant<caf::atom("open")>;
using deposit_atom = caf::atom_constant<caf::atom("deposit")>;
using withdraw_atom = caf::atom_constant<caf::atom("withdraw")>;
using balance_atom = caf::atom_constant<caf::atom("balance")>;
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
/// A fridge nobody asked for lately gives its state to the directory and
/// ends; the directory serves it again from that state when asked.
using rest_atom = caf::atom_constant<caf::atom("rest")>;
/// The directory's own timer: a sweep for fridges to put to rest.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

/// One fridge. Requests are served one at a time in arrival order. `stop` is
/// the poison pill: it is served in its turn like any request, after which
/// every drink is refused with `error_code::stopped` and `look` shows the
/// final state.
using fridge_actor = caf::typed_actor<
    caf::replies_to<drink_atom, drink_request>::with<fridge_result>,
    caf::replies_to<look_atom>::with<fridge_state>, caf::replies_to<stop_atom>::with<fridge_state>,
    // The process is stopping: answer once everything before is served, then end.
    caf::replies_to<drain_atom>::with<bool>, caf::replies_to<fence_atom>::with<bool>,
    // From its directory: the state, once durable (as `look`); if nothing
    // came for the fridge since, the directory drains it and keeps the state.
    caf::replies_to<rest_atom>::with<fridge_state>,
    // After a failed commit: back to the durable state, in the journal's new epoch.
    caf::reacts_to<rollback_atom, std::uint64_t, fridge_record>>;

/// Fridges by name: creates them, routes requests to them, lists them, and
/// keeps the final state of the stopped ones.
using directory_actor =
    caf::typed_actor<caf::replies_to<create_atom, new_fridge>::with<fridge_state>,
                     caf::replies_to<look_atom, std::string>::with<fridge_state>,
                     // One page, in name order (GET /fridges).
                     caf::replies_to<list_atom, page_request>::with<fridge_list>,
                     caf::replies_to<drink_atom, std::string, drink_request>::with<fridge_result>,
                     caf::replies_to<stop_atom, std::string>::with<fridge_state>,
                     caf::replies_to<find_atom, std::string>::with<fridge_actor>,
                     // Live (not stopped) fridges, resting or not, for /metrics.
                     caf::replies_to<count_atom>::with<std::size_t>,
                     // The process is stopping: every fridge drains (serves its
                     // queue, ends, stays live on disk), then the directory
                     // answers how many drained and ends too.
                     caf::replies_to<drain_atom>::with<std::size_t>,
                     // After every fridge has answered a fence of its own.
                     caf::replies_to<fence_atom>::with<bool>,
                     // A sweep: every fridge actor nobody asked for since the
                     // last sweep (and whose handle was never handed out)
                     // rests, unless asked for meanwhile. `sweep` is the
                     // directory's own timer (every `fridge_rest_after` while
                     // some fridge is awake); `rest` asks for one now.
                     caf::reacts_to<rest_atom>, caf::reacts_to<sweep_atom>,
                     // After a failed commit: every fridge back to what is on disk.
                     caf::reacts_to<rollback_atom, durable_state>>;

/// The ledger: one actor owns every account, so every operation (transfers
/// and snapshots included) is atomic. `stop` is the pill: afterwards every
/// request that would change money is refused with `error_code::stopped`;
/// `balance`, `snapshot` and `count` still answer.
using bank_actor =
    caf::typed_actor<caf::replies_to<open_atom, std::string>::with<account>,
                     caf::replies_to<deposit_atom, std::string, std::int64_t>::with<account>,
                     caf::replies_to<withdraw_atom, std::string, std::int64_t>::with<account>,
                     caf::replies_to<balance_atom, std::string>::with<account>,
                     caf::replies_to<transfer_atom, transfer_request>::with<transfer_result>,
                     // The whole ledger at one instant (embedding programs).
                     caf::replies_to<snapshot_atom>::with<ledger_snapshot>,
                     // One page of it, with the whole ledger's total (GET /accounts).
                     caf::replies_to<snapshot_atom, page_request>::with<ledger_snapshot>,
                     // The pill; answers the first page of the final ledger.
                     caf::replies_to<stop_atom>::with<ledger_snapshot>,
                     // Number of accounts, for /metrics; answered also when stopped.
                     caf::replies_to<count_atom>::with<std::size_t>,
                     // The process is stopping: answer after what is queued, then end.
                     caf::replies_to<drain_atom>::with<bool>,
                     caf::replies_to<fence_atom>::with<bool>,
                     // After a failed commit: every account back to what is on disk.
                     caf::reacts_to<rollback_atom, durable_state>>;

using node_atom = caf::atom_constant<caf::atom("node")>;
using shard_atom = caf::atom_constant<caf::atom("shard")>;

/// What a fridgebank process publishes to other CAF nodes (`--publish`): one
/// handle that hands out the directory, the bank and the journal (which keeps
/// the Idempotency-Keys). `stop`, from an actor of its own process (another
/// process's is refused, `unauthorized`: a guard against a mistaken peer,
/// not authentication, which is TLS's), makes it quit (the actors it hands out are
/// stopped by their owner, not through it), answering with the batch
/// servers it runs, for its owner to sync before the process ends
/// (fridgebank/protocol/batching.hpp).
using node_actor =
    caf::typed_actor<caf::replies_to<node_atom>::with<directory_actor, bank_actor, journal_actor>,
                     // A front end lists this node at `position` of `count`
                     // (`--actors-at`): true when that is where its fridges
                     // were placed, or no place is kept yet; else an error.
                     // With `record`, an unkept place is kept from now on.
                     caf::replies_to<shard_atom, std::uint32_t, std::uint32_t, bool>::with<bool>,
                     // A batch server for one of the three (a `batch_target`),
                     // answering `relay` (fridgebank/protocol/batching.hpp).
                     caf::replies_to<batch_atom, std::uint8_t, caf::actor>::with<caf::actor>,
                     caf::replies_to<stop_atom>::with<std::vector<caf::actor>>>;

} // namespace fridgebank
