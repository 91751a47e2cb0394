// fridgebank-load: scripted load against a fridgebank server, with the
// invariants of each scenario checked at the end. See docs/load-testing.md.

#include "fridgebank/protocol/version.hpp"
#include "load/driver.hpp"
#include "load/history.hpp"
#include "load/load_flags.hpp"
#include "load/nemesis_run.hpp"
#include "load/plot.hpp"
#include "load/report.hpp"
#include "load/scenario.hpp"
#include "load/sync_client.hpp"

#include <boost/json/serialize.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>

using namespace fridgebank::load;

namespace {

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

int usage_error(const std::string& message) {
  std::cerr << "fridgebank-load: " << message << "\n";
  return exit_usage;
}

/// A prefix no other run uses, for every fridge and account this run makes.
std::string fresh_run_id() {
  std::random_device entropy;
  char id[32];
  std::snprintf(id, sizeof id, "load-%08x", entropy());
  return id;
}

nemesis_run_options nemesis_options_of(const load_flags& flags) {
  nemesis_run_options o;
  o.scenario = flags.scenario.name;
  o.spawn = flags.spawn;
  o.faults = {*flags.nemesis, flags.nemesis_every, flags.scenario.seed};
  o.clients = flags.run.connections == 16 ? 8 : flags.run.connections; // 16 is the default
  o.duration = flags.run.duration.value_or(std::chrono::seconds{20});
  o.timeout = std::min(flags.run.timeout, std::chrono::milliseconds{5000});
  o.run_id = flags.scenario.run_id;
  o.seed = flags.scenario.seed;
  o.history_path = flags.history_path.value_or("");
  o.progress = flags.run.progress;
  o.plot_path = flags.plot_path.value_or("");
  return o;
}

} // namespace

int main(int argc, char** argv) {
  auto parsed = parse_load_flags(argc, argv);
  if (auto* error = std::get_if<std::string>(&parsed))
    return usage_error(*error);
  auto flags = std::get<load_flags>(std::move(parsed));
  if (flags.help) {
    std::cout << load_usage();
    return 0;
  }
  if (flags.version) {
    std::cout << "fridgebank-load " << fridgebank::version << "\n";
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  flags.scenario.clients = flags.run.connections * flags.run.pipeline;
  if (flags.scenario.run_id.empty())
    flags.scenario.run_id = fresh_run_id();
  if (flags.nemesis)
    return run_under_nemesis(nemesis_options_of(flags));

  try {
    auto scen = make_scenario(flags.scenario);
    auto epoch = clock::now();
    std::unique_ptr<history_log> history;
    if (flags.history_path)
      history = std::make_unique<history_log>(*flags.history_path);
    // The set-up and final reads go into the history too, as client -1.
    sync_client::observer observe;
    if (history)
      observe = [&](const request& req, const reply& rep, clock::time_point call,
                    clock::time_point returned) {
        history->record(-1, req, rep, call - epoch, returned - epoch);
      };
    std::unique_ptr<sync_client> control;
    try {
      control = std::make_unique<sync_client>(flags.run.server, flags.run.timeout, observe);
      scen->setup(*control);
    } catch (const std::exception& e) {
      return usage_error(std::string{"cannot set up the run: "} + e.what());
    }

    auto result = run_load(flags.run, *scen, history.get(), epoch);
    auto checks = scen->finish(*control);
    if (history)
      history->close(clock::now() - epoch);

    auto report = make_report({flags.scenario.name, flags.url, flags.run, result, std::move(checks),
                               scen->details(), flags.max_error_rate});
    std::cout << text_report(report) << std::flush;
    if (flags.json_path) {
      std::ofstream out{*flags.json_path, std::ios::trunc};
      out << boost::json::serialize(report) << "\n";
      if (!out)
        return usage_error("cannot write " + *flags.json_path);
    }
    if (flags.plot_path)
      plot_report(report, *flags.plot_path);
    return report_passed(report) ? 0 : exit_failed;
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
}
