#include "fridgebank/protocol/events.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace json = boost::json;

namespace fridgebank {

namespace {

json::object to_object(const account& x) {
  return json::object({{"id", x.id}, {"balance", x.balance}});
}

change_event fridge_event(std::string_view change, const fridge_record& f) {
  return {"fridge", json::serialize(json::object({{"change", change},
                                                  {"name", f.name},
                                                  {"drinksLeftInFridge", f.drinks},
                                                  {"stopped", f.stopped}}))};
}

/// A figure as JSON: three decimals at most, written the shortest way
/// ("0.1", "12"; Boost.JSON would write "1E-1").
std::string number(double x) {
  if (!std::isfinite(x))
    return "0";
  auto r = std::round(x * 1000.0) / 1000.0;
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, r);
  return ec == std::errc{} ? std::string(buffer, end) : std::string{"0"};
}

} // namespace

std::optional<change_event> event_of(const journal_entry& entry, const fridge_result& reply) {
  if (entry.fridges.empty() || reply.drinks_taken_or_added == 0)
    return std::nullopt;
  return fridge_event(reply.drinks_taken_or_added > 0 ? "drink" : "load", entry.fridges.front());
}

std::optional<change_event> event_of(const journal_entry& entry, const fridge_state&) {
  if (entry.fridges.empty())
    return std::nullopt;
  const auto& f = entry.fridges.front();
  return fridge_event(f.stopped ? "stopped" : "created", f);
}

std::optional<change_event> event_of(const journal_entry& entry, const account& reply) {
  if (entry.accounts.empty())
    return std::nullopt;
  return change_event{"account", json::serialize(to_object(reply))};
}

std::optional<change_event> event_of(const journal_entry& entry, const transfer_result& reply) {
  if (entry.accounts.empty())
    return std::nullopt;
  return change_event{"transfer", json::serialize(json::object({{"from", to_object(reply.from)},
                                                                {"to", to_object(reply.to)}}))};
}

std::optional<change_event> event_of(const journal_entry& entry, const ledger_snapshot&) {
  if (!entry.bank_stopped)
    return std::nullopt;
  return change_event{"bank", R"({"stopped":true})"};
}

std::string encode(const live_figures& x) {
  std::string out = "{\"requestsPerSecond\":" + number(x.requests_per_second);
  out += ",\"p50Ms\":" + number(x.p50_ms);
  out += ",\"p99Ms\":" + number(x.p99_ms);
  out += ",\"openConnections\":" + std::to_string(x.open_connections);
  out += ",\"eventStreams\":" + std::to_string(x.event_streams);
  out += ",\"eventStreamsDropped\":" + std::to_string(x.event_streams_dropped);
  out += ",\"fridges\":" + std::to_string(x.fridges);
  out += ",\"total\":" + (x.total ? std::to_string(*x.total) : std::string{"null"});
  out += ",\"commitsPerSecond\":" + number(x.commits_per_second) + "}";
  return out;
}

std::string encode_reason(std::string_view reason) {
  return json::serialize(json::object({{"reason", reason}}));
}

} // namespace fridgebank
