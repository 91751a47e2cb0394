#pragma once

#include <caf/actor_system_config.hpp>

namespace fridgebank {

/// All the set-up a CAF system needs to speak our protocol, locally or with
/// other nodes: registers every message type, the typed handles and our error
/// category.
void register_types(caf::actor_system_config& cfg);

} // namespace fridgebank
