// Numbers are read exactly from their JSON text (API.md, "Conventions"):
// never through a double. Each row is a drink request's number as a client
// writes it, and what the server must make of it.

#include "fridgebank/protocol/codec.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/exact_integer.hpp"

#include <doctest/doctest.h>
#include <optional>
#include <string>
#include <vector>

using namespace fridgebank;

namespace {

struct number_row {
  std::string text;
  std::optional<std::int64_t> value; ///< nullopt: refused
  std::string refusal = {};          ///< what the detail says when refused
};

const std::string not_whole = "must be an integer";
const std::string out_of_range = "out of range";

const std::vector<number_row>& number_table() {
  static const std::vector<number_row> rows{
      // plain integers, both ends of the range
      {"0", 0},
      {"-0", 0},
      {"7", 7},
      {"-7", -7},
      {"9007199254740991", 9007199254740991},
      {"-9007199254740991", -9007199254740991},
      {"9007199254740992", std::nullopt, out_of_range},
      {"-9007199254740992", std::nullopt, out_of_range},
      {"18446744073709551615", std::nullopt, out_of_range},
      {"18446744073709551616", std::nullopt, out_of_range},
      {"99999999999999999999999999999999", std::nullopt, out_of_range},
      // whole values written with a point or an exponent
      {"2.0", 2},
      {"2.000000000000000000000000000", 2},
      {"1e3", 1000},
      {"1E3", 1000},
      {"1e+3", 1000},
      {"1.5e1", 15},
      {"0.1e1", 1},
      {"100e-2", 1},
      {"-2.50e1", -25},
      {"0e-400", 0},
      {"0.0", 0},
      {"0e-99999", 0},
      {"9.007199254740991e15", 9007199254740991},
      {"90071992547409910e-1", 9007199254740991},
      {"900719925474099.1e1", 9007199254740991},
      {"10000000000000000e-1", 1000000000000000},
      {"1e15", 1000000000000000},
      {"1e16", std::nullopt, out_of_range},
      {"1e300", std::nullopt, out_of_range},
      {"1e400", std::nullopt, out_of_range},
      {"1e99999", std::nullopt, out_of_range},
      // an exponent beyond Boost.JSON's int: refused by the parser itself
      {"1e999999999999999999999", std::nullopt, "exponent overflow"},
      {"0e999999999999999999999", std::nullopt, "exponent overflow"},
      // not whole: a double would have rounded these to an integer
      {"4503599627370497.5", std::nullopt, not_whole},
      {"9007199254740991.5", std::nullopt, not_whole},
      {"1e-400", std::nullopt, not_whole},
      {"1.0000000000000000000001", std::nullopt, not_whole},
      {"0.5", std::nullopt, not_whole},
      {"-0.5", std::nullopt, not_whole},
      {"1.25e1", std::nullopt, not_whole},
      {"15e-1", std::nullopt, not_whole},
      {"1e-1", std::nullopt, not_whole},
      {"123456789012345678901234567891e-20", std::nullopt, not_whole},
  };
  return rows;
}

} // namespace

TEST_CASE("numbers are read exactly from the JSON text: the table") {
  REQUIRE(number_table().size() >= 30);
  for (const auto& row : number_table()) {
    std::string body = R"({"drinksRequested":)" + row.text + "}";
    INFO("body: " << body);
    auto decoded = codec::decode_drink_request(body);
    if (row.value) {
      REQUIRE(decoded);
      CHECK(decoded->drinks_requested == *row.value);
    } else {
      REQUIRE_FALSE(decoded);
      CHECK(code_of(decoded.error()) == error_code::bad_request);
      CHECK(detail_of(decoded.error()).find(row.refusal) != std::string::npos);
    }
  }
}

TEST_CASE("every integer field reads its number the same exact way") {
  auto amount = codec::decode_amount(R"({"amount":90071992547409910e-1})");
  REQUIRE(amount);
  CHECK(*amount == 9007199254740991);
  CHECK_FALSE(codec::decode_amount(R"({"amount":4503599627370497.5})"));
  auto fridge = codec::decode_new_fridge(R"({"name":"k","drinks":4503599627370497})");
  REQUIRE(fridge);
  CHECK(fridge->drinks == 4503599627370497);
  CHECK_FALSE(codec::decode_new_fridge(R"({"name":"k","drinks":1e-400})"));
  auto transfer = codec::decode_transfer(R"({"from":"a","to":"b","amount":1e3})");
  REQUIRE(transfer);
  CHECK(transfer->amount == 1000);
}

TEST_CASE("text that is not a JSON number is not read as one") {
  for (std::string text : {"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1x", "0x10", "- 1"}) {
    INFO("text: '" << text << "'");
    CHECK(read_exact_integer(text).reading == integer_reading::not_a_number);
  }
}

TEST_CASE(
    "fields: unknown and nested ones are ignored, escapes are read, the last of twins counts") {
  auto a = codec::decode_transfer(
      R"({"x":{"amount":"nested","from":1},"from":"a\u0062","to":"b\/","amount":[1][0]})");
  CHECK_FALSE(a); // not JSON: [1][0]
  auto b = codec::decode_transfer(
      R"({"x":{"amount":"nested","from":1},"from":"\u0061b","to":"c","amount":5,"y":[1,{"to":2}]})");
  REQUIRE(b);
  CHECK(b->from == "ab");
  CHECK(b->to == "c");
  CHECK(b->amount == 5);
  auto c = codec::decode_amount(R"({"amount":1,"amount":2})");
  REQUIRE(c);
  CHECK(*c == 2);
  CHECK_FALSE(codec::decode_amount(R"({"amount":1} {"amount":2})"));
  CHECK_FALSE(codec::decode_amount(R"([{"amount":1}])"));
}
