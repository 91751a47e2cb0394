#pragma once

#include "load/driver.hpp"
#include "load/scenario.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fridgebank::load {

/// The command line of fridgebank-load.
struct load_flags {
  std::string url = "http://127.0.0.1:8080";
  run_options run;
  scenario_options scenario;
  std::optional<std::string> json_path;
  std::optional<std::string> history_path;
  std::optional<std::string> plot_path;
  double max_error_rate = 0;
  /// --nemesis: the faults, with the server's command line and their period.
  std::optional<std::vector<std::string>> nemesis;
  std::string spawn;
  std::chrono::milliseconds nemesis_every{2000};
  bool help = false;
  bool version = false;
};

/// The flags, or a one-line reason they are wrong. Fills run.server from --url.
std::variant<load_flags, std::string> parse_load_flags(int argc, char** argv);

/// "10s", "500ms", "2m", "1h", "250us", or plain seconds ("1.5").
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

/// --help: generated from the same description the parser reads.
std::string load_usage();

} // namespace fridgebank::load
