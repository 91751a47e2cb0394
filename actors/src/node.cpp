#include "fridgebank/actors/node.hpp"

namespace fridgebank {

node_actor::behavior_type node(node_actor::pointer self, directory_actor directory, bank_actor bank,
                               journal_actor keys) {
  return {
      [=](node_atom) { return std::make_tuple(directory, bank, keys); },
      [self](stop_atom) { self->quit(); },
  };
}

} // namespace fridgebank
