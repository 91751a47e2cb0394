#include "fridgebank/actors/fridge.hpp"

#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/limits.hpp"

#include <algorithm>

namespace fridgebank {

namespace {

/// The rep invariant: a fridge never holds a negative or unsafe count.
bool rep_ok(std::int64_t drinks) {
  return drinks >= 0 && drinks <= max_safe_integer;
}

/// After the pill: the final state stays visible, nothing changes any more.
fridge_actor::behavior_type stopped_fridge(fridge_actor::stateful_pointer<fridge_data> self) {
  auto final_state = [self] {
    return fridge_state{self->state.fridge_name, self->state.drinks, true};
  };
  return {
      [self](drink_atom, const drink_request&) -> caf::result<fridge_result> {
        return make_error(error_code::stopped, "fridge " + self->state.fridge_name + " is stopped");
      },
      [final_state](look_atom) { return final_state(); },
      [final_state](stop_atom) { return final_state(); },
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

fridge_actor::behavior_type fridge(fridge_actor::stateful_pointer<fridge_data> self,
                                   std::string name, std::int64_t drinks) {
  self->state.fridge_name = std::move(name);
  if (!rep_ok(drinks)) {
    // A fridge that would start broken never starts: its handle reports why.
    self->quit(make_error(error_code::bad_request, "drinks must be in 0 .. 2^53-1"));
    return {fridge_actor::behavior_type::unsafe_init{}, caf::behavior{}};
  }
  self->state.drinks = drinks;
  return {
      [self](drink_atom, const drink_request& request) -> caf::result<fridge_result> {
        auto result = serve_drink(self->state.drinks, request);
        if (!result)
          return std::move(result.error());
        self->state.drinks = result->drinks_left_in_fridge;
        return *result;
      },
      [self](look_atom) {
        return fridge_state{self->state.fridge_name, self->state.drinks, false};
      },
      [self](stop_atom) {
        // The pill is served in its turn: everything before it has been
        // answered; from now on the fridge only reports its final state.
        self->become(stopped_fridge(self));
        return fridge_state{self->state.fridge_name, self->state.drinks, true};
      },
  };
}

} // namespace fridgebank
