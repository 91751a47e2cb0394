#pragma once

// What fridgebank-server and fridgebank-load share of Boost.Program_options:
// a number checked against its range, a text that must not be empty, and
// the one line a wrong command line gets. Each program describes its own
// options once; that description reads the command line, the environment
// and the configuration file and prints --help.

#include <algorithm>
#include <boost/program_options.hpp>
#include <charconv>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fridgebank::app::options {

namespace po = boost::program_options;

/// Long options only, spelled out: no abbreviations (`--po` is not
/// `--port`), no short options but the ones a description names.
inline int command_line_style() {
  namespace style = po::command_line_style;
  return (style::default_style & ~style::allow_guessing) | style::long_allow_adjacent;
}

/// Throws the one line a value outside what `option` expects gets.
[[noreturn]] inline void reject(std::string_view option, std::string_view expects,
                                std::string_view got) {
  throw po::error("--" + std::string{option} + ": " + std::string{expects} + ", got '" +
                  std::string{got} + "'");
}

/// A number in [min, max]; `set` receives it once every source is read.
/// The whole text must be the number: no sign where none is allowed, no
/// spaces, no hexadecimal, nothing wrapped around or cut short.
template <class T>
po::typed_value<std::string>* number(const char* option, T min, T max, std::string expects,
                                     std::function<void(T)> set) {
  return po::value<std::string>()->notifier([=](const std::string& text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min ||
        value > max)
      reject(option, expects, text);
    set(value);
  });
}

/// Text that must not be empty.
inline po::typed_value<std::string>* text(const char* option,
                                          std::function<void(const std::string&)> set) {
  return po::value<std::string>()->notifier([=](const std::string& value) {
    if (value.empty())
      throw po::error("--" + std::string{option} + " must not be empty");
    set(value);
  });
}

/// A captioned group of options, as --help prints it.
inline po::options_description group(const char* caption,
                                     const std::function<void(po::options_description&)>& fill) {
  po::options_description d{caption, 80, 40};
  fill(d);
  return d;
}

/// Words that are no option (`server foo`, an em dash pasted for `--`)
/// are collected here, to be refused: Program_options would drop them.
inline const char* const stray = "stray";
inline po::options_description stray_words() {
  po::options_description d;
  d.add_options()(stray, po::value<std::vector<std::string>>());
  return d;
}
inline po::positional_options_description stray_positions() {
  po::positional_options_description p;
  p.add(stray, -1);
  return p;
}

/// When a key is given twice, the last one counts.
inline void keep_last(po::parsed_options& parsed) {
  auto& all = parsed.options;
  for (auto i = all.size(); i-- > 0;)
    if (std::any_of(all.begin() + static_cast<std::ptrdiff_t>(i) + 1, all.end(),
                    [&](const po::option& later) { return later.string_key == all[i].string_key; }))
      all.erase(all.begin() + static_cast<std::ptrdiff_t>(i));
}

/// The command line, read with `d`, which holds stray_words(): when an
/// option is given twice the last one counts (as scripts that append
/// `--port 0` expect); a stray word is refused.
inline po::parsed_options read_command_line(int argc, char** argv,
                                            const po::options_description& d) {
  auto parsed = po::command_line_parser(argc, argv)
                    .options(d)
                    .positional(stray_positions())
                    .style(command_line_style())
                    .run();
  for (const auto& o : parsed.options)
    if (o.string_key == stray)
      throw po::error("unexpected argument '" + o.value.front() +
                      "' (options start with --; see --help)");
  keep_last(parsed);
  return parsed;
}

/// Program_options' own complaints, made to name the option as typed.
inline std::string one_line(const po::error& e) {
  if (auto* unknown = dynamic_cast<const po::unknown_option*>(&e)) {
    auto name = unknown->get_option_name();
    return "unknown option " + (name.starts_with("-") ? name : "--" + name) + " (see --help)";
  }
  return e.what();
}

} // namespace fridgebank::app::options
