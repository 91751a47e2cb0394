#pragma once

// Linearizability of one object's history, decided as Porcupine does it:
// the Wing–Gong search with Lowe's memoisation. Call and return events sit in
// one list in time order; the search linearizes, one at a time, an operation
// whose call comes before the first pending return and whose reply the model
// accepts in the current state, lifting its events from the list; when the
// first return in the list belongs to an operation not yet linearized, it
// backtracks. A (set of linearized operations, state) pair already explored
// is never explored again. Operations without a definite reply have no
// return event: they may be linearized anywhere after their call, or never.
// The history is linearizable once no return event is left.
//
// The memo keeps each set as a 128-bit Zobrist fingerprint (one random
// pair of words per operation, XORed in and out as it is linearized and
// lifted back), not as a bitset: for 200 000 operations a bitset is 24 KiB
// a visited node, and a nemesis run's bank history took 18 GB of memory
// (bench/NOTES.md). Two different sets share a fingerprint with
// probability 2^-128 per pair; that could only make the search skip a
// branch, so a "linearizable" verdict is always exact (the order it found
// is a witness), and a violation is wrong only with that probability.

#include "check/models.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <unordered_set>
#include <vector>

namespace fridgebank::check {

enum class verdict { linearizable, violation, undecided };

template <class Model> struct search_result {
  verdict result = verdict::undecided;
  std::uint64_t steps = 0;
  std::size_t deepest = 0; // the most operations any order linearized
};

/// Where the search stood when it first linearized `deepest` operations.
template <class Model> struct dead_end {
  std::vector<std::size_t> order;    // indices into the object's operations
  typename Model::state state;       // after `order`
  std::vector<std::size_t> frontier; // none of these can come next
};

using deadline = std::chrono::steady_clock::time_point;

namespace detail {

inline constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

struct event {
  std::size_t op = 0;
  bool call = true;
  std::size_t match = none; // a call's return event, if it has one
  std::size_t prev = none, next = none;
};

/// Events of `ops` in time order (calls before returns at the same instant),
/// behind a head at index 0.
template <class Op> std::vector<event> events_of(const std::vector<Op>& ops) {
  struct stamped {
    std::int64_t time;
    bool call;
    std::size_t op;
  };
  std::vector<stamped> order;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    order.push_back({ops[i].when.call, true, i});
    if (ops[i].when.answered)
      order.push_back({ops[i].when.returned, false, i});
  }
  std::stable_sort(order.begin(), order.end(), [](const stamped& a, const stamped& b) {
    return a.time != b.time ? a.time < b.time : a.call > b.call;
  });
  std::vector<event> events(order.size() + 1);
  std::vector<std::size_t> call_of(ops.size(), none);
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto& e = events[i + 1];
    e.op = order[i].op;
    e.call = order[i].call;
    e.prev = i;
    e.next = i + 2 <= order.size() ? i + 2 : none;
    if (e.call)
      call_of[e.op] = i + 1;
    else
      events[call_of[e.op]].match = i + 1;
  }
  events[0].next = order.empty() ? none : 1;
  return events;
}

/// SplitMix64: a fixed, well-mixed 64-bit value for each `x`.
constexpr std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// The fingerprint of a set of operations: the XOR of its members' pairs.
struct fingerprint {
  std::uint64_t lo = 0, hi = 0;
  void toggle(std::size_t op) {
    lo ^= mix(2 * static_cast<std::uint64_t>(op));
    hi ^= mix(2 * static_cast<std::uint64_t>(op) + 1);
  }
  bool operator==(const fingerprint&) const = default;
};

template <class State> struct memo_key {
  fingerprint linearized;
  State state;
  bool operator==(const memo_key&) const = default;
};

template <class Model> struct memo_hash {
  std::size_t operator()(const memo_key<typename Model::state>& k) const {
    return Model::hash(k.state) ^ k.linearized.lo;
  }
};

} // namespace detail

/// Decides whether `ops`, starting from `initial`, is linearizable. Gives up
/// (undecided) at `until`. With `stop_at` set, stops as soon as `stop_at`
/// operations are linearized and fills `where` (to report a violation).
template <class Model>
search_result<Model>
linearize(const std::vector<typename Model::op>& ops, const typename Model::state& initial,
          deadline until, std::size_t stop_at = detail::none, dead_end<Model>* where = nullptr) {
  using detail::none;
  auto ev = detail::events_of(ops);
  auto lift = [&](std::size_t e) {
    ev[ev[e].prev].next = ev[e].next;
    if (ev[e].next != none)
      ev[ev[e].next].prev = ev[e].prev;
    if (auto m = ev[e].match; m != none) {
      ev[ev[m].prev].next = ev[m].next;
      if (ev[m].next != none)
        ev[ev[m].next].prev = ev[m].prev;
    }
  };
  auto unlift = [&](std::size_t e) {
    if (auto m = ev[e].match; m != none) {
      ev[ev[m].prev].next = m;
      if (ev[m].next != none)
        ev[ev[m].next].prev = m;
    }
    ev[ev[e].prev].next = e;
    if (ev[e].next != none)
      ev[ev[e].next].prev = e;
  };
  std::size_t returns_left = 0;
  for (const auto& o : ops)
    returns_left += o.when.answered ? 1 : 0;
  detail::fingerprint linearized;
  std::unordered_set<detail::memo_key<typename Model::state>, detail::memo_hash<Model>> seen;
  struct frame {
    std::size_t event;
    typename Model::state before;
  };
  std::vector<frame> stack;
  auto state = initial;
  search_result<Model> out;
  std::size_t cursor = ev[0].next;
  while (returns_left > 0) {
    if (++out.steps % 4096 == 0 && std::chrono::steady_clock::now() > until)
      return out; // undecided
    if (cursor != none && ev[cursor].call) {
      auto op = ev[cursor].op;
      if (auto next = Model::step(state, ops[op])) {
        linearized.toggle(op); // in
        if (seen.insert({linearized, *next}).second) {
          stack.push_back({cursor, state});
          state = std::move(*next);
          returns_left -= ev[cursor].match != none ? 1 : 0;
          lift(cursor);
          out.deepest = std::max(out.deepest, stack.size());
          if (stack.size() == stop_at && where) {
            for (auto& f : stack)
              where->order.push_back(ev[f.event].op);
            where->state = state;
            for (auto e = ev[0].next; e != none; e = ev[e].next) {
              where->frontier.push_back(ev[e].op);
              if (!ev[e].call)
                break;
            }
            return out;
          }
          cursor = ev[0].next;
          continue;
        }
        linearized.toggle(op); // out again
      }
      cursor = ev[cursor].next;
      continue;
    }
    // A return whose operation is not linearized (or the end): backtrack.
    if (stack.empty()) {
      out.result = verdict::violation;
      return out;
    }
    auto top = std::move(stack.back());
    stack.pop_back();
    state = std::move(top.before);
    linearized.toggle(ev[top.event].op); // out
    unlift(top.event);
    returns_left += ev[top.event].match != none ? 1 : 0;
    cursor = ev[top.event].next;
  }
  out.result = verdict::linearizable;
  return out;
}

} // namespace fridgebank::check
