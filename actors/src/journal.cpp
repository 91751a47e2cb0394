#include "fridgebank/actors/journal.hpp"

#include "fridgebank/actors/faults.hpp"
#include "fridgebank/protocol/codec.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/interfaces.hpp"

#include <algorithm>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <cassert>
#include <iostream>

namespace fridgebank {

namespace {

using journal_pointer = journal_actor::stateful_pointer<journal_data>;

void schedule_flush(journal_pointer self) {
  self->state.flush_scheduled = true;
  self->send(self, flush_atom::value);
}

/// A release that answers `rp` with `value` once durable, else the error.
template <class T>
std::function<void(const caf::error&)> deliver_when_durable(caf::typed_response_promise<T> rp,
                                                            T value) {
  return [rp, value = std::move(value)](const caf::error& err) mutable {
    if (err)
      rp.deliver(err);
    else
      rp.deliver(std::move(value));
  };
}

/// The keys `entry` carried were lost with it: nothing happened for them.
void release_claims(journal_data& st, const journal_entry& entry) {
  for (const auto& record : entry.keys)
    st.keys.release(record.key);
}

/// Queues `entry` for the next transaction; `release` runs once it is
/// durable (with no error) or lost (with the error); `event`, when given, is
/// published once it is durable.
void enqueue(journal_pointer self, journal_entry entry,
             std::function<void(const caf::error&)> release,
             std::optional<change_event> event = std::nullopt) {
  auto& st = self->state;
  if (st.stopping) { // nothing is committed after the pill
    release_claims(st, entry);
    release(make_error(error_code::unavailable, "the journal is stopping; nothing was changed"));
    return;
  }
  st.batch.push_back({std::move(entry), std::move(release), std::move(event)});
  // Behind every entry already in the mailbox: they all join this commit.
  if (!st.flush_scheduled && !st.waiting_for_lane)
    schedule_flush(self);
}

caf::error rolled_back() {
  return make_error(error_code::unavailable,
                    "state was rolled back after a failed write; retry the request");
}

/// How long a fence may take before the claim it would free is kept.
constexpr std::chrono::seconds fence_timeout{30};

caf::actor_addr sender_of(journal_pointer self) {
  return caf::actor_cast<caf::actor_addr>(self->current_sender());
}

/// The event `entry` will make once durable, when anyone watches.
template <class Reply>
std::optional<change_event> event_for(journal_data& st, const journal_entry& entry,
                                      const Reply& reply) {
  if (!st.events || (entry.fridges.empty() && entry.accounts.empty() && !entry.bank_stopped))
    return std::nullopt;
  if (!st.events->wanted()) {
    st.events->skipped();
    return std::nullopt;
  }
  return event_of(entry, reply);
}

/// Takes one entry into the next transaction; its reply goes out after it.
template <class Reply> auto commit_handler(journal_pointer self) {
  return [self](commit_atom, journal_entry& entry, Reply& reply) -> caf::result<Reply> {
    auto& st = self->state;
    if (entry.epoch != st.epoch)
      return rolled_back(); // computed on state a failed commit has since rolled back
    // The effect of a request with an Idempotency-Key: the key and this
    // reply are stored in the same transaction.
    if (auto record = st.keys.take_claim_of(sender_of(self))) {
      record->body = codec::encode(reply);
      record->created = unix_now();
      entry.keys.push_back(std::move(*record));
    }
    auto event = event_for(st, entry, reply);
    auto rp = self->make_response_promise<Reply>();
    enqueue(self, std::move(entry), deliver_when_durable(rp, std::move(reply)), std::move(event));
    return rp;
  };
}

/// Publishes the events of a batch that is durable now, in commit order.
void publish_events(journal_data& st, std::vector<journal_data::pending>& done) {
  if (!st.events)
    return;
  for (auto& p : done)
    if (p.event)
      st.events->publish(std::move(*p.event));
}

/// `done` is durable: its keys are answered before any reply goes out (so a
/// retry that follows the reply finds its key), then events, then replies.
void release_durable(journal_data& st, std::vector<journal_data::pending>& done) {
  for (auto& p : done)
    for (auto& record : p.entry.keys)
      st.keys.answered(record);
  publish_events(st, done);
  for (auto& p : done)
    p.release({});
}

/// A sync that began after commit `seq` returned: everything up to it is durable.
void synced_through(journal_data& st, std::uint64_t seq) {
  while (!st.unsynced.empty() && st.unsynced.front().seq <= seq) {
    auto done = std::move(st.unsynced.front().done);
    st.unsynced.pop_front();
    release_durable(st, done);
  }
}

/// A failed fsync: what was written may or may not survive a crash.
void become_broken(journal_pointer self, const caf::error& err) {
  auto& st = self->state;
  if (st.broken)
    return; // its unsynced entries were answered then; nothing was written since
  std::cerr << "fridgebank: journal sync failed, refusing every request until restart: "
            << detail_of(err) << std::endl;
  st.broken = make_error(error_code::unavailable,
                         "a write could not be made durable (" + detail_of(err) +
                             "); every request is refused until the server restarts");
  // As with a timeout the outcome is unknown: their keys stay claimed (the
  // claimant keeps them too, idempotency.hpp), so a retry cannot run what
  // may have happened; after a restart it gets the stored reply, or runs.
  auto unknown =
      make_error(error_code::timeout, "the change may or may not be durable: " + detail_of(err) +
                                          "; after a restart, read before retrying");
  for (auto& w : st.unsynced)
    for (auto& p : w.done)
      p.release(unknown);
  st.unsynced.clear();
}

template <class Started> std::uint64_t nanoseconds_since(Started started) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now() - started)
                                        .count());
}

/// Without lanes: the fsync on this thread.
void sync_here(journal_pointer self, std::uint64_t seq) {
  auto& st = self->state;
  auto started = std::chrono::steady_clock::now();
  auto err = st.db->sync(0);
  ++st.stats.syncs;
  st.stats.sync_nanoseconds += nanoseconds_since(started);
  if (err)
    become_broken(self, err);
  else
    synced_through(st, seq);
}

/// Hands the fsync of everything up to commit `seq` to an idle lane.
void dispatch(journal_pointer self, std::uint64_t seq) {
  auto& st = self->state;
  assert(!st.idle_lanes.empty()); // flush() waits for one
  auto lane = st.idle_lanes.back();
  st.idle_lanes.pop_back();
  auto lane_back = [self, lane] {
    auto& st = self->state;
    if (!st.lanes.empty()) // not stopping
      st.idle_lanes.push_back(lane);
    if (st.waiting_for_lane) {
      st.waiting_for_lane = false;
      schedule_flush(self);
    }
  };
  self->request(lane, caf::infinite, sync_atom::value, seq)
      .then(
          [self, lane_back](std::uint64_t synced, std::uint64_t nanoseconds) {
            auto& st = self->state;
            ++st.stats.syncs;
            st.stats.sync_nanoseconds += nanoseconds;
            synced_through(st, synced);
            lane_back();
          },
          [self, lane_back](caf::error& err) {
            become_broken(self, err);
            lane_back();
          });
}

/// Releases `done` once durable: at once when it wrote nothing and nothing
/// waits, else behind what waits, after the next sync.
void make_durable(journal_pointer self, std::vector<journal_data::pending> done, bool wrote) {
  auto& st = self->state;
  if (!wrote && st.unsynced.empty()) {
    release_durable(st, done);
    return;
  }
  auto seq = wrote ? ++st.written_seq : st.written_seq; // reads wait for what is before them
  st.unsynced.push_back({seq, std::move(done)});
  if (!wrote)
    return;
  if (st.lanes.empty())
    sync_here(self, seq);
  else
    dispatch(self, seq);
}

/// Nothing of `entries` happened: each is answered `err`, its keys freed.
void refuse(journal_data& st, std::vector<journal_data::pending>& entries, const caf::error& err) {
  for (auto& p : entries) {
    release_claims(st, p.entry);
    p.release(err);
  }
  entries.clear();
}

/// A failed commit: nothing of `done` is on disk. Its requesters learn so;
/// everything computed on top of it (the rest of the queue, in the old
/// epoch) is refused; the state-owning actors reload what is on disk.
void roll_back(journal_pointer self, const caf::error& err,
               std::vector<journal_data::pending>& done) {
  auto& st = self->state;
  ++st.stats.failed_commits;
  // The client gets a plain 500; the operator gets the cause (once while it repeats).
  if (detail_of(err) != st.last_failure) {
    st.last_failure = detail_of(err);
    std::cerr << "fridgebank: journal commit failed, rolling back: " << st.last_failure
              << std::endl;
  }
  // An unusable journal (its file deleted) is 503 unavailable, as API.md
  // names it; any other failure a plain 500.
  auto code =
      code_of(err) == error_code::unavailable ? error_code::unavailable : error_code::internal;
  auto reported = make_error(code, "the change could not be made durable: " + detail_of(err) +
                                       "; nothing was changed");
  // The state-owning actors reload first: the rollback is in their
  // mailboxes before any requester hears of the failure, so a read sent
  // after that answer is served from the reloaded state, not refused for
  // the stale epoch. (Without a loadable database the stale epoch keeps
  // refusing writes: nothing wrong can become durable.) What was committed
  // before, still waiting for its sync, is in what they reload.
  ++st.epoch;
  if (auto durable = st.db->load()) {
    durable->epoch = st.epoch;
    for (auto& target : st.rollback_targets)
      caf::anon_send(target, rollback_atom::value, *durable);
  }
  // Nothing happened for any of them: a retry with their keys may execute.
  refuse(st, done, reported);
  refuse(st, st.batch, rolled_back());
}

/// Whether `e` changes anything on disk (reads and barriers do not: they
/// only wait for what is before them).
bool writes_to_disk(const journal_entry& e) {
  return !e.fridges.empty() || !e.accounts.empty() || e.bank_stopped || !e.keys.empty();
}

/// Commits the batch (up to max_batch entries) as one transaction.
void flush(journal_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.batch.empty())
    return;
  if (st.broken) { // after a failed sync nothing more is written
    refuse(st, st.batch, st.broken);
    return;
  }
  if (!st.lanes.empty() && st.idle_lanes.empty()) {
    st.waiting_for_lane = true; // meanwhile the batch grows
    return;
  }
  auto count = std::min(st.batch.size(), max_batch);
  std::vector<journal_data::pending> done(std::make_move_iterator(st.batch.begin()),
                                          std::make_move_iterator(st.batch.begin() + count));
  st.batch.erase(st.batch.begin(), st.batch.begin() + count);
  if (!st.batch.empty())
    schedule_flush(self);
  std::vector<const journal_entry*> entries;
  entries.reserve(count);
  std::uint64_t writes = 0;
  for (auto& p : done) {
    entries.push_back(&p.entry);
    writes += writes_to_disk(p.entry) ? 1 : 0;
  }
  if (faults::on(faults::fault::ack_before_commit))
    for (auto& p : done) // the bug: answered before it is durable
      std::exchange(p.release, [](const caf::error&) {})({});
  auto started = std::chrono::steady_clock::now();
  auto err = writes > 0 ? st.db->commit(entries) : caf::error{};
  st.stats.commit_nanoseconds += nanoseconds_since(started);
  if (err) {
    roll_back(self, err, done);
    return;
  }
  st.last_failure.clear();
  if (writes > 0) {
    ++st.stats.commits;
    st.stats.entries += writes;
  }
  make_durable(self, std::move(done), writes > 0);
}

/// The journal's pill: what is queued is committed and synced here, every
/// lane stops (dropping its hold on the database), then the database closes
/// (and its lock is released) before the answer.
caf::result<journal_stats> stop(journal_pointer self) {
  auto& st = self->state;
  auto rp = self->make_response_promise<journal_stats>();
  st.stop_promises.push_back(rp);
  if (st.stopping)
    return rp; // answered with the first pill's
  st.stopping = true;
  auto lanes = std::exchange(st.lanes, {});
  st.idle_lanes.clear();
  st.waiting_for_lane = false;
  while (!st.batch.empty())
    flush(self);
  if (!st.unsynced.empty())
    sync_here(self, st.written_seq);
  st.rollback_targets.clear(); // they hold us too: break the cycle
  auto left = std::make_shared<std::size_t>(lanes.size());
  auto one_stopped = [self, left] {
    if (*left > 0 && --*left > 0)
      return;
    auto& st = self->state;
    st.db.reset();
    for (auto& promise : st.stop_promises)
      promise.deliver(st.stats);
    self->quit();
  };
  if (lanes.empty())
    one_stopped();
  for (auto& lane : lanes)
    self->request(lane, caf::infinite, stop_atom::value)
        .then([one_stopped](bool) { one_stopped(); },
              [one_stopped](caf::error&) { one_stopped(); });
  return rp;
}

/// A claimant on another node went down: once the directory (every fridge)
/// and the bank have served what it sent them, a claim no commit took is
/// freed (idempotency.hpp). Without fence targets (in memory) it stays.
void fence_abandoned_claim(journal_pointer self, caf::actor_addr claimant) {
  auto targets = self->state.rollback_targets;
  if (targets.empty())
    return;
  auto pending = std::make_shared<std::size_t>(targets.size());
  auto failed = std::make_shared<bool>(false);
  auto one_done = [self, claimant, pending, failed](bool ok) {
    *failed = *failed || !ok;
    if (--*pending > 0 || *failed)
      return;
    self->state.keys.release_abandoned(claimant);
  };
  for (auto& target : targets)
    self->request(target, fence_timeout, fence_atom::value)
        .then([one_done](bool) { one_done(true); }, [one_done](caf::error&) { one_done(false); });
}

/// Watches a claimant on another node, which may die holding its claim.
void watch_if_remote(journal_pointer self, const caf::actor_addr& claimant) {
  if (!claimant || claimant.node() == self->node())
    return;
  if (auto handle = caf::actor_cast<caf::actor>(claimant))
    self->monitor(handle);
  else
    fence_abandoned_claim(self, claimant); // gone already
}

} // namespace

journal_actor::behavior_type journal(journal_actor::stateful_pointer<journal_data> self,
                                     std::shared_ptr<store> db,
                                     std::vector<idempotency_record> keys,
                                     std::shared_ptr<event_sink> events,
                                     std::vector<sync_lane_actor> lanes) {
  self->state.db = std::move(db);
  for (auto& lane : lanes)
    self->link_to(lane); // a journal that dies takes its lanes along
  self->state.idle_lanes = lanes;
  self->state.lanes = std::move(lanes);
  self->state.keys = idempotency::key_table{std::move(keys)};
  self->state.events = std::move(events);
  self->set_down_handler([self](caf::down_msg& down) { fence_abandoned_claim(self, down.source); });
  return {
      commit_handler<fridge_result>(self),
      commit_handler<fridge_state>(self),
      commit_handler<account>(self),
      commit_handler<transfer_result>(self),
      commit_handler<ledger_snapshot>(self),
      [self](stats_atom) { return self->state.stats; },
      [self](flush_atom) { flush(self); },
      [self](stop_atom) { return stop(self); },
      [self](claim_atom, idempotency_record& claim) -> idempotency_verdict {
        self->state.keys.prune(unix_now());
        auto claimant = sender_of(self);
        auto verdict = self->state.keys.claim(std::move(claim), claimant);
        if (verdict.kind == idempotency_verdict::fresh)
          watch_if_remote(self, claimant);
        return verdict;
      },
      [self](remember_atom, idempotency_record& record) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.keys.must_store(sender_of(self), record.key))
          return true; // stored with its effect already
        journal_entry entry;
        entry.epoch = st.epoch;
        record.created = unix_now();
        entry.keys.push_back(std::move(record));
        auto rp = self->make_response_promise<bool>();
        enqueue(self, std::move(entry), deliver_when_durable(rp, true));
        return rp;
      },
      [self](forget_atom, const std::string& key) {
        self->state.keys.release_by(sender_of(self), key);
      },
      [self](register_atom, caf::actor target) {
        self->state.rollback_targets.push_back(std::move(target));
      },
  };
}

sync_lane_actor::behavior_type sync_lane(sync_lane_actor::stateful_pointer<sync_lane_data> self,
                                         std::shared_ptr<store> db, std::size_t lane) {
  self->state.db = std::move(db);
  self->state.lane = lane;
  return {
      [self](sync_atom, std::uint64_t seq) -> caf::result<std::uint64_t, std::uint64_t> {
        auto started = std::chrono::steady_clock::now();
        if (auto err = self->state.db->sync(self->state.lane))
          return err;
        return {seq, nanoseconds_since(started)};
      },
      [self](stop_atom) {
        self->state.db.reset();
        self->quit();
        return true;
      },
  };
}

} // namespace fridgebank
