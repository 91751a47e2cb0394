#include "load/routes.hpp"

#include <boost/json.hpp>

namespace fridgebank::load::routes {

namespace {

using boost::beast::http::verb;

request get(std::string target, std::string route) {
  return {verb::get, std::move(target), {}, std::move(route), {}};
}

request post(std::string target, const boost::json::object& body, std::string route) {
  return {verb::post, std::move(target), boost::json::serialize(body), std::move(route), {}};
}

/// `path` with the page's query (names need no escaping).
std::string paged(std::string path, const page& p) {
  char sep = '?';
  if (!p.after.empty()) {
    path += sep + std::string{"after="} + p.after;
    sep = '&';
  }
  if (p.limit != 0)
    path += sep + std::string{"limit="} + std::to_string(p.limit);
  return path;
}

} // namespace

request echo() {
  return {verb::get, "/echo?greeting=hello", {}, "echo", {}};
}
request healthz() {
  return get("/healthz", "healthz");
}
request metrics() {
  return get("/metrics", "metrics");
}

request create_fridge(const std::string& name, std::int64_t drinks) {
  return post("/fridges", {{"name", name}, {"drinks", drinks}}, "create-fridge");
}
request list_fridges(const page& p) {
  return get(paged("/fridges", p), "fridges");
}
request get_fridge(const std::string& name, std::string route) {
  return get("/fridges/" + name, std::move(route));
}
request drink(const std::string& fridge, std::int64_t requested,
              std::optional<std::int64_t> leave_at_least) {
  boost::json::object body{{"drinksRequested", requested}};
  if (leave_at_least)
    body["leaveAtLeast"] = *leave_at_least;
  return post("/fridges/" + fridge + "/drink", body,
              leave_at_least  ? "drink-leave-at-least"
              : requested < 0 ? "load"
                              : "drink");
}

request create_account(const std::string& id) {
  return post("/accounts", {{"id", id}}, "create-account");
}
request get_account(const std::string& id) {
  return get("/accounts/" + id, "account");
}
request list_accounts(const page& p) {
  return get(paged("/accounts", p), "accounts");
}
request deposit(const std::string& id, std::int64_t amount) {
  return post("/accounts/" + id + "/deposit", {{"amount", amount}}, "deposit");
}
request withdraw(const std::string& id, std::int64_t amount) {
  return post("/accounts/" + id + "/withdraw", {{"amount", amount}}, "withdraw");
}
request transfer(const std::string& from, const std::string& to, std::int64_t amount) {
  return post("/transfers", {{"from", from}, {"to", to}, {"amount", amount}}, "transfer");
}

} // namespace fridgebank::load::routes
