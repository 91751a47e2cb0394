#pragma once

// What fridgebank-server and fridgebank-load share of Boost.Program_options:
// a number checked against its range, a text that must not be empty, and
// the one line a wrong command line gets. Each program describes its own
// options once; that description reads the command line, the environment
// and the configuration file and prints --help.

#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <string_view>

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
/// Read as text so that "-1" is refused rather than wrapped around.
template <class T>
po::typed_value<std::string>* number(const char* option, T min, T max, std::string expects,
                                     std::function<void(T)> set) {
  return po::value<std::string>()->notifier([=](const std::string& text) {
    T value{};
    bool ok = !text.empty() && text.front() != '-' && text.front() != '+';
    if (ok) {
      try {
        std::size_t used = 0;
        if constexpr (std::is_floating_point_v<T>)
          value = static_cast<T>(std::stod(text, &used));
        else
          value = static_cast<T>(std::stoull(text, &used));
        ok = used == text.size() && value >= min && value <= max;
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok)
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

/// Program_options' own complaints, made to name the option as typed.
inline std::string one_line(const po::error& e) {
  if (auto* unknown = dynamic_cast<const po::unknown_option*>(&e)) {
    auto name = unknown->get_option_name();
    return "unknown option " + (name.starts_with("-") ? name : "--" + name) + " (see --help)";
  }
  return e.what();
}

} // namespace fridgebank::app::options
