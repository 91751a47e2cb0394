#include "fridgebank/protocol/codec.hpp"

#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/exact_integer.hpp"
#include "fridgebank/protocol/limits.hpp"
#include "json_fields.hpp"

#include <boost/json.hpp>
#include <cassert>

namespace json = boost::json;

namespace fridgebank::codec {

namespace {

caf::error bad_request(std::string detail) {
  return make_error(error_code::bad_request, std::move(detail));
}

/// Where a small document's values live: a buffer on the stack, so a body
/// of a few dozen bytes (every request and most replies here) costs no heap
/// allocation (callgrind: five per drink before). A bigger document spills
/// to the heap. Values made with `ptr()` must not outlive it.
class stack_storage {
public:
  json::storage_ptr ptr() { return &resource_; }

private:
  unsigned char buffer_[1024];
  json::monotonic_resource resource_{buffer_, sizeof buffer_};
};

/// The wanted top-level fields of a request body, or the `bad_request` that
/// says why the body is not a JSON object.
caf::expected<json_fields> read_body(std::string_view body,
                                     std::initializer_list<std::string_view> wanted) {
  json_fields fields;
  std::string detail;
  switch (read_fields(body, wanted, fields, detail)) {
  case json_read::ok:
    return fields;
  case json_read::invalid:
    return bad_request("body is not valid JSON: " + detail);
  case json_read::not_object:
    break;
  }
  return bad_request("body must be a JSON object");
}

/// A JSON number that is a whole value in the safe range, read exactly from
/// its text. Whole values written with an exponent or a zero fraction (1e3,
/// 2.0) are accepted; anything else is refused with the field's name.
caf::expected<std::int64_t> to_integer(const json_field& field) {
  if (field.kind != json_kind::number)
    return bad_request(std::string{field.key} + " must be an integer");
  auto x = read_exact_integer(field.text);
  switch (x.reading) {
  case integer_reading::whole:
    return x.value;
  case integer_reading::not_whole:
    return bad_request(std::string{field.key} + " must be an integer");
  case integer_reading::out_of_range:
    return bad_request(std::string{field.key} + " is out of range (-(2^53-1) .. 2^53-1)");
  case integer_reading::not_a_number:
    break;
  }
  assert(!"the JSON parser passed a number that is not one"); // programmer error
  return bad_request(std::string{field.key} + " must be an integer");
}

caf::expected<std::int64_t> required_integer(const json_field& field) {
  if (field.kind == json_kind::absent)
    return bad_request("missing field \"" + std::string{field.key} + "\"");
  return to_integer(field);
}

/// The field's value, or `fallback` when the field is absent.
caf::expected<std::int64_t> optional_integer(const json_field& field, std::int64_t fallback) {
  if (field.kind == json_kind::absent)
    return fallback;
  return to_integer(field);
}

caf::expected<std::string> required_name(const json_field& field) {
  if (field.kind == json_kind::absent)
    return bad_request("missing field \"" + std::string{field.key} + "\"");
  if (field.kind != json_kind::string)
    return bad_request(std::string{field.key} + " must be a string");
  if (!is_valid_name(field.text))
    return bad_request(std::string{field.key} + " must match [A-Za-z0-9_.-]{1,64}");
  return field.text;
}

caf::expected<std::int64_t> positive_amount(const json_field& field) {
  auto amount = required_integer(field);
  if (amount && *amount < 1)
    return bad_request(std::string{field.key} + " must be >= 1");
  return amount;
}

/// The length of the UTF-8 sequence at the start of `s` (RFC 3629: no
/// overlong forms, no surrogates, at most U+10FFFF), 0 when it is not one.
std::size_t utf8_sequence(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  auto c = byte(0);
  std::size_t n = c < 0x80           ? 1
                  : (c >> 5) == 0x6  ? 2
                  : (c >> 4) == 0xE  ? 3
                  : (c >> 3) == 0x1E ? 4
                                     : 0;
  if (n == 0 || s.size() < n)
    return 0;
  for (std::size_t i = 1; i < n; ++i)
    if ((byte(i) >> 6) != 0x2)
      return 0;
  if ((n == 2 && c < 0xC2) || (n == 3 && c == 0xE0 && byte(1) < 0xA0) ||
      (n == 3 && c == 0xED && byte(1) >= 0xA0) || (n == 4 && c == 0xF0 && byte(1) < 0x90) ||
      (n == 4 && (c > 0xF4 || (c == 0xF4 && byte(1) >= 0x90))))
    return 0;
  return n;
}

/// `text` with every byte that is not part of valid UTF-8 replaced by
/// U+FFFD: an error message may quote what a client sent, and a reply must
/// stay valid JSON (the request fuzzer found a 404 quoting `%99`).
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    auto n = utf8_sequence(text);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      n = 1;
    } else {
      out.append(text.substr(0, n));
    }
    text.remove_prefix(n);
  }
  return out;
}

/// A page's `next`: the name to ask `after`, or null on the last page.
json::value next_of(const std::string& next) {
  if (next.empty())
    return nullptr;
  return json::string{next};
}

std::string to_text(const json::object& obj) {
  return json::serialize(obj);
}

json::object to_object(const fridge_state& x, json::storage_ptr sp = {}) {
  return json::object(
      {{"name", x.name}, {"drinksLeftInFridge", x.drinks_left_in_fridge}, {"stopped", x.stopped}},
      std::move(sp));
}

json::object to_object(const account& x, json::storage_ptr sp = {}) {
  return json::object({{"id", x.id}, {"balance", x.balance}}, std::move(sp));
}

} // namespace

caf::expected<new_fridge> decode_new_fridge(std::string_view body) {
  auto obj = read_body(body, {"name", "drinks"});
  if (!obj)
    return obj.error();
  auto name = required_name((*obj)["name"]);
  if (!name)
    return name.error();
  auto drinks = optional_integer((*obj)["drinks"], 0);
  if (!drinks)
    return drinks.error();
  if (*drinks < 0)
    return bad_request("drinks must be >= 0");
  return new_fridge{std::move(*name), *drinks};
}

caf::expected<drink_request> decode_drink_request(std::string_view body) {
  auto obj = read_body(body, {"drinksRequested", "leaveAtLeast"});
  if (!obj)
    return obj.error();
  auto requested = required_integer((*obj)["drinksRequested"]);
  if (!requested)
    return requested.error();
  const auto& leave_field = (*obj)["leaveAtLeast"];
  auto leave = optional_integer(leave_field, 0);
  if (!leave)
    return leave.error();
  if (*leave < 0)
    return bad_request("leaveAtLeast must be >= 0");
  if (leave_field.kind != json_kind::absent && *requested < 0)
    return bad_request("leaveAtLeast is only allowed with drinksRequested >= 0");
  return drink_request{*requested, *leave};
}

caf::expected<std::string> decode_new_account(std::string_view body) {
  auto obj = read_body(body, {"id"});
  if (!obj)
    return obj.error();
  return required_name((*obj)["id"]);
}

caf::expected<std::int64_t> decode_amount(std::string_view body) {
  auto obj = read_body(body, {"amount"});
  if (!obj)
    return obj.error();
  return positive_amount((*obj)["amount"]);
}

caf::expected<transfer_request> decode_transfer(std::string_view body) {
  auto obj = read_body(body, {"from", "to", "amount"});
  if (!obj)
    return obj.error();
  auto from = required_name((*obj)["from"]);
  if (!from)
    return from.error();
  auto to = required_name((*obj)["to"]);
  if (!to)
    return to.error();
  auto amount = positive_amount((*obj)["amount"]);
  if (!amount)
    return amount.error();
  if (*from == *to)
    return bad_request("from and to must differ");
  return transfer_request{std::move(*from), std::move(*to), *amount};
}

std::string encode(const fridge_result& x) {
  stack_storage storage;
  return to_text(json::object({{"drinksTakenOrAdded", x.drinks_taken_or_added},
                               {"drinksLeftInFridge", x.drinks_left_in_fridge}},
                              storage.ptr()));
}

std::string encode(const fridge_state& x) {
  stack_storage storage;
  return to_text(to_object(x, storage.ptr()));
}

std::string encode(const fridge_list& x) {
  json::array fridges;
  fridges.reserve(x.fridges.size());
  for (const auto& f : x.fridges)
    fridges.emplace_back(to_object(f));
  return to_text({{"fridges", std::move(fridges)}, {"next", next_of(x.next)}});
}

std::string encode(const account& x) {
  stack_storage storage;
  return to_text(to_object(x, storage.ptr()));
}

std::string encode(const transfer_result& x) {
  stack_storage storage;
  return to_text(json::object(
      {{"from", to_object(x.from, storage.ptr())}, {"to", to_object(x.to, storage.ptr())}},
      storage.ptr()));
}

std::string encode(const ledger_snapshot& x) {
  json::array accounts;
  accounts.reserve(x.accounts.size());
  for (const auto& a : x.accounts)
    accounts.emplace_back(to_object(a));
  return to_text(
      {{"accounts", std::move(accounts)}, {"total", x.total}, {"next", next_of(x.next)}});
}

std::string encode_degraded(const std::vector<std::string>& unreachable) {
  json::array nodes;
  for (const auto& n : unreachable)
    nodes.emplace_back(valid_utf8(n));
  return to_text(json::object({{"status", "degraded"}, {"unreachable", std::move(nodes)}}));
}

std::string encode_error(std::string_view code, std::string_view message) {
  stack_storage storage;
  return to_text(json::object({{"error", code}, {"message", valid_utf8(message)}}, storage.ptr()));
}

std::string encode_error(std::string_view code, std::string_view message, std::int64_t balance) {
  stack_storage storage;
  return to_text(json::object(
      {{"error", code}, {"message", valid_utf8(message)}, {"balance", balance}}, storage.ptr()));
}

} // namespace fridgebank::codec
