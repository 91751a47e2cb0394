#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fridgebank {

/// The largest count or amount we store or accept: 2^53-1, the largest
/// integer a JavaScript client can hold exactly.
inline constexpr std::int64_t max_safe_integer = (std::int64_t{1} << 53) - 1;

inline constexpr bool in_safe_range(std::int64_t x) {
  return x >= -max_safe_integer && x <= max_safe_integer;
}

/// Listings come in pages (API.md): `?limit=` is 1 .. max_page_limit.
inline constexpr std::uint32_t default_page_limit = 1000;
inline constexpr std::uint32_t max_page_limit = 10000;

/// `--max-fridges` and `--max-accounts` unless given.
inline constexpr std::size_t default_max_entries = 1'000'000;

/// Names of fridges and ids of accounts: `[A-Za-z0-9_.-]{1,64}`.
inline constexpr std::size_t max_name_length = 64;

constexpr bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > max_name_length)
    return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

/// Adds two non-negative stored quantities; false when the sum would leave
/// the safe range (the caller then refuses the whole operation).
constexpr bool checked_add(std::int64_t a, std::int64_t b, std::int64_t& sum) {
  if (b > max_safe_integer - a)
    return false;
  sum = a + b;
  return true;
}

} // namespace fridgebank
