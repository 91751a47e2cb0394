#include "fridgebank/actors/actor_set.hpp"

#include "fridgebank/actors/bank.hpp"
#include "fridgebank/actors/directory.hpp"
#include "fridgebank/actors/journal.hpp"
#include "fridgebank/actors/store.hpp"
#include "fridgebank/protocol/batching.hpp"

#include <caf/actor_cast.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>

namespace fridgebank {

namespace {

/// Asks `dest` and waits; the reply's value is not needed, only that it came.
template <class Reply, class Handle, class... Ts>
caf::error await(caf::scoped_actor& self, const Handle& dest, std::chrono::milliseconds within,
                 Ts... xs) {
  caf::error result;
  self->request(dest, within, xs...)
      .receive([](const Reply&) {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace

caf::expected<actor_set> spawn_actor_set(caf::actor_system& sys, const actor_set_options& options) {
  actor_set set;
  if (!options.data_dir) {
    journal_link told{{}, 0, options.events}; // no journal: each actor tells of its changes
    set.directory = sys.spawn(journaled_directory, durable_state{}, told, options.max_fridges);
    set.bank = sys.spawn(journaled_bank, durable_state{}, told, options.max_accounts);
    set.journal =
        sys.spawn(journal, std::shared_ptr<store>{make_memory_store()},
                  std::vector<idempotency_record>{}, nullptr, std::vector<sync_lane_actor>{});
    return set;
  }
  auto opened = open_sqlite_store(*options.data_dir);
  if (!opened)
    return std::move(opened.error());
  std::shared_ptr<store> db = with_commit_delay(std::move(*opened), options.commit_delay);
  auto durable = db->load();
  if (!durable)
    return make_error(error_code::internal,
                      "cannot read " + *options.data_dir + ": " + detail_of(durable.error()));
  // Detached, all of them: they block in write and fsync and must not hold
  // a scheduler thread.
  std::vector<sync_lane_actor> lanes;
  for (std::size_t lane = 1; lane <= sync_lanes; ++lane)
    lanes.push_back(sys.spawn<caf::detached>(sync_lane, db, lane));
  set.journal = sys.spawn<caf::detached>(journal, db, std::move(durable->keys), options.events,
                                         std::move(lanes));
  set.durable = true;
  journal_link link{set.journal, 0, nullptr}; // the journal tells of changes once durable
  set.directory = sys.spawn(journaled_directory, *durable, link, options.max_fridges);
  set.bank = sys.spawn(journaled_bank, *durable, link, options.max_accounts);
  // After a failed commit the journal rolls both back to what is on disk.
  for (auto target :
       {caf::actor_cast<caf::actor>(set.directory), caf::actor_cast<caf::actor>(set.bank)})
    caf::anon_send(set.journal, register_atom::value, target);
  return set;
}

caf::error shutdown_actor_set(caf::actor_system& sys, actor_set& set,
                              std::chrono::milliseconds within) {
  caf::error first;
  auto keep = [&first](caf::error err) {
    if (err && !first)
      first = std::move(err);
  };
  caf::scoped_actor self{sys};
  // Other nodes lose the handles first, so nothing new comes in from them.
  std::vector<caf::actor> batch_servers;
  if (set.published)
    self->request(set.published, within, stop_atom::value)
        .receive([&](std::vector<caf::actor>& running) { batch_servers = std::move(running); },
                 [&](caf::error& err) { keep(std::move(err)); });
  // Each drain answers after the requests queued before it, whose effects
  // are then in the journal's mailbox, ahead of its own pill below.
  if (set.directory)
    keep(await<std::size_t>(self, set.directory, within, drain_atom::value));
  if (set.bank)
    keep(await<bool>(self, set.bank, within, drain_atom::value));
  // Last: the journal commits whatever has queued, closes the database
  // (and its lock), answers and ends.
  if (set.journal)
    keep(await<journal_stats>(self, set.journal, within, stop_atom::value));
  // Every reply has been given: each front end has it before the process ends.
  sync_batch_servers(self, batch_servers);
  set = actor_set{};
  return first;
}

} // namespace fridgebank
