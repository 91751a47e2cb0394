// What one idle fridge costs in memory, and what of it is CAF's: creates N
// in-memory fridges through a directory (names of 12 characters, inline in
// a std::string), where they rest as entries; wakes each with a drink of
// 0, which spawns its actor; then sweeps twice, which rests them again.
// Reads the heap's growth from glibc after each step. The sizes of CAF's
// actor object come from sizeof. The server's whole cost per fridge is
// bench/idle.sh's RSS figure.
//   fridgebank-fridge-memory [N=20000]

#include "fridgebank/actors/directory.hpp"
#include "fridgebank/actors/fridge.hpp"

#include <caf/actor_storage.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <string>
#include <thread>
#include <vector>

namespace {

std::size_t heap() {
  return mallinfo2().uordblks;
}

double per(std::size_t before, std::size_t after, std::size_t n) {
  return (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(n);
}

} // namespace

int main(int argc, char** argv) {
  using namespace fridgebank;
  std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{cfg};
  std::vector<std::string> names;
  names.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    names.push_back("fridge-" + std::to_string(100000 + i).substr(1)); // "fridge-00042"
  caf::scoped_actor self{sys};
  auto fail = [](caf::error&) { std::abort(); };
  auto dir = sys.spawn(directory);
  auto start = heap();
  for (const auto& name : names)
    self->request(dir, caf::infinite, create_atom::value, new_fridge{name, 1})
        .receive([](const fridge_state&) {}, fail);
  auto resting = heap();
  for (const auto& name : names)
    self->request(dir, caf::infinite, drink_atom::value, name, drink_request{0, 0})
        .receive([](const fridge_result&) {}, fail);
  auto awake = heap();
  for (int sweep = 0; sweep < 2; ++sweep) // the first finds them asked for, the second idle
    self->send(dir, rest_atom::value);
  // Polled: CAF 0.17's await_running_count_equal only wakes at counts of 0
  // and 1, and a look to learn when would itself keep its fridge awake.
  while (sys.registry().running() > 2) // the directory and `self`
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto rested = heap();
  std::printf("%zu idle fridges, resting (an entry in the directory, no actor): %.1f bytes of "
              "heap per fridge\n",
              n, per(start, resting, n));
  std::printf("woken by a drink (its actor spawned): %.1f bytes more per fridge\n",
              per(resting, awake, n));
  std::printf("rested again by two sweeps: %.1f bytes per fridge\n", per(start, rested, n));
  using impl = caf::stateful_actor<fridge_data, fridge_actor::base>;
  std::printf("of which CAF's actor object (control block and actor): %zu bytes\n",
              sizeof(caf::actor_storage<impl>));
  std::printf("  caf::scheduled_actor %zu (its mailbox %zu), fridge_data %zu\n",
              sizeof(caf::scheduled_actor), sizeof(caf::scheduled_actor::mailbox_type),
              sizeof(fridge_data));
}
