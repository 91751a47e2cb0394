#include "fridgebank/actors/journal.hpp"

#include "fridgebank/protocol/error_code.hpp"

#include <algorithm>
#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <iostream>

namespace fridgebank {

namespace {

using journal_pointer = journal_actor::stateful_pointer<journal_data>;

/// Takes one entry into the next transaction; its reply goes out after it.
template <class Reply> auto commit_handler(journal_pointer self) {
  return [self](commit_atom, journal_entry& entry, Reply& reply) -> caf::result<Reply> {
    auto& st = self->state;
    if (entry.epoch != st.epoch)
      // Computed on state a failed commit has since rolled back.
      return make_error(error_code::unavailable,
                        "state was rolled back after a failed write; retry the request");
    auto rp = self->make_response_promise<Reply>();
    st.batch.push_back(
        {std::move(entry), [rp, reply = std::move(reply)](const caf::error& err) mutable {
           if (err)
             rp.deliver(err);
           else
             rp.deliver(std::move(reply));
         }});
    if (!st.flush_scheduled) {
      // Behind every entry already in the mailbox: they all join this commit.
      st.flush_scheduled = true;
      self->send(self, flush_atom::value);
    }
    return rp;
  };
}

void flush(journal_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.batch.empty())
    return;
  auto count = std::min(st.batch.size(), max_batch);
  std::vector<const journal_entry*> entries;
  entries.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    entries.push_back(&st.batch[i].entry);
  // Reads and barriers only wait for what is before them: no transaction.
  auto writes = static_cast<std::uint64_t>(
      std::count_if(entries.begin(), entries.end(), [](const journal_entry* e) {
        return !e->fridges.empty() || !e->accounts.empty() || e->bank_stopped;
      }));
  auto started = std::chrono::steady_clock::now();
  auto err = writes > 0 ? st.db->commit(entries) : caf::error{};
  st.stats.commit_nanoseconds +=
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count());
  std::vector<journal_data::pending> done(std::make_move_iterator(st.batch.begin()),
                                          std::make_move_iterator(st.batch.begin() + count));
  st.batch.erase(st.batch.begin(), st.batch.begin() + count);
  if (!st.batch.empty()) {
    st.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
  if (!err) {
    if (writes > 0) {
      ++st.stats.commits;
      st.stats.entries += writes;
    }
    for (auto& p : done)
      p.release({});
    return;
  }
  // Nothing of the batch is on disk. Its requesters learn so; everything
  // computed on top of it (the rest of the queue, in the old epoch) is
  // refused; the state-owning actors reload what is on disk.
  ++st.stats.failed_commits;
  // The client gets a plain 500; the operator gets the cause.
  std::cerr << "fridgebank: journal commit failed, rolling back: " << detail_of(err) << std::endl;
  auto reported =
      make_error(error_code::internal, "the change could not be made durable: " + detail_of(err) +
                                           "; nothing was changed");
  for (auto& p : done)
    p.release(reported);
  ++st.epoch;
  for (auto& p : st.batch)
    p.release(make_error(error_code::unavailable,
                         "state was rolled back after a failed write; retry the request"));
  st.batch.clear();
  auto durable = st.db->load();
  if (!durable)
    return; // the stale epoch keeps refusing writes: nothing wrong can become durable
  durable->epoch = st.epoch;
  for (auto& target : st.rollback_targets)
    caf::anon_send(target, rollback_atom::value, *durable);
}

} // namespace

journal_actor::behavior_type journal(journal_actor::stateful_pointer<journal_data> self,
                                     std::shared_ptr<store> db) {
  self->state.db = std::move(db);
  return {
      commit_handler<fridge_result>(self),
      commit_handler<fridge_state>(self),
      commit_handler<account>(self),
      commit_handler<transfer_result>(self),
      commit_handler<ledger_snapshot>(self),
      [self](stats_atom) { return self->state.stats; },
      [self](flush_atom) { flush(self); },
      [self](stop_atom) {
        while (!self->state.batch.empty())
          flush(self);
        self->state.rollback_targets.clear(); // they hold us too: break the cycle
        self->quit();
        return self->state.stats;
      },
      [self](register_atom, caf::actor target) {
        self->state.rollback_targets.push_back(std::move(target));
      },
  };
}

} // namespace fridgebank
