#include "fridgebank/protocol/codec.hpp"
#include "fridgebank/protocol/error_code.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace fridgebank;

namespace {

struct bad_body {
  std::string body;
  std::string detail_contains;
};

template <class T> void check_refused(const caf::expected<T>& decoded, const bad_body& row) {
  INFO("body: " << row.body);
  REQUIRE_FALSE(decoded);
  CHECK(code_of(decoded.error()) == error_code::bad_request);
  CHECK(detail_of(decoded.error()).find(row.detail_contains) != std::string::npos);
}

} // namespace

TEST_CASE("drink requests: the seed's three kinds and leaveAtLeast") {
  auto take = codec::decode_drink_request(R"({"drinksRequested":3})");
  REQUIRE(take);
  CHECK(*take == drink_request{3, 0});
  auto load = codec::decode_drink_request(R"({"drinksRequested":-5,"note":"ignored"})");
  REQUIRE(load);
  CHECK(*load == drink_request{-5, 0});
  auto polite = codec::decode_drink_request(R"({"drinksRequested":1,"leaveAtLeast":1})");
  REQUIRE(polite);
  CHECK(*polite == drink_request{1, 1});
  auto look = codec::decode_drink_request(R"({"drinksRequested":0,"leaveAtLeast":4})");
  REQUIRE(look);
  CHECK(*look == drink_request{0, 4});
}

TEST_CASE("whole numbers written with an exponent or a zero fraction are integers") {
  auto a = codec::decode_drink_request(R"({"drinksRequested":1e3})");
  REQUIRE(a);
  CHECK(a->drinks_requested == 1000);
  auto b = codec::decode_amount(R"({"amount":2.0})");
  REQUIRE(b);
  CHECK(*b == 2);
}

TEST_CASE("the range is exactly -(2^53-1) .. 2^53-1") {
  CHECK(codec::decode_drink_request(R"({"drinksRequested":9007199254740991})"));
  CHECK(codec::decode_drink_request(R"({"drinksRequested":-9007199254740991})"));
  CHECK_FALSE(codec::decode_drink_request(R"({"drinksRequested":9007199254740992})"));
  CHECK_FALSE(codec::decode_drink_request(R"({"drinksRequested":-9007199254740992})"));
}

TEST_CASE("bad drink bodies are refused with what is wrong") {
  const std::vector<bad_body> table{
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"{\"drinksRequested\":1,}", "not valid JSON"},
      {"[1]", "must be a JSON object"},
      {"3", "must be a JSON object"},
      {"\"x\"", "must be a JSON object"},
      {"null", "must be a JSON object"},
      {"{}", "missing field \"drinksRequested\""},
      {R"({"drinks":1})", "missing field \"drinksRequested\""},
      {R"({"drinksRequested":1.5})", "must be an integer"},
      {R"({"drinksRequested":1.5e0})", "must be an integer"},
      {R"({"drinksRequested":"1"})", "must be an integer"},
      {R"({"drinksRequested":true})", "must be an integer"},
      {R"({"drinksRequested":null})", "must be an integer"},
      {R"({"drinksRequested":[1]})", "must be an integer"},
      {R"({"drinksRequested":{"n":1}})", "must be an integer"},
      {R"({"drinksRequested":1e300})", "out of range"},
      {R"({"drinksRequested":18446744073709551615})", "out of range"},
      {R"({"drinksRequested":99999999999999999999999})", "out of range"},
      {R"({"drinksRequested":1,"leaveAtLeast":-1})", "leaveAtLeast must be >= 0"},
      {R"({"drinksRequested":1,"leaveAtLeast":0.5})", "leaveAtLeast must be an integer"},
      {R"({"drinksRequested":-1,"leaveAtLeast":0})", "only allowed with drinksRequested >= 0"},
  };
  for (const auto& row : table)
    check_refused(codec::decode_drink_request(row.body), row);
}

TEST_CASE("bad fridge, account, amount and transfer bodies") {
  const std::vector<bad_body> fridges{
      {R"({"drinks":1})", "missing field \"name\""},
      {R"({"name":""})", "name must match"},
      {R"({"name":"a b"})", "name must match"},
      {R"({"name":"caf\u00e9"})", "name must match"},
      {R"({"name":")" + std::string(65, 'x') + "\"}", "name must match"},
      {R"({"name":7})", "name must be a string"},
      {R"({"name":"k","drinks":-1})", "drinks must be >= 0"},
      {R"({"name":"k","drinks":"12"})", "drinks must be an integer"},
  };
  for (const auto& row : fridges)
    check_refused(codec::decode_new_fridge(row.body), row);
  auto ok = codec::decode_new_fridge(R"({"name":"Kitchen_2.b-1"})");
  REQUIRE(ok);
  CHECK(ok->drinks == 0);
  CHECK(codec::decode_new_fridge(R"({"name":")" + std::string(64, 'x') + "\"}"));

  check_refused(codec::decode_new_account(R"({"id":"a/b"})"), {"", "id must match"});
  check_refused(codec::decode_new_account(R"({})"), {"", "missing field \"id\""});

  const std::vector<bad_body> amounts{
      {R"({"amount":0})", "amount must be >= 1"},
      {R"({"amount":-3})", "amount must be >= 1"},
      {R"({"amount":false})", "amount must be an integer"},
      {R"({"sum":3})", "missing field \"amount\""},
  };
  for (const auto& row : amounts)
    check_refused(codec::decode_amount(row.body), row);

  const std::vector<bad_body> transfers{
      {R"({"from":"a","to":"a","amount":1})", "from and to must differ"},
      {R"({"from":"a","amount":1})", "missing field \"to\""},
      {R"({"from":"a","to":"b"})", "missing field \"amount\""},
      {R"({"from":"a","to":"b","amount":0})", "amount must be >= 1"},
      {R"({"from":"a!","to":"b","amount":1})", "from must match"},
  };
  for (const auto& row : transfers)
    check_refused(codec::decode_transfer(row.body), row);
}

TEST_CASE("replies are the API's JSON") {
  CHECK(codec::encode(fridge_result{2, 10}) ==
        R"({"drinksTakenOrAdded":2,"drinksLeftInFridge":10})");
  CHECK(codec::encode(fridge_state{"k", 3, true}) ==
        R"({"name":"k","drinksLeftInFridge":3,"stopped":true})");
  CHECK(codec::encode(ledger_snapshot{{{"a", 1}, {"b", 2}}, 3, ""}) ==
        R"({"accounts":[{"id":"a","balance":1},{"id":"b","balance":2}],"total":3,"next":null})");
  CHECK(codec::encode(ledger_snapshot{{{"a", 1}}, 3, "a"}) ==
        R"({"accounts":[{"id":"a","balance":1}],"total":3,"next":"a"})");
  CHECK(codec::encode(fridge_list{{{"k", 3, false}}, "k"}) ==
        R"({"fridges":[{"name":"k","drinksLeftInFridge":3,"stopped":false}],"next":"k"})");
  CHECK(codec::encode(fridge_list{{}, ""}) == R"({"fridges":[],"next":null})");
  CHECK(codec::encode(transfer_result{{"a", 0}, {"b", 5}}) ==
        R"({"from":{"id":"a","balance":0},"to":{"id":"b","balance":5}})");
  CHECK(codec::encode_error("insufficient_funds", "no", 4) ==
        R"({"error":"insufficient_funds","message":"no","balance":4})");
}

TEST_CASE("error messages stay valid UTF-8 whatever they quote") {
  // Found by the request fuzzer: a 404 quoted a path decoded from %99.
  CHECK(codec::encode_error("not_found", "no route for /a\x99z") ==
        "{\"error\":\"not_found\",\"message\":\"no route for /a\xEF\xBF\xBDz\"}");
  CHECK(codec::encode_error("x", "caf\xC3\xA9 \xF0\x9F\x8D\xBA") ==
        "{\"error\":\"x\",\"message\":\"caf\xC3\xA9 \xF0\x9F\x8D\xBA\"}"); // valid: kept
  for (std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\x80"}) {
    auto text = codec::encode_error("x", bad);
    CHECK(text.find(bad) == std::string::npos);
    CHECK(text.find("\xEF\xBF\xBD") != std::string::npos);
  }
}
