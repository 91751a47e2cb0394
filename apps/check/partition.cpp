#include "check/partition.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <string_view>

namespace fridgebank::check {

namespace {

namespace json = boost::json;

std::int64_t int_of(const json::value& v, std::string_view key, std::int64_t fallback = 0) {
  if (!v.is_object())
    return fallback;
  auto* field = v.as_object().if_contains(key);
  if (!field)
    return fallback;
  if (field->is_int64())
    return field->as_int64();
  if (field->is_uint64())
    return static_cast<std::int64_t>(field->as_uint64());
  if (field->is_double()) // 2.0 and 1e3 are whole (API.md)
    return static_cast<std::int64_t>(field->as_double());
  return fallback;
}

std::string string_of(const json::value& v, std::string_view key) {
  if (!v.is_object())
    return {};
  auto* field = v.as_object().if_contains(key);
  return field && field->is_string() ? std::string{field->as_string()} : std::string{};
}

bool bool_of(const json::value& v, std::string_view key) {
  if (!v.is_object())
    return false;
  auto* field = v.as_object().if_contains(key);
  return field && field->is_bool() && field->as_bool();
}

std::string percent_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) && hex(text[i + 2])) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

/// The path's segments (the query string cut off) and the query itself.
std::vector<std::string> segments_of(const std::string& target, std::string& query) {
  auto path = target;
  if (auto scheme = path.find("://"); scheme != std::string::npos) // absolute-form
    path = path.substr(std::min(path.size(), path.find('/', scheme + 3)));
  if (auto q = path.find('?'); q != std::string::npos) {
    query = path.substr(q + 1);
    path.resize(q);
  }
  // As the server's router splits it: every segment, empty ones too (so
  // "/fridges/f/" is no route), each percent-decoded.
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = std::min(path.find('/', start), path.size());
    parts.push_back(percent_decoded(path.substr(start, end - start)));
    start = end + 1;
  }
  return parts;
}

timing timing_of(const http_operation& op, std::size_t index) {
  bool definite = op.status && *op.status < 500;
  return timing{op.call, op.returned, definite, index, op.client};
}

/// A look at each fridge a `GET /fridges` page lists.
void add_list(partitioned& out, const http_operation& op, const timing& when) {
  if (!op.reply.is_object())
    return;
  auto* fridges = op.reply.as_object().if_contains("fridges");
  if (!fridges || !fridges->is_array())
    return;
  for (const auto& f : fridges->as_array()) {
    fridge_model::op look;
    look.when = when;
    look.what = fridge_model::kind::look;
    look.status = 200;
    look.left = int_of(f, "drinksLeftInFridge");
    look.stopped = bool_of(f, "stopped");
    out.fridges[string_of(f, "name")].push_back(look);
  }
}

bool add_fridge(partitioned& out, const http_operation& op, const std::vector<std::string>& path,
                const timing& when) {
  using kind = fridge_model::kind;
  fridge_model::op f;
  f.when = when;
  f.status = op.status.value_or(0);
  std::string name;
  bool post = op.method == "POST";
  if (post && path.size() == 1) {
    f.what = kind::create;
    name = string_of(op.body, "name");
    f.amount = int_of(op.body, "drinks");
  } else if (!post && path.size() == 2) {
    f.what = kind::look;
    name = path[1];
  } else if (post && path.size() == 3 && (path[2] == "drink" || path[2] == "stop")) {
    f.what = path[2] == "drink" ? kind::drink : kind::stop;
    name = path[1];
    f.amount = int_of(op.body, "drinksRequested");
    f.keep = int_of(op.body, "leaveAtLeast");
  } else {
    return false;
  }
  if (!when.answered && f.what == kind::look)
    return false; // a read without a reply did nothing
  f.error = string_of(op.reply, "error");
  f.taken = int_of(op.reply, "drinksTakenOrAdded");
  f.left = int_of(op.reply, "drinksLeftInFridge");
  f.stopped = bool_of(op.reply, "stopped");
  out.fridges[name].push_back(f);
  return true;
}

void fill_listing(bank_model::op& b, const http_operation& op, const std::string& query) {
  auto* accounts = op.reply.is_object() ? op.reply.as_object().if_contains("accounts") : nullptr;
  b.listing = accounts && accounts->is_array();
  if (b.listing)
    for (const auto& a : accounts->as_array())
      b.listed.emplace_back(string_of(a, "id"), int_of(a, "balance"));
  b.total = int_of(op.reply, "total");
  auto* next = op.reply.is_object() ? op.reply.as_object().if_contains("next") : nullptr;
  b.whole = query.find("after=") == std::string::npos && (!next || next->is_null());
}

bool add_bank(partitioned& out, const http_operation& op, const std::vector<std::string>& path,
              const std::string& query, const timing& when) {
  using kind = bank_model::kind;
  bank_model::op b;
  b.when = when;
  b.status = op.status.value_or(0);
  bool post = op.method == "POST";
  if (path[0] == "bank" && post && path.size() == 2 && path[1] == "stop") {
    b.what = kind::stop;
  } else if (path[0] == "transfers" && post && path.size() == 1) {
    b.what = kind::transfer;
    b.id = string_of(op.body, "from");
    b.to = string_of(op.body, "to");
    b.amount = int_of(op.body, "amount");
  } else if (path[0] != "accounts") {
    return false;
  } else if (path.size() == 1) {
    b.what = post ? kind::open : kind::snapshot;
    b.id = string_of(op.body, "id");
  } else if (!post && path.size() == 2) {
    b.what = kind::balance;
    b.id = path[1];
  } else if (post && path.size() == 3 && (path[2] == "deposit" || path[2] == "withdraw")) {
    b.what = path[2] == "deposit" ? kind::deposit : kind::withdraw;
    b.id = path[1];
    b.amount = int_of(op.body, "amount");
  } else {
    return false;
  }
  if (!when.answered && (b.what == kind::balance || b.what == kind::snapshot))
    return false;
  b.error = string_of(op.reply, "error");
  if (b.what == kind::transfer) {
    b.balance = int_of(op.reply.is_object() && op.reply.as_object().contains("from")
                           ? op.reply.as_object().at("from")
                           : op.reply,
                       "balance");
    if (op.reply.is_object() && op.reply.as_object().contains("to"))
      b.to_balance = int_of(op.reply.as_object().at("to"), "balance");
  } else {
    b.balance = int_of(op.reply, "balance");
  }
  if (b.what == kind::snapshot || b.what == kind::stop)
    fill_listing(b, op, query);
  out.bank.push_back(std::move(b));
  return true;
}

} // namespace

partitioned partition(const std::vector<http_operation>& history) {
  partitioned out;
  for (std::size_t i = 0; i < history.size(); ++i) {
    const auto& op = history[i];
    std::string query;
    auto path = segments_of(op.target, query);
    bool no_route = std::any_of(path.begin(), path.end(), [](auto& p) { return p.empty(); });
    if (no_route || (op.method != "GET" && op.method != "POST")) { // HEAD: no body to check
      ++out.ignored;
      continue;
    }
    auto when = timing_of(op, i);
    bool used = false;
    if (!path.empty() && path[0] == "fridges") {
      if (path.size() == 1 && op.method != "POST") {
        if (when.answered && op.status == 200u)
          add_list(out, op, when);
        used = when.answered;
      } else {
        used = add_fridge(out, op, path, when);
      }
    } else if (!path.empty()) {
      used = add_bank(out, op, path, query, when);
    }
    out.ignored += used ? 0 : 1;
  }
  return out;
}

} // namespace fridgebank::check
