// fridgebank-check HISTORY.jsonl...: is the history linearizable? See
// docs/testing.md. Exit 0 linearizable, 1 not, 2 unreadable input or bad
// flags, 3 undecided within --budget (never a claim that was not proven).

#include "check/checker.hpp"
#include "fridgebank/protocol/version.hpp"

#include <charconv>
#include <fstream>
#include <iostream>
#include <string_view>

using namespace fridgebank::check;

namespace {

constexpr const char* usage = R"(usage: fridgebank-check [options] HISTORY.jsonl...
  --budget SECONDS  give up (exit 3, undecided) after this long (default 60)
  --html FILE       draw each object that is not linearizable (its operations
                    per client on a time axis, the ones that cannot be ordered marked)
  --version         the version, then exit
  --help            this text
Exit: 0 linearizable, 1 not linearizable, 2 unreadable input, 3 undecided.
)";

int bad_usage(const std::string& why) {
  std::cerr << "fridgebank-check: " << why << " (see --help)\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  options how;
  std::string html;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "fridgebank-check " << fridgebank::version << "\n";
      return 0;
    }
    if (arg == "--budget" || arg == "--html") {
      if (i + 1 >= argc)
        return bad_usage(std::string{arg} + " needs a value");
      std::string_view value = argv[++i];
      if (arg == "--html") {
        html = value;
        continue;
      }
      double seconds = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec != std::errc{} || end != value.data() + value.size() || seconds <= 0)
        return bad_usage("--budget expects seconds");
      how.budget = std::chrono::milliseconds{static_cast<long>(seconds * 1000)};
    } else if (arg.starts_with("--")) {
      return bad_usage("unknown option " + std::string{arg});
    } else {
      files.emplace_back(arg);
    }
  }
  if (files.empty())
    return bad_usage("no history given");
  auto history = read_history(files);
  if (auto* err = std::get_if<std::string>(&history)) {
    std::cerr << "fridgebank-check: " << *err << "\n";
    return 2;
  }
  auto result = check_history(std::get<std::vector<http_operation>>(history), how);
  std::cout << to_text(result);
  if (!html.empty()) {
    std::ofstream page{html};
    page << to_html(result);
    if (!page)
      std::cerr << "fridgebank-check: cannot write " << html << "\n";
  }
  switch (result.overall) {
  case verdict::linearizable:
    return 0;
  case verdict::violation:
    return 1;
  case verdict::undecided:
    return 3;
  }
  return 3;
}
