#include "fridgebank/actors/directory.hpp"

#include "after_commit.hpp"
#include "fridgebank/actors/fridge.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/limits.hpp"

#include <caf/event_based_actor.hpp>
#include <cassert>
#include <memory>

namespace fridgebank {

namespace {

using directory_pointer = directory_actor::stateful_pointer<directory_data>;
using detail::after_commit;
using detail::error_after_commit;
using detail::when_durable;
using state_callback = std::function<void(const caf::expected<fridge_state>&)>;

caf::error no_such_fridge(const std::string& name) {
  return make_error(error_code::not_found, "no fridge " + name);
}

caf::error fridge_stopped(const std::string& name) {
  return make_error(error_code::stopped, "fridge " + name + " is stopped");
}

fridge_actor spawn_fridge(directory_pointer self, const fridge_record& record);
void schedule_sweep(directory_pointer self);

fridge_state state_of(const fridge_record& record) {
  return fridge_state{record.name, record.drinks, record.stopped};
}

/// The actor of a resting or awake fridge, spawned from its state if it
/// rests; asked for, so the next sweep leaves it awake.
const fridge_actor& awake(directory_pointer self, const std::string& name, fridge_entry& entry) {
  assert(is_live(entry.phase));
  if (entry.phase == fridge_phase::resting) {
    entry.handle =
        spawn_fridge(self, fridge_record{name, entry.state.drinks_left_in_fridge, false});
    self->state.set_phase(entry, fridge_phase::awake);
    schedule_sweep(self);
  }
  entry.asked = true;
  ++entry.routed;
  return entry.handle;
}

/// Calls what waited for a stopping `entry` with `outcome`.
void release_waiting(fridge_entry& entry, const caf::expected<fridge_state>& outcome) {
  auto waiting = std::move(entry.waiting);
  entry.waiting.clear();
  for (auto& callback : waiting)
    callback(outcome);
}

/// How many fridges a list or a sweep asks at once. In CAF 0.17 what each
/// response costs the directory grows with the requests it still has open
/// (perf: scheduled_actor::categorize), so asking all at once made a long
/// list several times slower than asking 128 at a time (bench/NOTES.md).
constexpr std::size_t ask_window = 128;

/// The fridges one sweep found idle, asked `ask_window` at a time.
struct rest_round {
  std::vector<std::string> names;
  std::size_t next = 0;   // the first of `names` not asked yet
  std::size_t asking = 0; // asked, not answered
};

/// What a `rest` was sent after: its answer counts only if nothing moved.
struct rest_asked {
  std::uint32_t routed = 0;
  std::uint64_t epoch = 0;
};

/// A fridge's answer to `rest`: if nothing was routed to it since `rest`
/// (a drink, look, pill or `find` all count) and no rollback came, it rests
/// with that state and its actor, drained, ends; nothing can be queued
/// behind the drain. Otherwise it stays awake: no request ever waits for a
/// fridge to rest.
void rested(directory_pointer self, const std::string& name, const rest_asked& asked,
            const fridge_state& state) {
  auto& st = self->state;
  auto it = st.fridges.find(name);
  if (it == st.fridges.end())
    return;
  auto& entry = it->second;
  // Not awake: an earlier answer, to a second sweep's `rest`, put it to rest already.
  if (entry.phase != fridge_phase::awake || entry.routed != asked.routed ||
      asked.epoch != st.link.epoch)
    return;
  assert(!entry.handed_out); // `find` routes too
  auto handle = entry.handle;
  entry.state = state;
  st.set_phase(entry, fridge_phase::resting);
  self->request(handle, caf::infinite, drain_atom::value).then([](bool) {}, [](caf::error&) {});
}

/// Asks the next idle fridges of `round` for their state (each answers once
/// it is durable, like a look); each answer may put one to rest.
void ask_to_rest(directory_pointer self, const std::shared_ptr<rest_round>& round) {
  auto& st = self->state;
  while (round->asking < ask_window && round->next < round->names.size()) {
    const auto& name = round->names[round->next++];
    auto it = st.fridges.find(name);
    if (it == st.fridges.end() || it->second.phase != fridge_phase::awake || it->second.asked)
      continue; // asked for, stopped or gone since the sweep
    ++round->asking;
    // No timeout: a local actor always answers, if only with an error once gone.
    self->request(it->second.handle, caf::infinite, rest_atom::value)
        .then(
            [self, round, name,
             asked = rest_asked{it->second.routed, st.link.epoch}](const fridge_state& state) {
              --round->asking;
              rested(self, name, asked, state);
              ask_to_rest(self, round);
            },
            [self, round](caf::error&) {
              --round->asking; // it stays awake
              ask_to_rest(self, round);
            });
  }
}

/// The sweep: every awake fridge nobody asked for since the last one is
/// asked to rest (unless its handle was handed out: it may be in use
/// elsewhere). The next sweep is due only while some are awake: an idle
/// server sleeps.
void sweep(directory_pointer self) {
  auto round = std::make_shared<rest_round>();
  bool any_awake = false;
  for (auto& [name, entry] : self->state.fridges) {
    if (entry.phase != fridge_phase::awake || entry.handed_out)
      continue;
    any_awake = true;
    if (entry.asked)
      entry.asked = false;
    else
      round->names.push_back(name);
  }
  ask_to_rest(self, round);
  if (any_awake)
    schedule_sweep(self);
}

using alarm_atom = caf::atom_constant<caf::atom("alarm")>;

/// The directory's alarm clock: `sweep` arms it, and `fridge_rest_after`
/// later it sends `sweep` back. It is hidden and knows the directory by
/// address only: a pending alarm (CAF's clock holds its receiver) neither
/// keeps the directory alive nor makes an ending actor system wait for it.
caf::behavior alarm_clock(caf::event_based_actor* self, caf::actor_addr directory) {
  return {
      [self](sweep_atom) { self->delayed_send(self, fridge_rest_after, alarm_atom::value); },
      [self, directory](alarm_atom) {
        if (auto d = caf::actor_cast<directory_actor>(directory))
          self->send(d, sweep_atom::value);
        else
          self->quit(); // the directory is gone
      },
  };
}

/// One `sweep` on its way at most.
void schedule_sweep(directory_pointer self) {
  auto& st = self->state;
  if (st.sweep_scheduled)
    return;
  st.sweep_scheduled = true;
  if (!st.alarm)
    st.alarm = self->spawn<caf::hidden>(alarm_clock, caf::actor_cast<caf::actor_addr>(self));
  caf::anon_send(st.alarm, sweep_atom::value);
}

/// Sends the pill (once) and calls `done` with the final state. Drinks that
/// reach the directory after this point are refused without asking the
/// fridge: in the fridge's mailbox they would come after the pill anyway.
/// A resting fridge wakes for its pill: its actor journals its retirement.
void stop_fridge(directory_pointer self, const std::string& name, fridge_entry& entry,
                 state_callback done) {
  if (entry.phase == fridge_phase::stopped) {
    done(entry.state);
    return;
  }
  entry.waiting.push_back(std::move(done));
  if (entry.phase == fridge_phase::stopping)
    return;
  awake(self, name, entry);
  self->state.set_phase(entry, fridge_phase::stopping);
  auto finish = [self, name](const caf::expected<fridge_state>& outcome) {
    auto it = self->state.fridges.find(name);
    if (it == self->state.fridges.end())
      return;
    auto& e = it->second;
    if (outcome && e.phase == fridge_phase::stopping) {
      e.state = *outcome;
      self->state.set_phase(e, fridge_phase::stopped);
    }
    release_waiting(e, outcome);
  };
  self->request(entry.handle, fridge_reply_timeout, stop_atom::value)
      .then([finish](const fridge_state& final_state) { finish(final_state); },
            [finish](caf::error& err) { finish(std::move(err)); });
}

/// A promise-fulfilling callback for `stop_fridge`.
state_callback deliver_to(caf::typed_response_promise<fridge_state> rp) {
  return [rp](const caf::expected<fridge_state>& outcome) mutable {
    if (outcome)
      rp.deliver(*outcome);
    else
      rp.deliver(outcome.error());
  };
}

/// A page of GET /fridges in the making: the states of its fridges in name order.
struct list_gathering {
  std::function<void(caf::expected<fridge_list>)> finish;
  fridge_list list;
  std::vector<std::pair<std::size_t, std::string>> to_ask; // slot in the list, fridge name
  std::size_t next = 0;                                    // the first of to_ask not asked yet
  std::size_t asking = 0;                                  // asked, not answered
  std::size_t pending = 0;                                 // answers still due, asked or not
  bool done = false;

  void answer(std::size_t slot, const caf::expected<fridge_state>& outcome) {
    if (done)
      return;
    if (!outcome) {
      done = true;
      finish(outcome.error());
      return;
    }
    list.fridges[slot] = *outcome;
    if (--pending == 0) {
      done = true;
      finish(std::move(list));
    }
  }
};

void ask_fridges(directory_pointer self, const std::shared_ptr<list_gathering>& g) {
  while (!g->done && g->next < g->to_ask.size() && g->asking < ask_window) {
    auto& [slot, name] = g->to_ask[g->next++];
    // Looked up now, not when the list began: a fridge stopped or rolled
    // back since then is read the way the directory sees it now.
    auto it = self->state.fridges.find(name);
    if (it == self->state.fridges.end()) {
      g->answer(slot, no_such_fridge(name));
      continue;
    }
    auto& entry = it->second;
    if (state_is_here(entry.phase)) {
      g->answer(slot, entry.state);
      continue;
    }
    if (entry.phase == fridge_phase::stopping) {
      entry.waiting.push_back(
          [g, slot](const caf::expected<fridge_state>& outcome) { g->answer(slot, outcome); });
      continue;
    }
    ++g->asking;
    // No timeout per fridge: a local fridge always answers, if only with an
    // error once it is gone, and the HTTP request has its own timeout.
    self->request(entry.handle, caf::infinite, look_atom::value)
        .then(
            [self, g, slot = slot](const fridge_state& state) {
              --g->asking;
              g->answer(slot, state);
              ask_fridges(self, g);
            },
            [g, slot = slot](caf::error& err) {
              --g->asking;
              g->answer(slot, std::move(err));
            });
  }
}

/// Linked: when the directory stops (after every pill was served) its
/// fridges go with it, also the stopped ones that live on only because
/// someone (another node, say) still holds their handle.
fridge_actor spawn_fridge(directory_pointer self, const fridge_record& record) {
  return self->spawn<caf::linked>(journaled_fridge, record.name, record.drinks, record.stopped,
                                  self->state.link);
}

/// After a failed commit: the directory and every fridge back to the disk.
void roll_back(directory_pointer self, const durable_state& durable) {
  auto& st = self->state;
  st.link.epoch = durable.epoch;
  std::map<std::string, const fridge_record*> on_disk;
  for (const auto& f : durable.fridges)
    on_disk.emplace(f.name, &f);
  bool woke = false;
  for (auto it = st.fridges.begin(); it != st.fridges.end();) {
    auto& entry = it->second;
    auto disk = on_disk.find(it->first);
    if (disk == on_disk.end()) {
      // Its creation never became durable: it never existed.
      for (auto& callback : entry.waiting)
        callback(make_error(error_code::not_found, "no fridge " + it->first));
      st.set_phase(entry, fridge_phase::stopped); // leaves the live count
      it = st.fridges.erase(it);
      continue;
    }
    const auto& record = *disk->second;
    entry.state = state_of(record);
    if (entry.handle)
      self->send(entry.handle, rollback_atom::value, durable.epoch, record);
    // A fridge whose pill was rolled back is awake again, with no sweep due maybe.
    woke = woke || (entry.phase == fridge_phase::stopping && !record.stopped);
    st.set_phase(entry, record.stopped ? fridge_phase::stopped
                        : entry.handle ? fridge_phase::awake
                                       : fridge_phase::resting);
    ++it;
  }
  if (woke)
    schedule_sweep(self);
}

directory_actor::behavior_type running_directory(directory_pointer self);

/// One page of fridges: the resting and stopped ones' states at once, the
/// others asked or waited for (`ask_fridges`), the page answered when every one has
/// answered and everything it shows is durable.
caf::result<fridge_list> list_page(directory_pointer self, const page_request& page) {
  if (page.limit < 1 || page.limit > max_page_limit)
    return make_error(error_code::bad_request, "limit must be in 1 .. 10000");
  auto& fridges = self->state.fridges;
  auto g = std::make_shared<list_gathering>();
  auto rp = self->make_response_promise<fridge_list>();
  // In the epoch the page began: a rollback since may have undone a state it holds.
  g->finish = [self, rp, link = self->state.link](caf::expected<fridge_list> outcome) mutable {
    if (!outcome) {
      rp.deliver(outcome.error());
      return;
    }
    // A resting fridge's state (its creation, its actor's last change) may
    // still be on its way to disk.
    auto list = std::make_shared<fridge_list>(std::move(*outcome));
    when_durable(self, link, [rp, list](caf::error failed) mutable {
      if (failed)
        rp.deliver(std::move(failed));
      else
        rp.deliver(std::move(*list));
    });
  };
  auto it = page.after.empty() ? fridges.begin() : fridges.upper_bound(page.after);
  for (std::size_t slot = 0; it != fridges.end() && slot < page.limit; ++it, ++slot) {
    auto& [name, entry] = *it;
    g->list.fridges.emplace_back();
    if (state_is_here(entry.phase)) {
      g->list.fridges[slot] = entry.state;
    } else { // awake or stopping: `ask_fridges` asks or waits
      ++g->pending;
      g->to_ask.emplace_back(slot, name);
    }
  }
  if (it != fridges.end())
    g->list.next = std::prev(it)->first;
  if (g->pending == 0) {
    g->done = true;
    g->finish(std::move(g->list));
  } else {
    ask_fridges(self, g);
  }
  return rp;
}

/// Every fridge with an actor serves its queue and ends; then the directory
/// answers how many drained and ends, taking the linked fridges along.
/// Nothing is journaled: on disk they stay as they are.
caf::result<std::size_t> drain(directory_pointer self) {
  auto rp = self->make_response_promise<std::size_t>();
  auto pending = std::make_shared<std::size_t>(1); // 1 until the loop is done
  auto drained = std::make_shared<std::size_t>(0);
  auto one_done = [self, rp, pending, drained]() mutable {
    if (--*pending > 0)
      return;
    rp.deliver(*drained);
    self->quit(caf::exit_reason::user_shutdown);
  };
  for (auto& [name, entry] : self->state.fridges) {
    if (!entry.handle)
      continue;
    ++*pending;
    self->request(entry.handle, fridge_reply_timeout, drain_atom::value)
        .then(
            [one_done, drained](bool) mutable {
              ++*drained;
              one_done();
            },
            [one_done](caf::error&) mutable { one_done(); });
  }
  one_done();
  return rp;
}

/// Answers once every fridge with an actor has answered a fence: whatever
/// was routed to a fridge before has been served, its effects handed on.
caf::result<bool> fence(directory_pointer self) {
  auto rp = self->make_response_promise<bool>();
  auto pending = std::make_shared<std::size_t>(1); // 1 until the loop is done
  auto one_done = [rp, pending]() mutable {
    if (--*pending == 0)
      rp.deliver(true);
  };
  for (auto& [name, entry] : self->state.fridges) {
    if (!entry.handle)
      continue;
    ++*pending;
    self->request(entry.handle, fridge_reply_timeout, fence_atom::value)
        .then([one_done](bool) mutable { one_done(); },
              [one_done](caf::error&) mutable { one_done(); });
  }
  one_done();
  return rp;
}

} // namespace

void directory_data::set_phase(fridge_entry& entry, fridge_phase phase) {
  if (entry.phase == phase)
    return;
  if (is_live(entry.phase))
    --live;
  if (is_live(phase))
    ++live;
  entry.phase = phase;
  if (state_is_here(phase)) {
    entry.handle = nullptr; // the fridge actor goes away with its last handle
    entry.asked = false;
  }
  // Awake and stopping fridges have their actor: requests are in its mailbox.
  assert(state_is_here(phase) || entry.handle);
}

directory_actor::behavior_type journaled_directory(directory_pointer self, durable_state durable,
                                                   journal_link link, std::size_t max_fridges) {
  auto& st = self->state;
  st.link = std::move(link);
  st.max_fridges = max_fridges;
  // Fridges are linked only so they stop with the directory; a fridge that
  // ends (a stopped one nobody holds any more) must not end the directory.
  self->set_exit_handler([](const caf::exit_msg&) {});
  for (const auto& record : durable.fridges) {
    auto& entry = st.fridges[record.name];
    entry.state = state_of(record);
    st.set_phase(entry, record.stopped ? fridge_phase::stopped : fridge_phase::resting);
  }
  return running_directory(self);
}

directory_actor::behavior_type directory(directory_pointer self) {
  return journaled_directory(self, durable_state{}, journal_link{}, default_max_entries);
}

namespace {

caf::result<fridge_state> create(directory_pointer self, const new_fridge& spec) {
  if (!is_valid_name(spec.name))
    return make_error(error_code::bad_request, "name must match [A-Za-z0-9_.-]{1,64}");
  if (spec.drinks < 0 || spec.drinks > max_safe_integer)
    return make_error(error_code::bad_request, "drinks must be in 0 .. 2^53-1");
  auto& st = self->state;
  if (st.fridges.size() >= st.max_fridges && !st.fridges.contains(spec.name))
    // Counts fridges whose creation may still be on its way to disk.
    return error_after_commit<fridge_state>(
        self, st.link,
        make_error(error_code::limit_exceeded,
                   "at most " + std::to_string(st.max_fridges) + " fridges (--max-fridges)"));
  auto [it, inserted] = st.fridges.try_emplace(spec.name);
  if (!inserted)
    // The fridge it collides with may still be on its way to disk.
    return error_after_commit<fridge_state>(
        self, st.link, make_error(error_code::conflict, "fridge " + spec.name + " exists"));
  it->second.state = fridge_state{spec.name, spec.drinks, false};
  st.set_phase(it->second, fridge_phase::resting); // until something needs its actor
  // The creation reaches the journal before anyone can reach the new
  // fridge (we are sequential), so its own commits always come after.
  journal_entry created;
  created.fridges.push_back(fridge_record{spec.name, spec.drinks, false});
  return after_commit(self, st.link, std::move(created), it->second.state);
}

caf::result<fridge_state> look(directory_pointer self, const std::string& name) {
  auto it = self->state.fridges.find(name);
  if (it == self->state.fridges.end())
    return no_such_fridge(name);
  auto& entry = it->second;
  switch (entry.phase) {
  case fridge_phase::stopped:
    return entry.state;
  case fridge_phase::resting:
    // Its creation or its actor's last change may still be on its way to disk.
    return after_commit(self, self->state.link, entry.state);
  case fridge_phase::stopping: {
    auto rp = self->make_response_promise<fridge_state>();
    entry.waiting.push_back(deliver_to(rp));
    return rp;
  }
  case fridge_phase::awake:
    break;
  }
  return self->delegate(awake(self, name, entry), look_atom::value);
}

caf::result<fridge_result> drink(directory_pointer self, const std::string& name,
                                 const drink_request& request) {
  auto it = self->state.fridges.find(name);
  if (it == self->state.fridges.end())
    return no_such_fridge(name);
  auto& entry = it->second;
  if (!is_live(entry.phase))
    // The stop may still be on its way to disk.
    return error_after_commit<fridge_result>(self, self->state.link, fridge_stopped(name));
  // The fridge answers the requester directly: one hop, no copy here.
  return self->delegate(awake(self, name, entry), drink_atom::value, request);
}

caf::result<fridge_state> stop(directory_pointer self, const std::string& name) {
  auto it = self->state.fridges.find(name);
  if (it == self->state.fridges.end())
    return no_such_fridge(name);
  auto rp = self->make_response_promise<fridge_state>();
  stop_fridge(self, name, it->second, deliver_to(rp));
  return rp;
}

/// The typed handle, for embedders: from then on the fridge never rests.
caf::result<fridge_actor> find(directory_pointer self, const std::string& name) {
  auto it = self->state.fridges.find(name);
  if (it == self->state.fridges.end())
    return no_such_fridge(name);
  auto& entry = it->second;
  if (!is_live(entry.phase))
    return fridge_stopped(name);
  entry.handed_out = true;
  return awake(self, name, entry);
}

directory_actor::behavior_type running_directory(directory_pointer self) {
  return {
      [self](create_atom, const new_fridge& spec) { return create(self, spec); },
      [self](look_atom, const std::string& name) { return look(self, name); },
      [self](list_atom, const page_request& page) { return list_page(self, page); },
      [self](drink_atom, const std::string& name, const drink_request& request) {
        return drink(self, name, request);
      },
      [self](stop_atom, const std::string& name) { return stop(self, name); },
      [self](find_atom, const std::string& name) { return find(self, name); },
      [self](count_atom) { return self->state.live; },
      [self](drain_atom) { return drain(self); },
      [self](fence_atom) { return fence(self); },
      [self](rest_atom) { sweep(self); },
      [self](sweep_atom) {
        self->state.sweep_scheduled = false;
        sweep(self);
      },
      [self](rollback_atom, const durable_state& durable) { roll_back(self, durable); },
  };
}

} // namespace

} // namespace fridgebank
