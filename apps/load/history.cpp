#include "load/history.hpp"

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <stdexcept>

namespace fridgebank::load {

namespace {

/// A body as JSON when it is JSON (every route but /echo and /metrics), else as a string.
boost::json::value body_value(const std::string& body) {
  if (body.empty())
    return nullptr;
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec)
    return boost::json::string{body};
  return value;
}

} // namespace

history_log::history_log(const std::string& path) : out_(path, std::ios::trunc) {
  if (!out_)
    throw std::runtime_error("cannot write the history to " + path);
}

void history_log::record(std::int64_t client, const request& req, const reply& rep,
                         std::chrono::nanoseconds call, std::chrono::nanoseconds returned) {
  if (!rep.answered()) {
    unanswered_.push_back({client, req, call});
    return;
  }
  write(client, req, &rep, call, returned);
}

void history_log::close(std::chrono::nanoseconds end) {
  for (auto& op : unanswered_)
    write(op.client, op.req, nullptr, op.call, end);
  unanswered_.clear();
  out_.flush();
}

void history_log::write(std::int64_t client, const request& req, const reply* rep,
                        std::chrono::nanoseconds call, std::chrono::nanoseconds returned) {
  boost::json::object input{{"method", std::string{boost::beast::http::to_string(req.method)}},
                            {"target", req.target},
                            {"body", body_value(req.body)}};
  boost::json::value output = nullptr;
  if (rep)
    output = boost::json::object{{"status", rep->status}, {"body", body_value(rep->body)}};
  boost::json::object line{{"ClientId", client},
                           {"Input", std::move(input)},
                           {"Call", call.count()},
                           {"Output", std::move(output)},
                           {"Return", returned.count()}};
  out_ << boost::json::serialize(line) << '\n';
  ++operations_;
}

} // namespace fridgebank::load
