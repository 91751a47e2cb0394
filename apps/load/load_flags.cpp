#include "load/load_flags.hpp"

#include "load/nemesis.hpp"
#include "options.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

namespace fridgebank::load {

namespace {

namespace po = boost::program_options;
using app::options::number;
using app::options::reject;
using app::options::text;

template <class T> std::optional<T> to_number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

po::typed_value<std::string>* count(const char* option, std::size_t& field, std::size_t min = 1) {
  return number<std::size_t>(option, min, 100000,
                             "want a count " + std::to_string(min) + "..100000",
                             [&field](std::size_t n) { field = n; });
}

/// A duration of at least `least`, rounded up to `Out`.
template <class Out>
po::typed_value<std::string>* duration(const char* option, std::function<void(Out)> set,
                                       std::chrono::nanoseconds least = {}) {
  return po::value<std::string>()->value_name("D")->notifier([=](const std::string& v) {
    auto d = parse_duration(v);
    if (!d || *d < least)
      reject(option,
             least.count() ? "want a duration like 2s, at least 10ms"
                           : "want a duration like 10s or 500ms",
             v);
    set(std::chrono::ceil<Out>(*d));
  });
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

void add_run(po::options_description& d, load_flags& f, bool& duration_given) {
  using std::chrono::milliseconds;
  using std::chrono::nanoseconds;
  // clang-format off
  d.add_options()
    ("url", text("url", [&f](auto& v) { f.url = v; })->value_name("URL"),
     "the server (default http://127.0.0.1:8080)")
    ("scenario", text("scenario", [&f](auto& v) { f.scenario.name = v; })->value_name("NAME"),
     "echo | drink | bank | polite-naive | polite-atomic | mixed")
    ("connections", count("connections", f.run.connections)->value_name("N"),
     "kept-alive connections (default 16)")
    ("pipeline", count("pipeline", f.run.pipeline)->value_name("M"),
     "requests in flight per connection, pipelined (default 1)")
    ("duration", duration<nanoseconds>("duration", [&f, &duration_given](nanoseconds d) {
       f.run.duration = d;
       duration_given = true;
     }), "how long to send: 10s, 500ms, 2m (default 10s)")
    ("requests", number<std::uint64_t>("requests", 1, UINT64_MAX, "want a count >= 1",
                                       [&f](std::uint64_t n) { f.run.requests = n; })
       ->value_name("N"),
     "stop after N requests (with no --duration: however long it takes)")
    ("rate", number<double>("rate", 1e-9, 1e7, "want requests per second, > 0",
                            [&f](double r) { f.run.rate = r; })->value_name("R"),
     "open loop: R requests per second on a fixed schedule, latency counted from when each "
     "was due (default: closed loop)")
    ("timeout", duration<milliseconds>("timeout", [&f](milliseconds d) { f.run.timeout = d; }),
     "give up on a reply after D (default 10s)")
    ("max-error-rate", number<double>("max-error-rate", 0, 1, "want a fraction 0..1",
                                      [&f](double x) { f.max_error_rate = x; })->value_name("X"),
     "fail when more than this fraction of requests fail (default 0)")
    ("quiet", po::bool_switch()->notifier([&f](bool q) { f.run.progress = !q; }),
     "no progress line every second");
  // clang-format on
}

void add_scenario(po::options_description& d, load_flags& f) {
  // clang-format off
  d.add_options()
    ("fridges", count("fridges", f.scenario.fridges)->value_name("F"),
     "drink: fridges the drinkers share (default 1)")
    ("drinkers", count("drinkers", f.scenario.drinkers, 2)->value_name("D"),
     "polite-*: drinkers per fridge (default 3)")
    ("mix", po::value(&f.scenario.mix)->value_name("R=W,..."),
     "mixed: route weights over the defaults (see docs/load-testing.md)")
    ("seed", number<std::uint64_t>("seed", 0, UINT64_MAX, "want a number",
                                   [&f](std::uint64_t s) { f.scenario.seed = s; })
       ->value_name("S"),
     "random seed (default 1)")
    ("run-id", po::value<std::string>()->value_name("ID")->notifier([&f](auto& v) {
       if (v.empty() || v.size() > 40 || !std::all_of(v.begin(), v.end(), name_char))
         reject("run-id", "want 1-40 of [A-Za-z0-9_.-]", v);
       f.scenario.run_id = v;
     }),
     "prefix of the names the run creates (default load-RANDOM)");
  // clang-format on
}

void add_output(po::options_description& d, load_flags& f) {
  // clang-format off
  d.add_options()
    ("json", text("json", [&f](auto& v) { f.json_path = v; })->value_name("FILE"),
     "write the report as JSON")
    ("history", text("history", [&f](auto& v) { f.history_path = v; })->value_name("FILE"),
     "write every operation as JSON lines (Porcupine's Operation)")
    ("plot", text("plot", [&f](auto& v) { f.plot_path = v; })->value_name("FILE.png"),
     "plot throughput and latency over time (needs gnuplot)");
  // clang-format on
}

void add_nemesis(po::options_description& d, load_flags& f) {
  using std::chrono::milliseconds;
  // clang-format off
  d.add_options()
    ("nemesis", po::value<std::string>()->value_name("F,...")->notifier([&f](auto& v) {
       auto faults = parse_faults(v);
       if (!faults)
         reject("nemesis", "want faults of kill, term, pause, comma-separated", v);
       f.nemesis = *faults;
     }),
     "faults: kill (SIGKILL), term (SIGTERM), pause (SIGSTOP/SIGCONT); needs --spawn; runs "
     "drink or bank with keyed writes retried until definite, then checks the history is "
     "linearizable and every count reconciles (docs/testing.md)")
    ("spawn", po::value<std::string>()->value_name("\"CMD\"")->notifier([&f](auto& v) {
       if (v.empty())
         reject("spawn", "want the server's command line", v);
       f.spawn = v;
     }),
     "the server to start (as CMD --port 0) and restart after each stop")
    ("nemesis-every",
     duration<milliseconds>("nemesis-every", [&f](milliseconds d) { f.nemesis_every = d; },
                            std::chrono::milliseconds{10}),
     "the mean time between faults (default 2s)");
  // clang-format on
}

po::options_description described(load_flags& f, bool& duration_given) {
  using app::options::group;
  po::options_description all;
  all.add(group("Running", [&](auto& d) { add_run(d, f, duration_given); }))
      .add(group("Scenarios", [&](auto& d) { add_scenario(d, f); }))
      .add(group("Output", [&](auto& d) { add_output(d, f); }))
      .add(group("Faults", [&](auto& d) { add_nemesis(d, f); }))
      .add(group("Program", [&](auto& d) {
        d.add_options()("version", po::bool_switch(&f.version),
                        "the version, then exit")("help,h", po::bool_switch(&f.help), "this text");
      }));
  return all;
}

/// What only holds once every flag is read.
std::optional<std::string> cross_checks(load_flags& flags, bool duration_given) {
  if (flags.scenario.name.empty())
    return "--scenario is required (see --help)";
  if (flags.run.requests && !duration_given)
    flags.run.duration.reset();
  if (flags.nemesis && flags.spawn.empty())
    return "--nemesis needs --spawn CMD: the nemesis starts and restarts the server";
  if (flags.nemesis && flags.scenario.name != "drink" && flags.scenario.name != "bank")
    return "--nemesis runs --scenario drink or bank";
  auto url = boost::urls::parse_uri(flags.url);
  if (!url || url->scheme() != "http" || url->host().empty())
    return "--url: want http://HOST:PORT, got '" + flags.url + "'";
  flags.run.server = {std::string{url->host_address()},
                      url->has_port() ? std::string{url->port()} : "80"};
  return std::nullopt;
}

} // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  struct unit {
    std::string_view suffix;
    double nanoseconds;
  };
  // Longest suffixes first: "ms" before "s".
  static constexpr unit units[] = {
      {"ms", 1e6}, {"us", 1e3}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  double scale = 1e9;
  for (auto& u : units)
    if (text.ends_with(u.suffix)) {
      text.remove_suffix(u.suffix.size());
      scale = u.nanoseconds;
      break;
    }
  auto value = to_number<double>(text);
  if (!value || !std::isfinite(*value) || *value <= 0 || *value * scale > 1e18)
    return std::nullopt;
  return std::chrono::nanoseconds{static_cast<std::int64_t>(*value * scale)};
}

std::variant<load_flags, std::string> parse_load_flags(int argc, char** argv) {
  load_flags flags;
  bool duration_given = false;
  try {
    po::variables_map vm;
    auto d = described(flags, duration_given);
    d.add(app::options::stray_words());
    po::store(app::options::read_command_line(argc, argv, d), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return app::options::one_line(e);
  }
  if (flags.help || flags.version)
    return flags;
  if (auto err = cross_checks(flags, duration_given))
    return *err;
  return flags;
}

std::string load_usage() {
  load_flags flags;
  bool duration_given = false;
  std::ostringstream out;
  out << "usage: fridgebank-load --scenario NAME [options]\n"
      << described(flags, duration_given)
      << "\nExit: 0 passed, 1 an invariant failed or too many errors, 2 bad usage or no "
         "server.\n";
  return out.str();
}

} // namespace fridgebank::load
