#pragma once

// Where a fridge lives when fridges are sharded over several actor nodes
// (`--actors-at H1:P1,H2:P2,...`): rendezvous (highest-random-weight)
// hashing of the fridge's name over the nodes' positions in the list. Every
// front end with the same list, in the same order, agrees on every fridge;
// how a node is spelled (a name or an address) does not matter. Appending a
// node to a list of n moves about 1/(n+1) of the fridges, all of them to the
// new node; any other change moves more (docs/distribution.md says what an
// operator must do, and a front end refuses a list that disagrees with what
// the nodes hold).
//
// The hash is ours (FNV-1a, then a 64-bit finaliser), not std::hash: it must
// be the same in every build and on every machine, for as long as the data
// lives.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fridgebank::placement {

/// A stable 64-bit score of `name` on the node at `position`.
std::uint64_t score(std::size_t position, std::string_view name);

/// The position (0..nodes-1) of the node that holds fridge `name`; `nodes`
/// must be at least 1.
std::size_t node_of(std::string_view name, std::size_t nodes);

} // namespace fridgebank::placement
