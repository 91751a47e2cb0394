#pragma once

// fridgebank-check's logic: a history in, a verdict per object out, and for
// a violation the smallest set of operations that cannot be ordered.

#include "check/history.hpp"
#include "check/search.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace fridgebank::check {

/// One operation as a report shows it.
struct shown_op {
  std::int64_t client = 0;
  std::int64_t call = 0, returned = 0;
  bool answered = false;
  std::string text;  // e.g. "drink(3) -> 200 {taken 2, left 0}"
  std::string where; // FILE:LINE
  bool in_core = false;
};

struct object_verdict {
  std::string object; // "fridge kitchen", "bank"
  verdict result = verdict::undecided;
  std::size_t operations = 0;
  std::uint64_t steps = 0;
  double seconds = 0;
  // For a violation:
  std::string start_state;        // the state the core starts from
  std::vector<shown_op> core;     // the operations that cannot be ordered from it
  bool core_minimal = false;      // every one is needed (else: the time ran out shrinking)
  std::vector<shown_op> timeline; // the object's operations, for --html
};

struct report {
  verdict overall = verdict::linearizable;
  std::size_t operations = 0;
  std::size_t ignored = 0;
  std::vector<object_verdict> objects;
};

struct options {
  std::chrono::milliseconds budget{60'000}; // for the whole history
};

report check_history(const std::vector<http_operation>& history, const options& how);

/// The report as text: one line per object that is not linearizable (or
/// undecided), the core of a violation, and a summary line.
std::string to_text(const report& r);

/// A self-contained page drawing each violating object's operations as bars
/// per client on a time axis, the core marked.
std::string to_html(const report& r);

} // namespace fridgebank::check
