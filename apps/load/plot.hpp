#pragma once

// --plot: throughput and latency percentiles per second of a run, drawn by
// gnuplot (Debian's gnuplot-nox) from the JSON report's timeline.

#include <boost/json/object.hpp>
#include <string>

namespace fridgebank::load {

/// Writes a PNG to `path`. Throws std::runtime_error if gnuplot is missing or fails.
void plot_report(const boost::json::object& report, const std::string& path);

} // namespace fridgebank::load
