#pragma once

// JSON <-> messages. Decoding enforces every validation rule of API.md and
// says precisely what is wrong (as a `bad_request` error with a detail);
// encoding produces the reply bodies. No I/O here.

#include "fridgebank/protocol/messages.hpp"

#include <caf/expected.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fridgebank::codec {

// -- request bodies -----------------------------------------------------------

/// `{"name":..,"drinks":..}` (drinks optional, default 0, >= 0).
caf::expected<new_fridge> decode_new_fridge(std::string_view body);

/// `{"drinksRequested":n,"leaveAtLeast":k}` (k optional, >= 0, only with n >= 0).
caf::expected<drink_request> decode_drink_request(std::string_view body);

/// `{"id":..}` -> the account id.
caf::expected<std::string> decode_new_account(std::string_view body);

/// `{"amount":a}` with a >= 1.
caf::expected<std::int64_t> decode_amount(std::string_view body);

/// `{"from":..,"to":..,"amount":x}` with x >= 1 and from != to.
caf::expected<transfer_request> decode_transfer(std::string_view body);

// -- reply bodies -------------------------------------------------------------

std::string encode(const fridge_result& x);
std::string encode(const fridge_state& x);
std::string encode(const fridge_list& x);
std::string encode(const account& x);
std::string encode(const transfer_result& x);
std::string encode(const ledger_snapshot& x);

/// `/healthz` with some actor nodes unreachable:
/// `{"status":"degraded","unreachable":["HOST:PORT",...]}`.
std::string encode_degraded(const std::vector<std::string>& unreachable);

/// `{"error":code,"message":message}` plus `"balance"` when given.
std::string encode_error(std::string_view code, std::string_view message);
std::string encode_error(std::string_view code, std::string_view message, std::int64_t balance);

} // namespace fridgebank::codec
