#include "load/plot.hpp"

#include <boost/json.hpp>
#include <cstdio>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace fridgebank::load {

namespace {

/// gnuplot string literal: single quotes, doubled inside.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string{"''"} : std::string{c};
  return out + "'";
}

} // namespace

void plot_report(const boost::json::object& report, const std::string& path) {
  std::ostringstream script;
  script << "$timeline << EOD\n";
  for (auto& entry : report.at("timeline").as_array()) {
    auto& s = entry.as_object();
    // The last, partial second (only the replies still due after sending
    // stopped) would plot as a collapse in throughput that never happened.
    auto span = s.at("span_s").to_number<double>();
    if (span < 0.5)
      continue;
    // time (the middle of the second), requests/s, errors/s, p50, p90, p99, max
    script << s.at("second").to_number<double>() + span / 2 << ' '
           << s.at("requests").to_number<double>() / span << ' '
           << s.at("errors").to_number<double>() / span << ' ' << s.at("p50").to_number<double>()
           << ' ' << s.at("p90").to_number<double>() << ' ' << s.at("p99").to_number<double>()
           << ' ' << s.at("max").to_number<double>() << '\n';
  }
  script << "EOD\n";
  auto& config = report.at("config").as_object();
  std::ostringstream title;
  title << "fridgebank-load " << report.at("scenario").as_string().c_str() << ", "
        << config.at("connections").as_uint64() << " connections x "
        << config.at("pipeline").as_uint64() << ", " << config.at("mode").as_string().c_str();
  script << "set terminal pngcairo size 1000,700 font ',10'\n"
         << "set output " << quoted(path) << "\n"
         << "set multiplot layout 2,1 title " << quoted(title.str()) << " noenhanced\n"
         << "set grid\nset key top right\nset xlabel 'seconds into the run'\n"
         << "set xrange [0:*]\nset yrange [0:*]\nset ylabel 'per second'\n"
         << "plot $timeline using 1:2 with linespoints title 'requests', "
            "'' using 1:3 with linespoints title 'errors'\n"
         << "set logscale y\nset yrange [*:*]\nset ylabel 'latency (ms)'\nset key bottom right\n"
         << "plot $timeline using 1:4 with lines title 'p50', '' using 1:5 with lines title "
            "'p90', '' using 1:6 with lines title 'p99', '' using 1:7 with points title 'max'\n"
         << "unset multiplot\n";
  std::unique_ptr<FILE, int (*)(FILE*)> gnuplot{popen("gnuplot 2>&1", "w"), pclose};
  if (!gnuplot)
    throw std::runtime_error("cannot run gnuplot");
  auto text = script.str();
  std::fwrite(text.data(), 1, text.size(), gnuplot.get());
  auto status = pclose(gnuplot.release());
  if (status != 0)
    throw std::runtime_error("gnuplot failed (is gnuplot-nox installed?); the plot " + path +
                             " was not written");
}

} // namespace fridgebank::load
