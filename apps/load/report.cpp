#include "load/report.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <sstream>

namespace fridgebank::load {

namespace {

double ms(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

boost::json::object percentiles(const latency_histogram& h) {
  return {{"p50", ms(h.percentile(0.5))},
          {"p90", ms(h.percentile(0.9))},
          {"p99", ms(h.percentile(0.99))},
          {"p999", ms(h.percentile(0.999))},
          {"max", ms(h.max())},
          {"mean", ms(h.mean())}};
}

std::string fixed(double x, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, x);
  return buffer;
}

} // namespace

boost::json::object make_report(const report_input& in) {
  auto& r = in.result;
  auto seconds = std::chrono::duration<double>(r.elapsed).count();
  auto attempts = r.requests + r.connect_failures;
  auto error_rate = attempts ? static_cast<double>(r.errors) / static_cast<double>(attempts) : 0.0;

  boost::json::object config{{"connections", in.options.connections},
                             {"pipeline", in.options.pipeline},
                             {"mode", in.options.rate ? "open-loop" : "closed-loop"},
                             {"timeout_ms", in.options.timeout.count()},
                             {"max_error_rate", in.max_error_rate}};
  config["duration_s"] =
      in.options.duration
          ? boost::json::value(std::chrono::duration<double>(*in.options.duration).count())
          : boost::json::value(nullptr);
  config["requests"] =
      in.options.requests ? boost::json::value(*in.options.requests) : boost::json::value(nullptr);
  config["rate"] =
      in.options.rate ? boost::json::value(*in.options.rate) : boost::json::value(nullptr);

  boost::json::object routes;
  for (auto& [route, h] : r.by_route) {
    auto entry = percentiles(h);
    entry["requests"] = h.count();
    routes[route] = std::move(entry);
  }
  boost::json::object statuses;
  for (auto& [status, n] : r.statuses)
    statuses[status] = n;
  boost::json::array timeline;
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    auto& s = r.timeline[i];
    auto entry = percentiles(s.latency);
    entry["second"] = i;
    // The last second is cut short by the end of the run.
    entry["span_s"] = std::clamp(seconds - static_cast<double>(i), 0.0, 1.0);
    entry["requests"] = s.requests;
    entry["errors"] = s.errors;
    timeline.push_back(std::move(entry));
  }
  boost::json::array checks;
  boost::json::array reasons;
  for (auto& c : in.checks) {
    checks.push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
    if (!c.passed)
      reasons.push_back(boost::json::string{"check failed: " + c.name + " (" + c.detail + ")"});
  }
  if (error_rate > in.max_error_rate)
    reasons.push_back(boost::json::string{"error rate " + fixed(error_rate * 100, 3) +
                                          " % is over --max-error-rate " +
                                          fixed(in.max_error_rate * 100, 3) + " %"});

  return {{"scenario", in.scenario},
          {"server", in.server},
          {"config", std::move(config)},
          {"elapsed_s", seconds},
          {"requests", r.requests},
          {"ok", r.ok},
          {"refused", r.refused},
          {"errors", r.errors},
          {"error_rate", error_rate},
          {"throughput", seconds > 0 ? r.requests / seconds : 0.0},
          {"latency_ms", percentiles(r.latency)},
          {"routes", std::move(routes)},
          {"statuses", std::move(statuses)},
          {"reconnects", r.reconnects},
          {"connect_failures", r.connect_failures},
          {"open_loop_backlog", r.backlog},
          {"interrupted", r.interrupted},
          {"timeline", std::move(timeline)},
          {"checks", std::move(checks)},
          {"scenario_details", in.details},
          {"verdict", {{"passed", reasons.empty()}, {"reasons", std::move(reasons)}}}};
}

bool report_passed(const boost::json::object& report) {
  return report.at("verdict").at("passed").as_bool();
}

std::string text_report(const boost::json::object& report) {
  std::ostringstream out;
  auto& config = report.at("config").as_object();
  auto& latency = report.at("latency_ms").as_object();
  out << "scenario " << report.at("scenario").as_string().c_str() << " against "
      << report.at("server").as_string().c_str() << ": " << config.at("connections").as_uint64()
      << " connections x " << config.at("pipeline").as_uint64() << " in flight, "
      << config.at("mode").as_string().c_str();
  if (!config.at("rate").is_null())
    out << " at " << fixed(config.at("rate").to_number<double>(), 0) << " req/s";
  out << "\n";
  out << "  requests   " << report.at("requests").as_uint64() << " in "
      << fixed(report.at("elapsed_s").to_number<double>(), 2)
      << " s = " << fixed(report.at("throughput").to_number<double>(), 0) << " req/s\n";
  out << "  outcomes   ok " << report.at("ok").as_uint64() << ", refused as expected "
      << report.at("refused").as_uint64() << ", errors " << report.at("errors").as_uint64() << " ("
      << fixed(report.at("error_rate").to_number<double>() * 100, 3) << " %)\n";
  out << "  latency    p50 " << fixed(latency.at("p50").to_number<double>(), 3) << " ms  p90 "
      << fixed(latency.at("p90").to_number<double>(), 3) << "  p99 "
      << fixed(latency.at("p99").to_number<double>(), 3) << "  p99.9 "
      << fixed(latency.at("p999").to_number<double>(), 3) << "  max "
      << fixed(latency.at("max").to_number<double>(), 3) << " ms\n";
  out << "  routes    ";
  for (auto& [route, stats] : report.at("routes").as_object())
    out << " " << std::string_view{route} << " " << stats.at("requests").as_uint64() << " (p99 "
        << fixed(stats.at("p99").to_number<double>(), 2) << " ms)";
  out << "\n  statuses  ";
  for (auto& [status, n] : report.at("statuses").as_object())
    out << " [" << std::string_view{status} << "] " << n.as_uint64();
  out << "\n";
  if (auto backlog = report.at("open_loop_backlog").as_uint64())
    out << "  backlog    " << backlog << " due requests never found a free client\n";
  for (auto& c : report.at("checks").as_array()) {
    auto& check = c.as_object();
    out << "  " << (check.at("passed").as_bool() ? "ok  " : "FAIL") << "       "
        << check.at("name").as_string().c_str();
    if (auto& detail = check.at("detail").as_string(); !detail.empty())
      out << ": " << detail.c_str();
    out << "\n";
  }
  out << "verdict: " << (report_passed(report) ? "passed" : "FAILED") << "\n";
  for (auto& reason : report.at("verdict").at("reasons").as_array())
    out << "  " << reason.as_string().c_str() << "\n";
  return out.str();
}

} // namespace fridgebank::load
