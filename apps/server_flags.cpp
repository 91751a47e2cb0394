#include "server_flags.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <string_view>

namespace fridgebank::app {

const char* const server_usage =
    R"(usage: fridgebank-server [options]
  --host H             address to listen on (default 127.0.0.1)
  --port P             port to listen on, 0 for any free one (default 8080)
  --data-dir DIR       where state is kept (default ./fridgebank-data)
  --in-memory          keep state in memory only, no data directory
  --admin-token T      bearer token for admin routes (else $FRIDGEBANK_ADMIN_TOKEN,
                       else a random one written to DATA_DIR/admin-token)
  --io-threads N       HTTP I/O threads (default 1)
  --workers N          actor scheduler threads (default 1)
  --request-timeout MS how long a request may wait for an actor (default 5000)
  --read-timeout MS    how long a client may take to send a request (default 15000)
  --max-connections N  open connections before new ones get 503 (default: what
                       ulimit -n leaves after a reserve, at most 10000)
  --max-in-flight N    requests waiting for actors before 503 overloaded (default 8192)
  --max-event-streams N  open GET /events streams before 503 overloaded (default 100)
  --max-fridges N      fridges (stopped ones included) before 422 limit_exceeded
                       (default 1000000)
  --max-accounts N     accounts before 422 limit_exceeded (default 1000000)
  --scheduling P       batch (default): a thread that wakes another keeps the CPU,
                       so requests cross between I/O and actor threads in batches;
                       other: Linux's default policy
  --publish P          also publish the actors to other CAF nodes on port P (0: any)
  --publish-host H     address to publish on (default 127.0.0.1)
  --actors-at H:P[,H:P...]  serve the actors other fridgebank-servers publish:
                       fridges sharded over the nodes by name, the bank on the
                       first (the same list, in the same order, on every front
                       end); no local state: no data directory is used
  --tls-cert FILE      with --tls-key and --tls-ca: BASP between nodes over TLS,
  --tls-key FILE       each end presenting FILE (PEM) and verifying the other
  --tls-ca FILE        against the CA; for --publish and for --actors-at
  --insecure-publish   allow --publish on a non-loopback address without TLS
  --commit-delay MS    testing only: every journal commit waits MS first, as on a
                       slow disk (every acknowledged write is still fsync'd)
  --access-log FILE    one JSON line per request to FILE (- for stdout), written
                       off the I/O threads; SIGHUP reopens FILE (log rotation)
  --version            the version, then exit
  --help               this text
)";

namespace {

template <class T> std::optional<T> to_number(std::string_view text, T min, T max) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
    return std::nullopt;
  return value;
}

/// Sets a flag from its value; on a bad value, says what it expects.
using setter = std::function<std::optional<std::string>(server_flags&, std::string_view)>;

setter text(std::string server_flags::*field) {
  return [field](server_flags& f, std::string_view v) -> std::optional<std::string> {
    if (v.empty())
      return "must not be empty";
    f.*field = std::string{v};
    return std::nullopt;
  };
}

setter optional_text(std::optional<std::string> server_flags::*field) {
  return [field](server_flags& f, std::string_view v) -> std::optional<std::string> {
    if (v.empty())
      return "must not be empty";
    f.*field = std::string{v};
    return std::nullopt;
  };
}

template <class T, class Field>
setter number(Field server_flags::*field, T min, T max, std::string expects) {
  return [=](server_flags& f, std::string_view v) -> std::optional<std::string> {
    auto n = to_number<T>(v, min, max);
    if (!n)
      return expects;
    f.*field = static_cast<Field>(*n);
    return std::nullopt;
  };
}

setter millis(std::chrono::milliseconds server_flags::*field, long min) {
  return [=](server_flags& f, std::string_view v) -> std::optional<std::string> {
    auto ms = to_number<long>(v, min, 3'600'000);
    if (!ms)
      return "expects milliseconds " + std::to_string(min) + "..3600000";
    f.*field = std::chrono::milliseconds{*ms};
    return std::nullopt;
  };
}

/// At most this many actor nodes (placement scores each fridge on each).
constexpr std::size_t max_actor_nodes = 64;

/// `HOST:PORT[,HOST:PORT...]`, no node twice.
std::optional<std::string> set_actors_at(server_flags& f, std::string_view v) {
  f.actors_at.clear();
  for (std::size_t start = 0; start <= v.size();) {
    auto end = std::min(v.find(',', start), v.size());
    auto item = v.substr(start, end - start);
    auto colon = item.rfind(':');
    auto port = colon == std::string_view::npos
                    ? std::nullopt
                    : to_number<unsigned>(item.substr(colon + 1), 1, 65535);
    if (!port || colon == 0 || item.find_first_of(" \t") != std::string_view::npos)
      return "expects HOST:PORT or a comma-separated list of them, no spaces";
    net::node_address at{std::string{item.substr(0, colon)}, static_cast<std::uint16_t>(*port)};
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

/// Every flag that takes a value, and how it is read.
const std::map<std::string_view, setter>& valued_flags() {
  using sf = server_flags;
  static const std::map<std::string_view, setter> flags{
      {"--host", text(&sf::host)},
      {"--data-dir", text(&sf::data_dir)},
      {"--publish-host", text(&sf::publish_host)},
      {"--admin-token", optional_text(&sf::admin_token)},
      {"--port", number<unsigned>(&sf::port, 0, 65535, "expects a port 0..65535")},
      {"--publish",
       [](sf& f, std::string_view v) -> std::optional<std::string> {
         auto port = to_number<unsigned>(v, 0, 65535);
         if (!port)
           return "expects a port 0..65535";
         f.publish_port = static_cast<std::uint16_t>(*port);
         return std::nullopt;
       }},
      {"--actors-at", set_actors_at},
      {"--tls-cert", optional_text(&sf::tls_cert)},
      {"--access-log", optional_text(&sf::access_log)},
      {"--tls-key", optional_text(&sf::tls_key)},
      {"--tls-ca", optional_text(&sf::tls_ca)},
      {"--io-threads", number<std::size_t>(&sf::io_threads, 1, 256, "expects a positive number")},
      {"--workers", number<std::size_t>(&sf::workers, 1, 256, "expects a positive number")},
      {"--max-connections",
       [](sf& f, std::string_view v) -> std::optional<std::string> {
         auto n = to_number<std::size_t>(v, 1, 1'000'000);
         if (!n)
           return "expects a positive number";
         f.max_connections = *n;
         return std::nullopt;
       }},
      {"--max-in-flight",
       number<std::size_t>(&sf::max_in_flight, 1, 1'000'000, "expects a positive number")},
      {"--max-event-streams",
       number<std::size_t>(&sf::max_event_streams, 1, 100'000, "expects a number 1..100000")},
      {"--max-fridges",
       number<std::size_t>(&sf::max_fridges, 1, 100'000'000, "expects a number 1..100000000")},
      {"--max-accounts",
       number<std::size_t>(&sf::max_accounts, 1, 100'000'000, "expects a number 1..100000000")},
      {"--request-timeout", millis(&sf::request_timeout, 1)},
      {"--read-timeout", millis(&sf::read_timeout, 1)},
      {"--commit-delay", millis(&sf::commit_delay, 0)},
      {"--scheduling",
       [](sf& f, std::string_view v) -> std::optional<std::string> {
         if (v != "batch" && v != "other")
           return "expects batch or other";
         f.batch_scheduling = v == "batch";
         return std::nullopt;
       }},
  };
  return flags;
}

} // namespace

std::variant<server_flags, std::string> parse_server_flags(int argc, char** argv) {
  server_flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string_view> value;
    // Both "--port 8080" and "--port=8080".
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
      continue;
    }
    if (arg == "--version") {
      flags.version = true;
      continue;
    }
    if (arg == "--in-memory" || arg == "--insecure-publish") {
      (arg == "--in-memory" ? flags.in_memory : flags.insecure_publish) = true;
      continue;
    }
    auto flag = valued_flags().find(arg);
    if (flag == valued_flags().end())
      return "unknown option " + std::string{arg} + " (see --help)";
    if (!value) {
      if (i + 1 >= argc)
        return std::string{arg} + " needs a value";
      value = argv[++i];
    }
    if (auto expects = flag->second(flags, *value))
      return *expects == "must not be empty"
                 ? std::string{arg} + " must not be empty"
                 : std::string{arg} + ": " + *expects + ", got '" + std::string{*value} + "'";
  }
  if (!flags.actors_at.empty() && flags.publish_port)
    return std::string{"--actors-at and --publish exclude each other: publish on the actor node"};
  int tls_files = flags.tls_cert.has_value() + flags.tls_key.has_value() + flags.tls_ca.has_value();
  if (tls_files != 0 && tls_files != 3)
    return std::string{"--tls-cert, --tls-key and --tls-ca go together: give all three"};
  return flags;
}

} // namespace fridgebank::app
