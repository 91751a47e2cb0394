#pragma once

// The API's routes (../shared/API.md) as requests a scenario can send.

#include "load/operation.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fridgebank::load::routes {

request echo();
request healthz();
request metrics();

request create_fridge(const std::string& name, std::int64_t drinks);
/// A page of a listing (API.md): names after `after` ("": from the first),
/// at most `limit` of them (0: the server's default).
struct page {
  std::string after;
  unsigned limit = 0;
};

request list_fridges(const page& p = {});
/// `route` names it in the report: a polite drinker's LOOK is a "look".
request get_fridge(const std::string& name, std::string route = "fridge");
request drink(const std::string& fridge, std::int64_t requested,
              std::optional<std::int64_t> leave_at_least = std::nullopt);

request create_account(const std::string& id);
request get_account(const std::string& id);
request list_accounts(const page& p = {});
request deposit(const std::string& id, std::int64_t amount);
request withdraw(const std::string& id, std::int64_t amount);
request transfer(const std::string& from, const std::string& to, std::int64_t amount);

} // namespace fridgebank::load::routes
