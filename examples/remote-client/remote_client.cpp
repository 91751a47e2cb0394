// Connects to the actors a fridgebank-server publishes (`--publish PORT`)
// and drinks through typed messages, no HTTP involved:
//   remote_client HOST PORT FRIDGE
// creates FRIDGE with 10 drinks if it does not exist, then drinks politely
// (leaveAtLeast 1) until none may be taken, and prints what happened.

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <chrono>
#include <fridgebank/protocol/error_code.hpp>
#include <fridgebank/protocol/interfaces.hpp>
#include <fridgebank/protocol/register_types.hpp>
#include <iostream>
#include <string>

using namespace fridgebank;

namespace {

constexpr auto timeout = std::chrono::seconds{5};

int fail(const std::string& what) {
  std::cerr << "remote_client: " << what << '\n';
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 4)
    return fail("usage: remote_client HOST PORT FRIDGE");
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.load<caf::io::middleman>();
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};

  auto node = sys.middleman().remote_actor<node_actor>(
      argv[1], static_cast<std::uint16_t>(std::stoi(argv[2])));
  if (!node)
    return fail("cannot reach the actors at " + std::string{argv[1]} + ":" + argv[2] + ": " +
                to_string(node.error()));

  caf::scoped_actor self{sys};
  directory_actor directory;
  bool ok = true;
  auto give_up = [&ok](const std::string& what) {
    fail(what);
    ok = false;
  };
  self->request(*node, timeout, node_atom::value)
      .receive([&](directory_actor& d, bank_actor&, journal_actor&) { directory = d; },
               [&](caf::error& err) { give_up("node: " + to_string(err)); });
  if (!ok)
    return 1;

  std::string name = argv[3];
  self->request(directory, timeout, create_atom::value, new_fridge{name, 10})
      .receive(
          [&](const fridge_state& s) {
            std::cout << "created " << s.name << " with " << s.drinks_left_in_fridge << " drinks\n";
          },
          [&](caf::error& err) {
            if (code_of(err) != error_code::conflict) // an existing fridge is fine
              give_up("create: " + to_string(err));
          });
  if (!ok)
    return 1;

  // Find the fridge itself and talk to it directly, across the network.
  fridge_actor fridge;
  self->request(directory, timeout, find_atom::value, name)
      .receive([&](fridge_actor& f) { fridge = f; },
               [&](caf::error& err) { give_up("find: " + to_string(err)); });
  if (!ok)
    return 1;
  std::int64_t drunk = 0, left = -1;
  for (bool more = true; more && ok;)
    self->request(fridge, timeout, drink_atom::value, drink_request{1, 1})
        .receive(
            [&](const fridge_result& r) {
              drunk += r.drinks_taken_or_added;
              left = r.drinks_left_in_fridge;
              more = r.drinks_taken_or_added > 0;
            },
            [&](caf::error& err) { give_up("drink: " + to_string(err)); });
  if (!ok)
    return 1;
  std::cout << "drank " << drunk << ", " << left << " left in " << name << '\n';

  // The node's actors are its own process's to stop: a peer's stop is refused.
  self->request(*node, timeout, stop_atom::value)
      .receive([&](std::vector<caf::actor>&) { give_up("the node stopped on a peer's word"); },
               [&](caf::error& err) {
                 if (code_of(err) != error_code::unauthorized)
                   give_up("stop: " + to_string(err));
               });
  return ok && left == 1 ? 0 : 1;
}
