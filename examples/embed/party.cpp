// A host actor built from ours: a party drinks from a fridge, one polite
// drink at a time (`leaveAtLeast` 1, decided atomically by the fridge), until
// the fridge would be left with fewer than one drink. Several parties may
// share one fridge: none of them can take the last drink.

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <fridgebank/actors/fridge.hpp>
#include <fridgebank/protocol/register_types.hpp>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace fridgebank;

using party_atom = caf::atom_constant<caf::atom("party")>;

/// `party` answers with how many drinks this party had.
using party_actor = caf::typed_actor<caf::replies_to<party_atom>::with<std::int64_t>>;

struct party_data {
  std::int64_t drunk = 0;
  static inline const char* name = "example.party";
};

/// One more drink, then again, until the fridge says none may be taken.
void drink_on(party_actor::stateful_pointer<party_data> self, fridge_actor fridge,
              caf::typed_response_promise<std::int64_t> done) {
  self->request(fridge, std::chrono::seconds{5}, drink_atom::value, drink_request{1, 1})
      .then(
          [=](const fridge_result& result) mutable {
            if (result.drinks_taken_or_added == 0) {
              done.deliver(self->state.drunk);
              return;
            }
            self->state.drunk += result.drinks_taken_or_added;
            drink_on(self, fridge, done);
          },
          [=](caf::error& err) mutable { done.deliver(std::move(err)); });
}

party_actor::behavior_type party(party_actor::stateful_pointer<party_data> self,
                                 fridge_actor fridge) {
  return {
      [=](party_atom) -> caf::result<std::int64_t> {
        auto done = self->make_response_promise<std::int64_t>();
        drink_on(self, fridge, done);
        return done;
      },
  };
}

} // namespace

int main() {
  caf::actor_system_config cfg;
  register_types(cfg);
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};

  constexpr std::int64_t drinks = 100;
  auto fridge_handle = sys.spawn(fridge, std::string{"party-fridge"}, drinks);
  std::vector<party_actor> parties;
  for (int i = 0; i < 3; ++i)
    parties.push_back(sys.spawn(party, fridge_handle));

  // All three at once: their drinks interleave in the fridge's mailbox.
  using pending_party = decltype(self->request(parties[0], caf::infinite, party_atom::value));
  std::vector<pending_party> pending;
  for (auto& p : parties)
    pending.push_back(self->request(p, std::chrono::seconds{30}, party_atom::value));
  std::int64_t total = 0;
  bool failed = false;
  for (auto& one : pending)
    one.receive([&](std::int64_t had) { total += had; },
                [&](caf::error& err) {
                  std::cerr << "a party failed: " << to_string(err) << '\n';
                  failed = true;
                });
  std::int64_t left = -1;
  self->request(fridge_handle, std::chrono::seconds{5}, stop_atom::value)
      .receive([&](const fridge_state& s) { left = s.drinks_left_in_fridge; },
               [&](caf::error&) { failed = true; });
  std::cout << "three parties drank " << total << " of " << drinks << ", " << left
            << " left in the fridge\n";
  bool ok = !failed && left == 1 && total == drinks - 1;
  std::cout << (ok ? "all good\n" : "FAIL: expected 99 drunk and 1 left\n");
  return ok ? 0 : 1;
}
