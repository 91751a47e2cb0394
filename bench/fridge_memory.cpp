// What one idle fridge actor costs in memory, and what of it is CAF's:
// spawns N in-memory fridges (names of 12 characters, inline in a
// std::string), has each answer one look so every one is running, and reads
// the heap's growth from glibc. The sizes of CAF's actor object come from
// sizeof. The server's whole cost per fridge (with its directory entry and
// its link to the directory) is bench/idle.sh's RSS figure.
//   fridgebank-fridge-memory [N=20000]

#include "fridgebank/actors/fridge.hpp"

#include <caf/actor_storage.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  using namespace fridgebank;
  std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{cfg};
  std::vector<fridge_actor> fridges;
  fridges.reserve(n);
  std::vector<std::string> names;
  names.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    names.push_back("fridge-" + std::to_string(100000 + i).substr(1)); // "fridge-00042"
  auto heap = [] { return mallinfo2().uordblks; };
  auto before = heap();
  for (std::size_t i = 0; i < n; ++i)
    fridges.push_back(sys.spawn(fridge, names[i], std::int64_t{1}));
  caf::scoped_actor self{sys};
  for (auto& f : fridges)
    self->request(f, caf::infinite, look_atom::value)
        .receive([](const fridge_state&) {}, [](caf::error&) { std::abort(); });
  auto after = heap();
  using impl = caf::stateful_actor<fridge_data, fridge_actor::base>;
  std::printf("%zu idle fridges: %.1f bytes of heap per fridge\n", n,
              static_cast<double>(after - before) / static_cast<double>(n));
  std::printf("of which CAF's actor object (control block and actor): %zu bytes\n",
              sizeof(caf::actor_storage<impl>));
  std::printf("  caf::scheduled_actor %zu (its mailbox %zu), fridge_data %zu\n",
              sizeof(caf::scheduled_actor), sizeof(caf::scheduled_actor::mailbox_type),
              sizeof(fridge_data));
}
