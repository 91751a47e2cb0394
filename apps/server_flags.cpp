#include "server_flags.hpp"

#include "options.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fridgebank::app {

namespace {

namespace po = boost::program_options;
using options::number;
using options::text;

/// At most this many actor nodes (placement scores each fridge on each).
constexpr std::size_t max_actor_nodes = 64;

/// `HOST:PORT[,HOST:PORT...]`, no node twice.
std::optional<std::string> set_actors_at(server_flags& f, std::string_view v) {
  f.actors_at.clear();
  for (std::size_t start = 0; start <= v.size();) {
    auto end = std::min(v.find(',', start), v.size());
    auto item = v.substr(start, end - start);
    auto colon = item.rfind(':');
    unsigned port = 0;
    bool port_ok = false;
    if (colon != std::string_view::npos) {
      auto digits = item.substr(colon + 1);
      auto [last, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
      port_ok =
          ec == std::errc{} && last == digits.data() + digits.size() && port >= 1 && port <= 65535;
    }
    if (!port_ok || colon == 0 || item.find_first_of(" \t") != std::string_view::npos)
      return "expects HOST:PORT or a comma-separated list of them, no spaces";
    net::node_address at{std::string{item.substr(0, colon)}, static_cast<std::uint16_t>(port)};
    for (const auto& known : f.actors_at)
      if (known.host == at.host && known.port == at.port)
        return "names " + at.text() + " twice";
    f.actors_at.push_back(std::move(at));
    start = end + 1;
  }
  if (f.actors_at.size() > max_actor_nodes)
    return "expects at most " + std::to_string(max_actor_nodes) + " nodes";
  return std::nullopt;
}

/// Milliseconds in [min, 3600000].
po::typed_value<std::string>* millis(const char* option, std::chrono::milliseconds& field,
                                     long min) {
  return number<long>(option, min, 3'600'000,
                      "expects milliseconds " + std::to_string(min) + "..3600000",
                      [&field](long ms) { field = std::chrono::milliseconds{ms}; });
}

po::typed_value<std::string>* count(const char* option, std::size_t& field, std::size_t max) {
  return number<std::size_t>(option, 1, max, "expects a number 1.." + std::to_string(max),
                             [&field](std::size_t n) { field = n; });
}

po::typed_value<std::string>* port(const char* option, std::function<void(std::uint16_t)> set) {
  return number<unsigned>(option, 0, 65535, "expects a port 0..65535",
                          [set](unsigned p) { set(static_cast<std::uint16_t>(p)); });
}

void add_listening(po::options_description& d, server_flags& f) {
  // clang-format off
  d.add_options()
    ("host", text("host", [&f](auto& v) { f.host = v; })->value_name("H"),
     "address to listen on (default 127.0.0.1)")
    ("port", port("port", [&f](auto p) { f.port = p; })->value_name("P"),
     "port to listen on, 0 for any free one (default 8080)")
    ("data-dir", text("data-dir", [&f](auto& v) { f.data_dir = v; })->value_name("DIR"),
     "where state is kept (default ./fridgebank-data)")
    ("in-memory", po::bool_switch(&f.in_memory), "keep state in memory only, no data directory")
    ("admin-token", text("admin-token", [&f](auto& v) { f.admin_token = v; })->value_name("T"),
     "bearer token for admin routes (default: a random one written to DATA_DIR/admin-token)")
    ("io-threads", count("io-threads", f.io_threads, 256)->value_name("N"),
     "HTTP I/O threads (default 1)")
    ("workers", count("workers", f.workers, 256)->value_name("N"),
     "actor scheduler threads (default 1)")
    ("scheduling", po::value<std::string>()->value_name("P")->notifier([&f](auto& v) {
       if (v != "batch" && v != "other")
         options::reject("scheduling", "expects batch or other", v);
       f.batch_scheduling = v == "batch";
     }),
     "batch (default): a thread that wakes another keeps the CPU, so requests cross "
     "between I/O and actor threads in batches; other: Linux's default policy")
    ("access-log", text("access-log", [&f](auto& v) { f.access_log = v; })->value_name("FILE"),
     "one JSON line per request to FILE (- for stdout), written off the I/O threads; "
     "SIGHUP reopens FILE (log rotation)");
  // clang-format on
}

void add_limits(po::options_description& d, server_flags& f) {
  // clang-format off
  d.add_options()
    ("request-timeout", millis("request-timeout", f.request_timeout, 1)->value_name("MS"),
     "how long a request may wait for an actor (default 5000)")
    ("read-timeout", millis("read-timeout", f.read_timeout, 1)->value_name("MS"),
     "how long a client may take to send a request (default 15000)")
    ("max-connections",
     number<std::size_t>("max-connections", 1, 1'000'000, "expects a number 1..1000000",
                         [&f](std::size_t n) { f.max_connections = n; })->value_name("N"),
     "open connections before new ones get 503 (default: what ulimit -n leaves after a "
     "reserve, at most 10000)")
    ("max-in-flight", count("max-in-flight", f.max_in_flight, 1'000'000)->value_name("N"),
     "requests waiting for actors before 503 overloaded (default 8192)")
    ("max-event-streams", count("max-event-streams", f.max_event_streams, 100'000)
       ->value_name("N"),
     "open GET /events streams before 503 overloaded (default 100)")
    ("max-fridges", count("max-fridges", f.max_fridges, 100'000'000)->value_name("N"),
     "fridges (stopped ones included) before 422 limit_exceeded (default 1000000)")
    ("max-accounts", count("max-accounts", f.max_accounts, 100'000'000)->value_name("N"),
     "accounts before 422 limit_exceeded (default 1000000)")
    ("commit-delay", millis("commit-delay", f.commit_delay, 0)->value_name("MS"),
     "testing only: every journal commit waits MS first, as on a slow disk (every "
     "acknowledged write is still fsync'd)");
  // clang-format on
}

void add_distribution(po::options_description& d, server_flags& f) {
  // clang-format off
  d.add_options()
    ("publish", port("publish", [&f](auto p) { f.publish_port = p; })->value_name("P"),
     "also publish the actors to other CAF nodes on port P (0: any)")
    ("publish-host", text("publish-host", [&f](auto& v) { f.publish_host = v; })
       ->value_name("H"),
     "address to publish on (default 127.0.0.1)")
    ("actors-at", po::value<std::string>()->value_name("H:P[,H:P...]")->notifier([&f](auto& v) {
       if (auto expects = set_actors_at(f, v))
         options::reject("actors-at", *expects, v);
     }),
     "serve the actors other fridgebank-servers publish: fridges sharded over the nodes by "
     "name, the bank on the first (the same list, in the same order, on every front end); "
     "no local state: no data directory is used")
    ("tls-cert", text("tls-cert", [&f](auto& v) { f.tls_cert = v; })->value_name("FILE"),
     "with --tls-key and --tls-ca: BASP between nodes over TLS, each end presenting FILE "
     "(PEM) and verifying the other against the CA; for --publish and for --actors-at")
    ("tls-key", text("tls-key", [&f](auto& v) { f.tls_key = v; })->value_name("FILE"),
     "the private key of --tls-cert (PEM)")
    ("tls-ca", text("tls-ca", [&f](auto& v) { f.tls_ca = v; })->value_name("FILE"),
     "the CA both ends are verified against (PEM)")
    ("insecure-publish", po::bool_switch(&f.insecure_publish),
     "allow --publish on a non-loopback address without TLS");
  // clang-format on
}

/// The settings, described once: flags, environment and file.
po::options_description settings(server_flags& f) {
  po::options_description all;
  all.add(options::group("Serving", [&f](auto& d) { add_listening(d, f); }))
      .add(options::group("Limits", [&f](auto& d) { add_limits(d, f); }))
      .add(options::group("Distribution", [&f](auto& d) { add_distribution(d, f); }));
  return all;
}

/// What only the command line says.
po::options_description command_only(server_flags& f, std::string& config) {
  po::options_description d{"Program", 80, 40};
  // clang-format off
  d.add_options()
    ("config", po::value(&config)->value_name("FILE"),
     "read settings from FILE (key = value, keys as the options without --)")
    ("version", po::bool_switch(&f.version), "the version, then exit")
    ("help,h", po::bool_switch(&f.help), "this text");
  return d;
  // clang-format on
}

const char* const environment_help = R"(
Every setting may also come from the environment as FRIDGEBANK_ and its name
in capitals with _ for - (FRIDGEBANK_DATA_DIR=/srv/fb, FRIDGEBANK_IN_MEMORY=1)
or from the --config file (data-dir = /srv/fb). A flag wins over the
environment, which wins over the file. FRIDGEBANK_CONFIG names the file too.

Exit: 0 stopped cleanly, 1 failed while serving, 2 bad usage or could not start.
)";

/// `data-dir` is set by FRIDGEBANK_DATA_DIR.
std::string variable_of(std::string name) {
  for (auto& c : name)
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "FRIDGEBANK_" + name;
}

/// FRIDGEBANK_DATA_DIR → data-dir when `data-dir` is a setting; other
/// FRIDGEBANK_* variables (the tests' own) and empty values are passed by.
std::function<std::string(std::string)> environment_names(const po::options_description& d) {
  return [&d](std::string variable) -> std::string {
    static constexpr std::string_view prefix = "FRIDGEBANK_";
    if (!variable.starts_with(prefix) || variable.size() == prefix.size())
      return {};
    const char* value = std::getenv(variable.c_str());
    if (!value || !*value)
      return {};
    std::string name = variable.substr(prefix.size());
    for (auto& c : name)
      c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "config" || d.find_nothrow(name, false))
      return name;
    return {};
  };
}

/// The file's text, once every line is `key = value` with a known key and
/// a value Program_options reads as written: it would end a value at `#`
/// and keep quotes, so those are refused rather than read otherwise.
std::string checked_config(const std::string& path, const po::options_description& d) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw po::error("--config " + path + ": not a readable file");
  std::ifstream in{path};
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || in.bad())
    throw po::error("--config " + path + ": cannot be read");
  std::istringstream lines{text.str()};
  auto trim = [](std::string v) {
    v.erase(0, v.find_first_not_of(" \t\r"));
    v.erase(v.find_last_not_of(" \t\r") + 1);
    return v;
  };
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    line = trim(line);
    if (line.empty() || line.front() == '#')
      continue;
    auto where = path + ":" + std::to_string(number) + ": ";
    auto eq = line.find('=');
    if (eq == std::string::npos)
      throw po::error(where + "expected key = value, got '" + line + "'");
    auto key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    if (!d.find_nothrow(key, false))
      throw po::error(where + "unknown key '" + key + "'");
    if (value.empty())
      throw po::error(where + key + " has no value");
    if (value.find('#') != std::string::npos || value.front() == '"' || value.front() == '\'')
      throw po::error(where + key + ": a value may hold no # and no quotes");
  }
  return text.str();
}

/// Where settings come from, in precedence order after the command line.
struct sources {
  /// The environment, read with `d`.
  static po::parsed_options environment(const po::options_description& d,
                                        const po::options_description& names) {
    return po::parse_environment(d, environment_names(names));
  }
  /// The --config file's checked text, read with `d`.
  static po::parsed_options file(const std::string& text, const po::options_description& d) {
    std::istringstream in{text};
    auto parsed = po::parse_config_file(in, d, false);
    options::keep_last(parsed);
    return parsed;
  }
};

/// A value's complaint names the source that gave it: FRIDGEBANK_PORT, or
/// the file and key, rather than a flag the operator never typed.
std::string relabel(const std::string& what, bool from_file, const std::string& path) {
  if (!what.starts_with("--"))
    return (from_file ? path : std::string{"environment"}) + ": " + what;
  auto end = what.find_first_of(": ", 2);
  auto name = what.substr(2, end - 2);
  return (from_file ? path + ": " + name : variable_of(name)) + what.substr(end);
}

/// Reads one source alone with throw-away settings, so a bad value is
/// reported with where it came from.
template <class Read> void check_alone(Read read, bool from_file, const std::string& path) {
  server_flags scratch;
  std::string scratch_config;
  try {
    po::variables_map vm;
    po::options_description d;
    d.add(settings(scratch)).add(command_only(scratch, scratch_config));
    po::store(read(d), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw po::error(relabel(e.what(), from_file, path));
  }
}

std::optional<std::string> cross_checks(const server_flags& flags) {
  if (!flags.actors_at.empty() && flags.publish_port)
    return "--actors-at and --publish exclude each other: publish on the actor node";
  int tls_files = flags.tls_cert.has_value() + flags.tls_key.has_value() + flags.tls_ca.has_value();
  if (tls_files != 0 && tls_files != 3)
    return "--tls-cert, --tls-key and --tls-ca go together: give all three";
  return std::nullopt;
}

} // namespace

std::variant<server_flags, std::string> parse_server_flags(int argc, char** argv) {
  server_flags flags;
  std::string config;
  auto file_settings = settings(flags);
  po::options_description all;
  all.add(file_settings).add(command_only(flags, config)).add(options::stray_words());
  try {
    po::variables_map vm;
    // The first source to give a setting keeps it: flags, environment, file.
    po::store(options::read_command_line(argc, argv, all), vm);
    if (vm.count("help") || vm.count("version")) {
      flags.help = vm["help"].as<bool>();
      flags.version = vm["version"].as<bool>();
      if (flags.help || flags.version)
        return flags;
    }
    check_alone([](auto& d) { return sources::environment(d, d); }, false, {});
    po::store(sources::environment(all, file_settings), vm);
    if (vm.count("config")) {
      auto path = vm["config"].as<std::string>();
      auto text = checked_config(path, file_settings);
      check_alone([&](auto& d) { return sources::file(text, d); }, true, path);
      po::store(sources::file(text, file_settings), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return options::one_line(e);
  }
  if (auto err = cross_checks(flags))
    return *err;
  return flags;
}

std::string server_usage() {
  server_flags flags;
  std::string config;
  std::ostringstream out;
  po::options_description all;
  all.add(settings(flags)).add(command_only(flags, config));
  out << "usage: fridgebank-server [options]" << all << environment_help;
  return out.str();
}

} // namespace fridgebank::app
