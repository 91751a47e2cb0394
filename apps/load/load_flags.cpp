#include "load/load_flags.hpp"

#include "load/nemesis.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <cmath>

namespace fridgebank::load {

const char* const load_usage =
    R"(usage: fridgebank-load --scenario NAME [options]
  --url URL              the server (default http://127.0.0.1:8080)
  --scenario NAME        echo | drink | bank | polite-naive | polite-atomic | mixed
  --connections N        kept-alive connections (default 16)
  --pipeline M           requests in flight per connection, pipelined (default 1)
  --duration D           how long to send: 10s, 500ms, 2m (default 10s)
  --requests N           stop after N requests (with no --duration: however long it takes)
  --rate R               open loop: R requests per second on a fixed schedule, latency
                         counted from when each was due (default: closed loop)
  --timeout D            give up on a reply after D (default 10s)
  --fridges F            drink: fridges the drinkers share (default 1)
  --drinkers D           polite-*: drinkers per fridge (default 3)
  --mix R=W,...          mixed: route weights over the defaults (see docs/load-testing.md)
  --seed S               random seed (default 1)
  --run-id ID            prefix of the names the run creates (default load-RANDOM)
  --json FILE            write the report as JSON
  --history FILE         write every operation as JSON lines (Porcupine's Operation)
  --plot FILE.png        plot throughput and latency over time (needs gnuplot)
  --max-error-rate X     fail when more than this fraction of requests fail (default 0)
  --nemesis F,...        faults: kill (SIGKILL), term (SIGTERM), pause (SIGSTOP/SIGCONT);
                         needs --spawn; runs drink or bank with keyed writes retried until
                         definite, then checks the history is linearizable and every count
                         reconciles (docs/testing.md)
  --spawn "CMD"          the server to start (as CMD --port 0) and restart after each stop
  --nemesis-every D      the mean time between faults (default 2s)
  --quiet                no progress line every second
  --version              the version, then exit
  --help                 this text
Exit: 0 passed, 1 an invariant failed or too many errors, 2 bad usage or no server.
)";

namespace {

template <class T> std::optional<T> to_number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
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
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg == "--help") {
      flags.help = true;
      continue;
    }
    if (arg == "--version") {
      flags.version = true;
      continue;
    }
    if (arg == "--quiet") {
      flags.run.progress = false;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc)
        return std::string{arg} + " needs a value (see --help)";
      value = argv[++i];
    }
    auto bad = [&](std::string_view what) {
      return std::string{arg} + ": " + std::string{what} + ", got '" + std::string{value} + "'";
    };
    auto count = [&](std::size_t& out) -> bool {
      auto n = to_number<std::size_t>(value);
      if (!n || *n == 0 || *n > 100000)
        return false;
      out = *n;
      return true;
    };
    if (arg == "--url") {
      flags.url = value;
    } else if (arg == "--scenario") {
      flags.scenario.name = value;
    } else if (arg == "--connections") {
      if (!count(flags.run.connections))
        return bad("want a count 1..100000");
    } else if (arg == "--pipeline") {
      if (!count(flags.run.pipeline))
        return bad("want a count 1..100000");
    } else if (arg == "--fridges") {
      if (!count(flags.scenario.fridges))
        return bad("want a count 1..100000");
    } else if (arg == "--drinkers") {
      if (!count(flags.scenario.drinkers) || flags.scenario.drinkers < 2)
        return bad("want a count 2..100000");
    } else if (arg == "--duration") {
      auto d = parse_duration(value);
      if (!d)
        return bad("want a duration like 10s or 500ms");
      flags.run.duration = *d;
      duration_given = true;
    } else if (arg == "--timeout") {
      auto d = parse_duration(value);
      if (!d)
        return bad("want a duration like 10s or 500ms");
      flags.run.timeout = std::chrono::ceil<std::chrono::milliseconds>(*d);
    } else if (arg == "--requests") {
      auto n = to_number<std::uint64_t>(value);
      if (!n || *n == 0)
        return bad("want a count >= 1");
      flags.run.requests = *n;
    } else if (arg == "--rate") {
      auto r = to_number<double>(value);
      if (!r || !std::isfinite(*r) || *r <= 0 || *r > 1e7)
        return bad("want requests per second, > 0");
      flags.run.rate = *r;
    } else if (arg == "--mix") {
      flags.scenario.mix = value;
    } else if (arg == "--seed") {
      auto s = to_number<std::uint64_t>(value);
      if (!s)
        return bad("want a number");
      flags.scenario.seed = *s;
    } else if (arg == "--run-id") {
      auto name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
      };
      if (value.empty() || value.size() > 40 || !std::all_of(value.begin(), value.end(), name_char))
        return bad("want 1-40 of [A-Za-z0-9_.-]");
      flags.scenario.run_id = value;
    } else if (arg == "--json") {
      flags.json_path = value;
    } else if (arg == "--history") {
      flags.history_path = value;
    } else if (arg == "--plot") {
      flags.plot_path = value;
    } else if (arg == "--nemesis") {
      auto faults = parse_faults(std::string{value});
      if (!faults)
        return bad("want faults of kill, term, pause, comma-separated");
      flags.nemesis = *faults;
    } else if (arg == "--spawn") {
      if (value.empty())
        return bad("want the server's command line");
      flags.spawn = value;
    } else if (arg == "--nemesis-every") {
      auto d = parse_duration(value);
      if (!d || *d < std::chrono::milliseconds{10})
        return bad("want a duration like 2s, at least 10ms");
      flags.nemesis_every = std::chrono::ceil<std::chrono::milliseconds>(*d);
    } else if (arg == "--max-error-rate") {
      auto x = to_number<double>(value);
      if (!x || !(*x >= 0 && *x <= 1))
        return bad("want a fraction 0..1");
      flags.max_error_rate = *x;
    } else {
      return "unknown option " + std::string{arg} + " (see --help)";
    }
  }
  if (flags.help || flags.version)
    return flags;
  if (flags.scenario.name.empty())
    return std::string{"--scenario is required (see --help)"};
  if (flags.run.requests && !duration_given)
    flags.run.duration.reset();
  if (flags.nemesis && flags.spawn.empty())
    return std::string{"--nemesis needs --spawn CMD: the nemesis starts and restarts the server"};
  if (flags.nemesis && flags.scenario.name != "drink" && flags.scenario.name != "bank")
    return std::string{"--nemesis runs --scenario drink or bank"};
  auto url = boost::urls::parse_uri(flags.url);
  if (!url || url->scheme() != "http" || url->host().empty())
    return "--url: want http://HOST:PORT, got '" + flags.url + "'";
  flags.run.server = {std::string{url->host_address()},
                      url->has_port() ? std::string{url->port()} : "80"};
  return flags;
}

} // namespace fridgebank::load
