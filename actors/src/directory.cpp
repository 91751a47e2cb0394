#include "fridgebank/actors/directory.hpp"

#include "after_commit.hpp"
#include "fridgebank/actors/fridge.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/limits.hpp"

#include <cassert>
#include <memory>

namespace fridgebank {

namespace {

using directory_pointer = directory_actor::stateful_pointer<directory_data>;
using detail::after_commit;
using detail::error_after_commit;
using state_callback = std::function<void(const caf::expected<fridge_state>&)>;

caf::error no_such_fridge(const std::string& name) {
  return make_error(error_code::not_found, "no fridge " + name);
}

caf::error fridge_stopped(const std::string& name) {
  return make_error(error_code::stopped, "fridge " + name + " is stopped");
}

/// Sends the pill (once) and calls `done` with the final state. Drinks that
/// reach the directory after this point are refused without asking the
/// fridge: in the fridge's mailbox they would come after the pill anyway.
void stop_fridge(directory_pointer self, const std::string& name, fridge_entry& entry,
                 state_callback done) {
  if (entry.phase == fridge_phase::stopped) {
    done(entry.final_state);
    return;
  }
  entry.waiting.push_back(std::move(done));
  if (entry.phase == fridge_phase::stopping)
    return;
  self->state.set_phase(entry, fridge_phase::stopping);
  auto finish = [self, name](const caf::expected<fridge_state>& outcome) {
    auto it = self->state.fridges.find(name);
    if (it == self->state.fridges.end())
      return;
    auto& e = it->second;
    if (outcome && e.phase == fridge_phase::stopping) {
      e.final_state = *outcome;
      self->state.set_phase(e, fridge_phase::stopped);
    }
    auto waiting = std::move(e.waiting);
    e.waiting.clear();
    for (auto& callback : waiting)
      callback(outcome);
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
  caf::typed_response_promise<fridge_list> promise;
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
      promise.deliver(outcome.error());
      return;
    }
    list.fridges[slot] = *outcome;
    if (--pending == 0) {
      done = true;
      promise.deliver(std::move(list));
    }
  }
};

/// How many fridges a list asks at once. In CAF 0.17 what each response
/// costs the directory grows with the requests it still has open (perf:
/// scheduled_actor::categorize), so asking all at once made a long list
/// several times slower than asking 128 at a time (bench/NOTES.md).
constexpr std::size_t list_window = 128;

void ask_fridges(directory_pointer self, const std::shared_ptr<list_gathering>& g) {
  while (!g->done && g->next < g->to_ask.size() && g->asking < list_window) {
    auto& [slot, name] = g->to_ask[g->next++];
    // Looked up now, not when the list began: a fridge stopped or rolled
    // back since then is read the way the directory sees it now.
    auto it = self->state.fridges.find(name);
    if (it == self->state.fridges.end()) {
      g->answer(slot, no_such_fridge(name));
      continue;
    }
    auto& entry = it->second;
    if (entry.phase == fridge_phase::stopped) {
      g->answer(slot, entry.final_state);
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
    if (entry.handle)
      self->send(entry.handle, rollback_atom::value, durable.epoch, record);
    if (record.stopped) {
      entry.final_state = fridge_state{record.name, record.drinks, true};
      st.set_phase(entry, fridge_phase::stopped);
    } else if (entry.handle) {
      st.set_phase(entry, fridge_phase::live);
    }
    ++it;
  }
}

directory_actor::behavior_type running_directory(directory_pointer self);

/// One page of fridges: the stopped ones' final states at once, the others
/// asked (`ask_fridges`), the page answered when every one has answered.
caf::result<fridge_list> list_page(directory_pointer self, const page_request& page) {
  if (page.limit < 1 || page.limit > max_page_limit)
    return make_error(error_code::bad_request, "limit must be in 1 .. 10000");
  auto& fridges = self->state.fridges;
  auto g = std::make_shared<list_gathering>();
  g->promise = self->make_response_promise<fridge_list>();
  auto it = page.after.empty() ? fridges.begin() : fridges.upper_bound(page.after);
  for (std::size_t slot = 0; it != fridges.end() && slot < page.limit; ++it, ++slot) {
    auto& [name, entry] = *it;
    g->list.fridges.emplace_back();
    if (entry.phase == fridge_phase::stopped) {
      g->list.fridges[slot] = entry.final_state;
    } else if (entry.phase == fridge_phase::stopping) {
      ++g->pending;
      entry.waiting.push_back(
          [g, slot](const caf::expected<fridge_state>& outcome) { g->answer(slot, outcome); });
    } else {
      ++g->pending;
      g->to_ask.emplace_back(slot, name);
    }
  }
  if (it != fridges.end())
    g->list.next = std::prev(it)->first;
  auto promise = g->promise;
  if (g->pending == 0)
    g->promise.deliver(std::move(g->list));
  else
    ask_fridges(self, g);
  return promise;
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
  if (entry.phase == fridge_phase::live)
    --live;
  if (phase == fridge_phase::live)
    ++live;
  entry.phase = phase;
  if (phase == fridge_phase::stopped)
    entry.handle = nullptr; // the fridge actor goes away with its last handle
  // A live or stopping fridge always has its actor.
  assert(phase == fridge_phase::stopped || entry.handle);
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
    if (record.stopped) {
      entry.final_state = fridge_state{record.name, record.drinks, true};
      st.set_phase(entry, fridge_phase::stopped);
    } else {
      entry.handle = spawn_fridge(self, record);
      st.set_phase(entry, fridge_phase::live);
    }
  }
  return running_directory(self);
}

directory_actor::behavior_type directory(directory_pointer self) {
  return journaled_directory(self, durable_state{}, journal_link{}, default_max_entries);
}

namespace {

directory_actor::behavior_type running_directory(directory_pointer self) {
  return {
      [self](create_atom, const new_fridge& spec) -> caf::result<fridge_state> {
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
        fridge_record record{spec.name, spec.drinks, false};
        it->second.handle = spawn_fridge(self, record);
        st.set_phase(it->second, fridge_phase::live);
        // The creation reaches the journal before anyone can reach the new
        // fridge (we are sequential), so its own commits always come after.
        journal_entry created;
        created.fridges.push_back(record);
        return after_commit(self, st.link, std::move(created),
                            fridge_state{spec.name, spec.drinks, false});
      },
      [self](look_atom, const std::string& name) -> caf::result<fridge_state> {
        auto it = self->state.fridges.find(name);
        if (it == self->state.fridges.end())
          return no_such_fridge(name);
        auto& entry = it->second;
        if (entry.phase == fridge_phase::stopped)
          return entry.final_state;
        if (entry.phase == fridge_phase::stopping) {
          auto rp = self->make_response_promise<fridge_state>();
          entry.waiting.push_back(deliver_to(rp));
          return rp;
        }
        return self->delegate(entry.handle, look_atom::value);
      },
      [self](list_atom, const page_request& page) { return list_page(self, page); },
      [self](drink_atom, const std::string& name,
             const drink_request& request) -> caf::result<fridge_result> {
        auto it = self->state.fridges.find(name);
        if (it == self->state.fridges.end())
          return no_such_fridge(name);
        if (it->second.phase != fridge_phase::live)
          // The stop may still be on its way to disk.
          return error_after_commit<fridge_result>(self, self->state.link, fridge_stopped(name));
        // The fridge answers the requester directly: one hop, no copy here.
        return self->delegate(it->second.handle, drink_atom::value, request);
      },
      [self](stop_atom, const std::string& name) -> caf::result<fridge_state> {
        auto it = self->state.fridges.find(name);
        if (it == self->state.fridges.end())
          return no_such_fridge(name);
        auto rp = self->make_response_promise<fridge_state>();
        stop_fridge(self, name, it->second, deliver_to(rp));
        return rp;
      },
      [self](find_atom, const std::string& name) -> caf::result<fridge_actor> {
        auto it = self->state.fridges.find(name);
        if (it == self->state.fridges.end())
          return no_such_fridge(name);
        if (it->second.phase != fridge_phase::live)
          return fridge_stopped(name);
        return it->second.handle;
      },
      [self](count_atom) { return self->state.live; },
      [self](drain_atom) { return drain(self); },
      [self](fence_atom) { return fence(self); },
      [self](rollback_atom, const durable_state& durable) { roll_back(self, durable); },
  };
}

} // namespace

} // namespace fridgebank
