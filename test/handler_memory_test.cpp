// A connection's reusable operation memory: one block, one operation at a
// time; the heap for anything else.

#include "fridgebank/net/handler_memory.hpp"

#include <doctest/doctest.h>
#include <thread>

using fridgebank::net::handler_allocator;
using fridgebank::net::handler_memory;

TEST_CASE("the block serves one operation at a time and is reused") {
  handler_memory memory;
  void* first = memory.allocate(100);
  void* second = memory.allocate(100); // the block is taken: heap
  CHECK(first != second);
  memory.deallocate(second);
  memory.deallocate(first);
  CHECK(memory.allocate(200) == first); // given back, reused
  memory.deallocate(first);
}

TEST_CASE("a request larger than the block goes to the heap") {
  handler_memory memory;
  void* block = memory.allocate(1);
  memory.deallocate(block);
  void* big = memory.allocate(4096);
  CHECK(big != block);
  CHECK(memory.allocate(1) == block); // the big one did not take the block
  memory.deallocate(block);
  memory.deallocate(big);
}

TEST_CASE("taken on one thread, given back on another") {
  handler_memory memory;
  handler_allocator<int> ints{memory};
  int* p = ints.allocate(4);
  std::thread other{
      [&] { handler_allocator<char>{ints}.deallocate(reinterpret_cast<char*>(p), 16); }};
  other.join();
  CHECK(ints.allocate(4) == p);
  ints.deallocate(p, 4);
  CHECK(handler_allocator<char>{ints} == ints);
}
