#pragma once

// The result of a run as one JSON object: what --json writes, what the text
// report and the plot are drawn from, and what decides the exit code.

#include "load/checks.hpp"
#include "load/driver.hpp"

#include <boost/json/object.hpp>
#include <string>
#include <vector>

namespace fridgebank::load {

struct report_input {
  std::string scenario;
  std::string server; // as given: http://HOST:PORT
  const run_options& options;
  const run_result& result;
  std::vector<check> checks;
  boost::json::object details;
  double max_error_rate = 0;
};

boost::json::object make_report(const report_input& input);

/// The report for people: throughput, percentiles, statuses, checks, verdict.
std::string text_report(const boost::json::object& report);

/// Whether every check held and the error rate stayed within bounds.
bool report_passed(const boost::json::object& report);

} // namespace fridgebank::load
