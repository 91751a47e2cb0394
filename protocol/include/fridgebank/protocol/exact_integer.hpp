#pragma once

// Reading a JSON number's text as an exact integer (API.md, "Conventions").
// The text is never turned into a floating-point value: `2.0` and `1e3` are
// whole, `4503599627370497.5` and `1e-400` are not, and
// `90071992547409910e-1` is exactly 2^53-1.

#include <cstdint>
#include <string_view>

namespace fridgebank {

/// What a number's text says as an integer.
enum class integer_reading {
  whole,        ///< a whole value in -(2^53-1) .. 2^53-1, stored in `value`
  not_whole,    ///< a non-zero digit after the point (after the exponent)
  out_of_range, ///< whole, but outside -(2^53-1) .. 2^53-1
  not_a_number, ///< not the JSON number grammar (a programmer error upstream)
};

struct exact_integer {
  integer_reading reading;
  std::int64_t value = 0;
};

/// Reads `text`, a JSON number (RFC 8259 §6: `-?int(.frac)?([eE][+-]?digits)?`).
exact_integer read_exact_integer(std::string_view text);

} // namespace fridgebank
