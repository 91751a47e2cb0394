#include "fridgebank/actors/fridge.hpp"

#include "after_commit.hpp"
#include "fridgebank/actors/faults.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/limits.hpp"

#include <algorithm>

namespace fridgebank {

namespace {

using fridge_pointer = fridge_actor::stateful_pointer<fridge_data>;
using detail::after_commit;
using detail::error_after_commit;

/// The rep invariant: a fridge never holds a negative or unsafe count.
bool rep_ok(std::int64_t drinks) {
  return drinks >= 0 && drinks <= max_safe_integer;
}

fridge_state state_of(const fridge_data& st, bool stopped) {
  return fridge_state{st.fridge_name, st.drinks, stopped};
}

journal_entry effect_of(const fridge_data& st, bool stopped) {
  journal_entry entry;
  entry.fridges.push_back(fridge_record{st.fridge_name, st.drinks, stopped});
  return entry;
}

fridge_actor::behavior_type running_fridge(fridge_pointer self);
fridge_actor::behavior_type stopped_fridge(fridge_pointer self);

/// The process is stopping: everything before this was served; end, live.
auto drain_handler(fridge_pointer self) {
  return [self](drain_atom) {
    self->quit();
    return true;
  };
}

/// Everything before it is served: its effects are with the journal.
auto fence_handler() {
  return [](fence_atom) { return true; };
}

/// The directory may put this fridge to rest: its state, once durable. The
/// actor goes on serving; the directory drains it if nothing came since.
auto rest_handler(fridge_pointer self, bool stopped) {
  return [self, stopped](rest_atom) -> caf::result<fridge_state> {
    return after_commit(self, self->state.link, state_of(self->state, stopped));
  };
}

/// Back to what is on disk after a failed commit.
auto rollback_handler(fridge_pointer self) {
  return [self](rollback_atom, std::uint64_t epoch, const fridge_record& durable) {
    self->state.drinks = durable.drinks;
    self->state.link.epoch = epoch;
    self->become(durable.stopped ? stopped_fridge(self) : running_fridge(self));
  };
}

fridge_actor::behavior_type running_fridge(fridge_pointer self) {
  return {
      [self](drink_atom, const drink_request& request) -> caf::result<fridge_result> {
        auto& st = self->state;
        auto result = serve_drink(st.drinks, request);
        if (!result)
          // limit_exceeded tells how full the fridge is: only once that is durable.
          return error_after_commit<fridge_result>(self, st.link, std::move(result.error()));
        st.drinks_before = st.drinks;
        st.drinks = result->drinks_left_in_fridge;
        if (request.drinks_requested == 0)
          return after_commit(self, st.link, *result); // a look changes nothing
        return after_commit(
            self, st.link, [&st] { return effect_of(st, false); }, *result);
      },
      [self](look_atom) -> caf::result<fridge_state> {
        auto shown = state_of(self->state, false);
        if (faults::on(faults::fault::stale_look))
          shown.drinks_left_in_fridge = self->state.drinks_before;
        return after_commit(self, self->state.link, shown);
      },
      [self](stop_atom) -> caf::result<fridge_state> {
        // The pill is served in its turn: everything before it has been
        // answered; from now on the fridge only reports its final state.
        self->become(stopped_fridge(self));
        auto& st = self->state;
        return after_commit(self, st.link, effect_of(st, true), state_of(st, true));
      },
      drain_handler(self),
      fence_handler(),
      rest_handler(self, false),
      rollback_handler(self),
  };
}

/// After the pill: the final state stays visible, nothing changes any more.
fridge_actor::behavior_type stopped_fridge(fridge_pointer self) {
  return {
      [self](drink_atom, const drink_request&) -> caf::result<fridge_result> {
        return error_after_commit<fridge_result>(
            self, self->state.link,
            make_error(error_code::stopped, "fridge " + self->state.fridge_name + " is stopped"));
      },
      [self](look_atom) -> caf::result<fridge_state> {
        return after_commit(self, self->state.link, state_of(self->state, true));
      },
      [self](stop_atom) -> caf::result<fridge_state> {
        return after_commit(self, self->state.link, state_of(self->state, true));
      },
      drain_handler(self),
      fence_handler(),
      rest_handler(self, true),
      rollback_handler(self),
  };
}

} // namespace

caf::expected<fridge_result> serve_drink(std::int64_t left, const drink_request& request) {
  const auto n = request.drinks_requested;
  const auto keep = request.leave_at_least;
  if (!in_safe_range(n))
    return make_error(error_code::bad_request, "drinksRequested is out of range");
  if (keep < 0 || keep > max_safe_integer)
    return make_error(error_code::bad_request, "leaveAtLeast must be in 0 .. 2^53-1");
  if (n < 0 && keep != 0)
    return make_error(error_code::bad_request,
                      "leaveAtLeast is only allowed with drinksRequested >= 0");
  std::int64_t change = 0;
  std::int64_t after = left;
  if (n > 0) {
    // Decided here, atomically with the take: polite drinkers cannot race.
    change = std::min(n, std::max<std::int64_t>(0, left - keep));
    after = left - change;
  } else if (n < 0) {
    if (!checked_add(left, -n, after))
      return make_error(error_code::limit_exceeded,
                        "loading " + std::to_string(-n) + " drinks would exceed 2^53-1");
    change = n;
  }
  if (!rep_ok(after))
    return make_error(error_code::internal, "fridge invariant would break");
  return fridge_result{change, after};
}

fridge_actor::behavior_type journaled_fridge(fridge_pointer self, std::string name,
                                             std::int64_t drinks, bool stopped, journal_link link) {
  self->state.fridge_name = std::move(name);
  self->state.link = std::move(link);
  if (!rep_ok(drinks)) {
    // A fridge that would start broken never starts: its handle reports why.
    self->quit(make_error(error_code::bad_request, "drinks must be in 0 .. 2^53-1"));
    return {fridge_actor::behavior_type::unsafe_init{}, caf::behavior{}};
  }
  self->state.drinks = drinks;
  return stopped ? stopped_fridge(self) : running_fridge(self);
}

fridge_actor::behavior_type fridge(fridge_pointer self, std::string name, std::int64_t drinks) {
  return journaled_fridge(self, std::move(name), drinks, false, journal_link{});
}

} // namespace fridgebank
