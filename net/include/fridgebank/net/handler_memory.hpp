#pragma once

// Memory for the asynchronous operations of one connection, reused from one
// request to the next (the pattern of Asio's "allocation" example).
//
// Asio already recycles operation memory per thread, but in two slots that
// the replies posted from actor threads keep filling with blocks of their
// own size, so a session's read and write each still cost an allocation
// (callgrind: 2.9 aligned allocations per drink). A block per kind of
// operation is always the right size.

#include <atomic>
#include <cstddef>
#include <new>

namespace fridgebank::net {

/// One block for one operation at a time. When it is taken (a second reply
/// posted while the first is still queued), or too small, the heap serves.
/// Taken and given back from any thread.
class handler_memory {
public:
  handler_memory() = default;
  handler_memory(const handler_memory&) = delete;
  handler_memory& operator=(const handler_memory&) = delete;

  void* allocate(std::size_t size) {
    if (size <= sizeof storage_ && !in_use_.exchange(true, std::memory_order_acquire))
      return storage_;
    return ::operator new(size);
  }

  void deallocate(void* pointer) {
    if (pointer == storage_)
      in_use_.store(false, std::memory_order_release);
    else
      ::operator delete(pointer);
  }

private:
  alignas(std::max_align_t) unsigned char storage_[512];
  std::atomic<bool> in_use_{false};
};

/// The allocator to bind to a handler (`asio::bind_allocator`) so that Asio
/// builds its operation in `memory`.
template <class T> class handler_allocator {
public:
  using value_type = T;

  explicit handler_allocator(handler_memory& memory) noexcept : memory_(&memory) {}
  template <class U>
  handler_allocator(const handler_allocator<U>& other) noexcept : memory_(other.memory_) {}

  T* allocate(std::size_t n) const { return static_cast<T*>(memory_->allocate(sizeof(T) * n)); }
  void deallocate(T* pointer, std::size_t) const { memory_->deallocate(pointer); }

  template <class U> bool operator==(const handler_allocator<U>& other) const noexcept {
    return memory_ == other.memory_;
  }

private:
  template <class> friend class handler_allocator;
  handler_memory* memory_;
};

} // namespace fridgebank::net
