#include "fridgebank/protocol/placement.hpp"

#include <cassert>

namespace fridgebank::placement {

namespace {

constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t fnv_prime = 0x100000001b3ULL;

std::uint64_t fnv1a(std::uint64_t h, unsigned char byte) {
  return (h ^ byte) * fnv_prime;
}

/// splitmix64's finaliser: FNV alone scores names that differ in their last
/// byte almost alike.
std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

} // namespace

std::uint64_t score(std::size_t position, std::string_view name) {
  auto h = fnv_offset;
  for (int i = 0; i < 8; ++i) // the position as 8 little-endian bytes
    h = fnv1a(h,
              static_cast<unsigned char>((static_cast<std::uint64_t>(position) >> (8 * i)) & 0xff));
  for (unsigned char c : name)
    h = fnv1a(h, c);
  return mix(h);
}

std::size_t node_of(std::string_view name, std::size_t nodes) {
  assert(nodes >= 1 && "placement over an empty node list");
  std::size_t best = 0;
  auto best_score = score(0, name);
  for (std::size_t i = 1; i < nodes; ++i)
    if (auto s = score(i, name); s > best_score) {
      best = i;
      best_score = s;
    }
  return best;
}

} // namespace fridgebank::placement
