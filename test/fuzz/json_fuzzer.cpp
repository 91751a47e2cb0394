// libFuzzer target: the JSON codec alone. Every decoder reads the bytes as
// a request body, and the exact-integer reader reads them as a number.
// Besides crashes and UB it asserts what must hold for any input: a decoded
// value obeys API.md's rules (names, ranges, signs); a number Boost.JSON
// reads as an exact 64-bit integer is read as the same value (or refused as
// out of range); a whole value re-read from its decimal text is itself.

#include "fridgebank/protocol/codec.hpp"
#include "fridgebank/protocol/exact_integer.hpp"
#include "fridgebank/protocol/limits.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace fridgebank;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "json_fuzzer: %s\n", what);
    std::abort();
  }
}

void check_number(std::string_view text) {
  // The codec hands the reader a number's text without JSON's whitespace.
  while (!text.empty() && std::string_view{" \t\r\n"}.find(text.front()) != std::string_view::npos)
    text.remove_prefix(1);
  while (!text.empty() && std::string_view{" \t\r\n"}.find(text.back()) != std::string_view::npos)
    text.remove_suffix(1);
  auto x = read_exact_integer(text);
  if (x.reading == integer_reading::whole) {
    require(in_safe_range(x.value), "a whole value out of range");
    auto again = read_exact_integer(std::to_string(x.value));
    require(again.reading == integer_reading::whole && again.value == x.value,
            "a value that does not survive its own decimal text");
  }
  // Differential: where Boost.JSON reads the text as an exact integer, agree.
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec)
    return;
  if (value.is_int64()) {
    std::int64_t v = value.as_int64();
    if (in_safe_range(v))
      require(x.reading == integer_reading::whole && x.value == v,
              "disagrees with Boost on an int");
    else
      require(x.reading == integer_reading::out_of_range,
              "an int out of range not refused as such");
  } else if (value.is_uint64()) {
    require(x.reading == integer_reading::out_of_range, "a uint64 not refused as out of range");
  } else if (value.is_double()) {
    require(x.reading != integer_reading::not_a_number, "a JSON number not read as one");
  } else {
    require(x.reading == integer_reading::not_a_number, "a non-number read as a number");
  }
}

void check_decoders(std::string_view body) {
  if (auto f = codec::decode_new_fridge(body))
    require(is_valid_name(f->name) && f->drinks >= 0 && f->drinks <= max_safe_integer,
            "a fridge API.md does not allow");
  if (auto d = codec::decode_drink_request(body))
    require(in_safe_range(d->drinks_requested) && d->leave_at_least >= 0 &&
                d->leave_at_least <= max_safe_integer,
            "a drink API.md does not allow");
  if (auto id = codec::decode_new_account(body))
    require(is_valid_name(*id), "an account id API.md does not allow");
  if (auto a = codec::decode_amount(body))
    require(*a >= 1 && *a <= max_safe_integer, "an amount API.md does not allow");
  if (auto t = codec::decode_transfer(body))
    require(is_valid_name(t->from) && is_valid_name(t->to) && t->from != t->to && t->amount >= 1 &&
                t->amount <= max_safe_integer,
            "a transfer API.md does not allow");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  check_decoders(text);
  check_number(text);
  return 0;
}
