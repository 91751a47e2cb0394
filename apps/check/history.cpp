#include "check/history.hpp"

#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>

namespace fridgebank::check {

namespace {

/// An integer field, or a reason it is not one.
std::optional<std::int64_t> integer(const boost::json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_int64())
    return std::nullopt;
  return it->value().as_int64();
}

std::variant<http_operation, std::string> parse_line(const std::string& line) {
  boost::system::error_code ec;
  auto value = boost::json::parse(line, ec);
  if (ec || !value.is_object())
    return std::string{"not a JSON object"};
  const auto& o = value.as_object();
  http_operation op;
  auto client = integer(o, "ClientId");
  auto call = integer(o, "Call");
  auto returned = integer(o, "Return");
  auto input = o.find("Input");
  auto output = o.find("Output");
  if (!client || !call || !returned || input == o.end() || !input->value().is_object() ||
      output == o.end())
    return std::string{"needs ClientId, Input, Call, Output and Return"};
  const auto& in = input->value().as_object();
  auto method = in.find("method");
  auto target = in.find("target");
  if (method == in.end() || !method->value().is_string() || target == in.end() ||
      !target->value().is_string())
    return std::string{"Input needs method and target"};
  op.client = *client;
  op.call = *call;
  op.returned = *returned;
  if (op.returned < op.call)
    return std::string{"Return is before Call"};
  op.method = std::string{method->value().as_string()};
  op.target = std::string{target->value().as_string()};
  if (auto body = in.find("body"); body != in.end())
    op.body = body->value();
  if (!output->value().is_null()) {
    if (!output->value().is_object())
      return std::string{"Output must be an object or null"};
    const auto& out = output->value().as_object();
    auto status = integer(out, "status");
    if (!status || *status < 100 || *status > 599)
      return std::string{"Output needs a status"};
    op.status = static_cast<unsigned>(*status);
    if (auto body = out.find("body"); body != out.end())
      op.reply = body->value();
  }
  return op;
}

} // namespace

std::variant<std::vector<http_operation>, std::string>
parse_history(const std::string& text, const std::string& name, std::int64_t client_offset) {
  std::vector<http_operation> ops;
  std::istringstream in{text};
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    auto parsed = parse_line(line);
    auto where = name + ":" + std::to_string(number);
    if (auto* err = std::get_if<std::string>(&parsed))
      return where + ": " + *err;
    auto& op = std::get<http_operation>(parsed);
    op.client += client_offset;
    op.where = std::move(where);
    ops.push_back(std::move(op));
  }
  return ops;
}

std::variant<std::vector<http_operation>, std::string>
read_history(const std::vector<std::string>& files) {
  std::vector<http_operation> all;
  std::int64_t offset = 0;
  for (const auto& file : files) {
    std::ifstream in{file};
    if (!in)
      return "cannot read " + file;
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parse_history(text.str(), file, offset);
    if (auto* err = std::get_if<std::string>(&parsed))
      return *err;
    auto& ops = std::get<std::vector<http_operation>>(parsed);
    std::int64_t largest = 0;
    for (auto& op : ops) {
      largest = std::max(largest, op.client - offset);
      all.push_back(std::move(op));
    }
    offset += largest + 1; // clients of the next file get ids of their own
  }
  return all;
}

} // namespace fridgebank::check
