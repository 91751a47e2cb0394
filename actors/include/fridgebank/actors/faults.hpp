#pragma once

// Deliberate bugs, for proving that the nemesis and the checker catch them
// (docs/testing.md). Compiled in only with -DFRIDGEBANK_FAULTS=ON; chosen at
// run time by the environment, FRIDGEBANK_FAULT=NAME. In a normal build
// every `on()` is a constant false and the faults' code is dead.

#include <cstdlib>
#include <string_view>

namespace fridgebank::faults {

enum class fault {
  none,
  ack_before_commit,    // the journal answers before its commit is on disk
  stale_look,           // a fridge's look shows the count before its last change
  lose_keys_on_restart, // the store forgets every Idempotency-Key when loaded
  split_transfer,       // a transfer's credit reaches the disk with a later commit
};

#ifdef FRIDGEBANK_FAULTS
inline fault active() {
  static const fault chosen = [] {
    const char* name = std::getenv("FRIDGEBANK_FAULT");
    std::string_view n = name ? name : "";
    if (n == "ack-before-commit")
      return fault::ack_before_commit;
    if (n == "stale-look")
      return fault::stale_look;
    if (n == "lose-keys-on-restart")
      return fault::lose_keys_on_restart;
    if (n == "split-transfer")
      return fault::split_transfer;
    return fault::none;
  }();
  return chosen;
}
inline bool on(fault f) {
  return active() == f;
}
#else
constexpr bool on(fault) {
  return false;
}
#endif

} // namespace fridgebank::faults
