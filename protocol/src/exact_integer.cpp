#include "fridgebank/protocol/exact_integer.hpp"

#include "fridgebank/protocol/limits.hpp"

#include <cassert>
#include <string>

namespace fridgebank {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// The number split into its parts: value = (-1)^negative * digits * 10^exponent,
/// `digits` without leading or trailing zeros ("" for zero).
struct decimal {
  bool negative = false;
  std::string digits;
  std::int64_t exponent = 0;
};

/// The exponent's digits, saturated far beyond any value that matters: an
/// exponent of a billion says "out of range" (or "not whole") as surely as
/// one of 10^400 does.
bool read_exponent(std::string_view text, std::size_t& i, std::int64_t& exponent) {
  constexpr std::int64_t saturated = 1'000'000'000;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-'))
    negative = text[i++] == '-';
  if (i == text.size() || !is_digit(text[i]))
    return false;
  for (; i < text.size() && is_digit(text[i]); ++i)
    if (exponent < saturated)
      exponent = exponent * 10 + (text[i] - '0');
  if (negative)
    exponent = -exponent;
  return true;
}

bool split(std::string_view text, decimal& out) {
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    out.negative = true;
    ++i;
  }
  std::size_t int_begin = i;
  for (; i < text.size() && is_digit(text[i]); ++i)
    out.digits += text[i];
  if (i == int_begin || (text[int_begin] == '0' && i - int_begin > 1))
    return false; // no integer part, or a leading zero
  if (i < text.size() && text[i] == '.') {
    std::size_t frac_begin = ++i;
    for (; i < text.size() && is_digit(text[i]); ++i) {
      out.digits += text[i];
      --out.exponent;
    }
    if (i == frac_begin)
      return false;
  }
  std::int64_t exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E') && !read_exponent(text, ++i, exponent))
    return false;
  if (i != text.size())
    return false;
  out.exponent += exponent;
  auto first = out.digits.find_first_not_of('0');
  if (first == std::string::npos) {
    out.digits.clear(); // zero, whatever its exponent
    out.exponent = 0;
    return true;
  }
  out.digits.erase(0, first);
  auto last = out.digits.find_last_not_of('0');
  out.exponent += static_cast<std::int64_t>(out.digits.size() - 1 - last);
  out.digits.erase(last + 1);
  return true;
}

} // namespace

exact_integer read_exact_integer(std::string_view text) {
  decimal d;
  if (!split(text, d))
    return {integer_reading::not_a_number};
  if (d.digits.empty())
    return {integer_reading::whole, 0};
  if (d.exponent < 0)
    return {integer_reading::not_whole};
  // 2^53-1 has 16 digits: more digits than that (with the zeros the exponent
  // appends) is out of range without computing anything.
  if (static_cast<std::int64_t>(d.digits.size()) + d.exponent > 16)
    return {integer_reading::out_of_range};
  std::int64_t value = 0;
  for (char c : d.digits)
    value = value * 10 + (c - '0');
  for (std::int64_t e = 0; e < d.exponent; ++e)
    value *= 10;
  assert(value > 0 && value < 10'000'000'000'000'000); // 16 digits at most
  if (value > max_safe_integer)
    return {integer_reading::out_of_range};
  return {integer_reading::whole, d.negative ? -value : value};
}

} // namespace fridgebank
