// Where a sharded fridge lives (fridgebank/protocol/placement.hpp): the
// hash is part of the data's format, so its values are pinned here.

#include "fridgebank/protocol/placement.hpp"

#include <array>
#include <doctest/doctest.h>
#include <string>

using namespace fridgebank;

TEST_CASE("placement: pinned values (changing the hash moves fridges on every deployment)") {
  CHECK(placement::score(0, "kitchen") == placement::score(0, "kitchen"));
  CHECK(placement::score(0, "kitchen") != placement::score(1, "kitchen"));
  CHECK(placement::score(0, "kitchen") != placement::score(0, "kitchem"));
  // Pinned from an independent reimplementation (a dozen lines of Python
  // after placement.cpp's comment): a change here is a change of the layout
  // of every sharded deployment.
  CHECK(placement::score(0, "") == 0x813f0174a2367c13ULL);
  CHECK(placement::node_of("kitchen", 3) == 2);
  CHECK(placement::node_of("office", 3) == 1);
  CHECK(placement::node_of("f1", 3) == 1);
  CHECK(placement::node_of("f2", 3) == 2);
  CHECK(placement::node_of("f5", 3) == 0);
  for (std::size_t n = 1; n <= 8; ++n)
    CHECK(placement::node_of("anything", n) < n);
  CHECK(placement::node_of("anything", 1) == 0);
}

TEST_CASE("placement: names spread evenly over the nodes") {
  constexpr int names = 30000;
  std::array<int, 3> per_node{};
  for (int i = 0; i < names; ++i)
    ++per_node[placement::node_of("fridge-" + std::to_string(i), 3)];
  for (int count : per_node) { // a third each, within 3 %
    CHECK(count > names / 3 - 300);
    CHECK(count < names / 3 + 300);
  }
}

TEST_CASE("placement: appending a node moves fridges only onto the new node") {
  constexpr int names = 30000;
  int moved = 0;
  for (int i = 0; i < names; ++i) {
    auto name = "fridge-" + std::to_string(i);
    auto before = placement::node_of(name, 3);
    auto after = placement::node_of(name, 4);
    if (after != before) {
      CHECK(after == 3);
      ++moved;
    }
  }
  CHECK(moved > names / 4 - 400); // about 1/4 of them
  CHECK(moved < names / 4 + 400);
}
