#include "server_flags.hpp"

#include <charconv>
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
  --max-fridges N      fridges (stopped ones included) before 422 limit_exceeded
                       (default 1000000)
  --max-accounts N     accounts before 422 limit_exceeded (default 1000000)
  --scheduling P       batch (default): a thread that wakes another keeps the CPU,
                       so requests cross between I/O and actor threads in batches;
                       other: Linux's default policy
  --publish P          also publish the actors to other CAF nodes on port P (0: any)
  --publish-host H     address to publish on (default 127.0.0.1)
  --actors-at H:P      serve the actors another fridgebank-server publishes at H:P
                       (no local state: no data directory is used)
  --commit-delay MS    testing only: every journal commit waits MS first, as on a
                       slow disk (every acknowledged write is still fsync'd)
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

} // namespace

std::variant<server_flags, std::string> parse_server_flags(int argc, char** argv) {
  server_flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    // Both "--port 8080" and "--port=8080".
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto needs_value = [&](std::string_view name) -> std::optional<std::string> {
      if (!value.empty())
        return std::nullopt;
      if (i + 1 >= argc)
        return std::string{name} + " needs a value";
      value = argv[++i];
      return std::nullopt;
    };
    auto bad = [&](std::string_view what) {
      return std::string{arg} + ": " + std::string{what} + ", got '" + std::string{value} + "'";
    };
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
    } else if (arg == "--in-memory") {
      flags.in_memory = true;
    } else if (arg == "--host" || arg == "--data-dir" || arg == "--admin-token" ||
               arg == "--publish-host") {
      if (auto err = needs_value(arg))
        return *err;
      if (value.empty())
        return std::string{arg} + " must not be empty";
      if (arg == "--host")
        flags.host = value;
      else if (arg == "--data-dir")
        flags.data_dir = value;
      else if (arg == "--publish-host")
        flags.publish_host = value;
      else
        flags.admin_token = std::string{value};
    } else if (arg == "--port" || arg == "--publish") {
      if (auto err = needs_value(arg))
        return *err;
      auto port = to_number<unsigned>(value, 0, 65535);
      if (!port)
        return bad("expects a port 0..65535");
      if (arg == "--port")
        flags.port = static_cast<std::uint16_t>(*port);
      else
        flags.publish_port = static_cast<std::uint16_t>(*port);
    } else if (arg == "--actors-at") {
      if (auto err = needs_value(arg))
        return *err;
      auto colon = value.rfind(':');
      auto port = colon == std::string_view::npos
                      ? std::nullopt
                      : to_number<unsigned>(value.substr(colon + 1), 1, 65535);
      if (!port || colon == 0)
        return bad("expects HOST:PORT");
      flags.actors_host = std::string{value.substr(0, colon)};
      flags.actors_port = static_cast<std::uint16_t>(*port);
    } else if (arg == "--max-fridges" || arg == "--max-accounts") {
      if (auto err = needs_value(arg))
        return *err;
      auto n = to_number<std::size_t>(value, 1, 100'000'000);
      if (!n)
        return bad("expects a number 1..100000000");
      (arg == "--max-fridges" ? flags.max_fridges : flags.max_accounts) = *n;
    } else if (arg == "--io-threads" || arg == "--workers" || arg == "--max-connections" ||
               arg == "--max-in-flight") {
      if (auto err = needs_value(arg))
        return *err;
      auto n = to_number<std::size_t>(value, 1, arg.starts_with("--max") ? 1'000'000 : 256);
      if (!n)
        return bad("expects a positive number");
      if (arg == "--io-threads")
        flags.io_threads = *n;
      else if (arg == "--workers")
        flags.workers = *n;
      else if (arg == "--max-connections")
        flags.max_connections = *n;
      else
        flags.max_in_flight = *n;
    } else if (arg == "--request-timeout" || arg == "--read-timeout" || arg == "--commit-delay") {
      if (auto err = needs_value(arg))
        return *err;
      auto ms = to_number<long>(value, arg == "--commit-delay" ? 0 : 1, 3'600'000);
      if (!ms)
        return bad(arg == "--commit-delay" ? "expects milliseconds 0..3600000"
                                           : "expects milliseconds 1..3600000");
      (arg == "--request-timeout" ? flags.request_timeout
       : arg == "--read-timeout"  ? flags.read_timeout
                                  : flags.commit_delay) = std::chrono::milliseconds{*ms};
    } else if (arg == "--scheduling") {
      if (auto err = needs_value(arg))
        return *err;
      if (value != "batch" && value != "other")
        return bad("expects batch or other");
      flags.batch_scheduling = value == "batch";
    } else {
      return "unknown option " + std::string{arg} + " (see --help)";
    }
  }
  if (flags.actors_host && flags.publish_port)
    return std::string{"--actors-at and --publish exclude each other: publish on the actor node"};
  return flags;
}

} // namespace fridgebank::app
