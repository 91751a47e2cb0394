// fridgebank-server: the actors, the HTTP front end, and a clean stop.

#include "admin_token.hpp"
#include "fridgebank/net/api.hpp"
#include "fridgebank/net/bridge.hpp"
#include "fridgebank/net/remote_backend.hpp"
#include "fridgebank/net/server.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/register_types.hpp"
#include "fridgebank/protocol/version.hpp"
#include "server_backend.hpp"
#include "server_flags.hpp"
#include "tls.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace fridgebank;

namespace {

constexpr int exit_usage = 2;

int fail(std::string line) {
  // Exactly one line, even when a library's message spans several.
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::cerr << "fridgebank-server: " << line << std::endl;
  return exit_usage;
}

/// Creates the data directory (0700: it holds the ledger and the admin
/// token) and checks we can write there. An existing one keeps its mode.
std::optional<std::string> prepare_data_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec) && !dir.parent_path().empty())
    fs::create_directories(dir.parent_path(), ec);
  if (!ec && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    ec = std::error_code{errno, std::generic_category()};
  if (ec)
    return "cannot create data directory " + dir.string() + ": " + ec.message();
  if (!fs::is_directory(dir, ec))
    return "data directory " + dir.string() + " is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return "data directory " + dir.string() + " is not writable";
  return std::nullopt;
}

/// The admin token: the setting (flag, FRIDGEBANK_ADMIN_TOKEN or file), else a random one that
/// is written where the operator can read it (and only they). Called once
/// the data directory's lock is ours: a refused second server must not
/// replace the running one's token. `file` is set when one was written.
std::optional<std::string> choose_admin_token(const app::server_flags& flags, std::string& token,
                                              std::string& notice, fs::path& file) {
  if (flags.admin_token) {
    token = *flags.admin_token;
    return std::nullopt;
  }
  token = app::random_token();
  file = flags.in_memory
             ? fs::temp_directory_path() / ("fridgebank-admin-token-" + std::to_string(::getpid()))
             : fs::path{flags.data_dir} / "admin-token";
  if (auto err = app::write_token_file(file, token))
    return err;
  notice = "admin token written to " + file.string();
  return std::nullopt;
}

/// Whether `host:port` is free to listen on. CAF's publish with `reuse` sets
/// SO_REUSEPORT, which would silently share a port another process listens
/// on; we need it only to rebind over our own TIME_WAIT connections after a
/// restart. So check first with SO_REUSEADDR alone.
std::optional<std::string> port_in_use(const std::string& host, std::uint16_t port) {
  if (port == 0)
    return std::nullopt;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor probe{ioc};
  std::string error;
  auto address = net::address_of(host, error); // a name too (`localhost`)
  if (!address)
    return "--publish-host: " + error;
  boost::system::error_code ec;
  boost::asio::ip::tcp::endpoint endpoint{*address, port};
  probe.open(endpoint.protocol(), ec);
  if (!ec)
    probe.set_option(boost::asio::socket_base::reuse_address{true}, ec);
  if (!ec)
    probe.bind(endpoint, ec);
  if (!ec)
    probe.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec)
    return ec.message();
  return std::nullopt;
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

/// SCHED_BATCH for this thread and, inherited, every thread started after.
/// A request crosses from the I/O thread to an actor thread and back; under
/// Linux's default policy each wake-up preempts the waker, so on a shared
/// core the two threads switch once per request (perf stat: ~1 context
/// switch per drink). Under SCHED_BATCH the waker finishes its batch first
/// (0.08 per drink) and a drink costs fewer cycles. No privilege is needed.
void use_batch_scheduling() {
  sched_param param{};
  param.sched_priority = 0;
  if (sched_setscheduler(0, SCHED_BATCH, &param) != 0)
    std::cerr << "fridgebank-server: SCHED_BATCH unavailable (" << std::strerror(errno)
              << "), using the default policy" << std::endl;
}

/// Blocks SIGINT, SIGTERM and SIGHUP in every thread (they are taken by
/// sigwait), and sets what every later thread inherits.
sigset_t take_signals(const app::server_flags& flags) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP); // reopens the access log, never stops
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (flags.batch_scheduling)
    use_batch_scheduling();
  std::signal(SIGPIPE, SIG_IGN);
  // A file size limit makes a journal write fail (and the request get a 500)
  // instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  return stop_signals;
}

void configure(caf::actor_system_config& cfg, const app::server_flags& flags) {
  register_types(cfg);
  cfg.set("scheduler.max-threads", flags.workers);
  // Work sharing sleeps when idle; work stealing polls (CPU burn on a quiet server).
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
  app::configure_distribution(cfg, flags);
}

net::server_options server_options_of(const app::server_flags& flags) {
  net::server_options options;
  options.host = flags.host;
  options.port = flags.port;
  options.io_threads = flags.io_threads;
  options.read_timeout = flags.read_timeout;
  auto allowed = net::connections_within_fd_limit();
  options.max_connections = flags.max_connections.value_or(allowed);
  if (options.max_connections > allowed)
    std::cerr << "fridgebank-server: warning: --max-connections " << options.max_connections
              << " is more than ulimit -n leaves room for (" << allowed
              << "); past that, accepts pause instead of answering 503" << std::endl;
  options.max_in_flight = flags.max_in_flight;
  return options;
}

net::event_hub_options event_options_of(const app::server_flags& flags) {
  net::event_hub_options options;
  options.max_streams = flags.max_event_streams;
  return options;
}

/// The lines API.md promises on stdout once the server accepts connections.
void announce(const app::server_flags& flags, std::uint16_t http_port, std::uint16_t published_port,
              const std::string& token_notice) {
  if (!token_notice.empty())
    std::cerr << "fridgebank-server: " << token_notice << std::endl;
  std::cout << "listening on http://" << url_host(flags.host) << ":" << http_port << std::endl;
  if (flags.publish_port)
    std::cout << "actors published on " << url_host(flags.publish_host) << ":" << published_port
              << std::endl;
}

/// Our errors carry a readable detail; CAF's own render by name.
std::string readable(const caf::error& err) {
  auto detail = detail_of(err);
  return detail.empty() ? to_string(err) : detail;
}

} // namespace

int main(int argc, char** argv) {
  auto parsed = app::parse_server_flags(argc, argv);
  if (auto* err = std::get_if<std::string>(&parsed))
    return fail(*err);
  auto flags = std::get<app::server_flags>(parsed);
  if (flags.help) {
    std::cout << app::server_usage();
    return 0;
  }
  if (flags.version) {
    std::cout << "fridgebank-server " << fridgebank::version << "\n";
    return 0;
  }
  if (!flags.actors_at.empty())
    flags.in_memory = true; // a front end for another node's actors keeps no state
  auto stop_signals = take_signals(flags);
  if (!flags.in_memory)
    if (auto err = prepare_data_dir(flags.data_dir))
      return fail(*err);
  // Before any actor exists: a failed start returns without stopping them.
  if (auto err = app::check_distribution(flags))
    return fail(*err);
  if (flags.publish_port)
    if (auto err = port_in_use(flags.publish_host, *flags.publish_port))
      return fail("cannot publish the actors on " + flags.publish_host + ":" +
                  std::to_string(*flags.publish_port) + ": " + *err);
  caf::actor_system_config cfg;
  configure(cfg, flags);
  caf::actor_system sys{cfg};

  // Before the actors, which publish into it; after the server, whose
  // streams give their places back to it.
  auto events = std::make_shared<net::event_hub>(event_options_of(flags));
  auto started = app::start_backend(sys, flags, events);
  if (!started)
    return fail(readable(started.error()));
  auto backend = std::move(*started);
  std::string token, token_notice; // the notice is printed once listening
  fs::path token_file;
  auto give_up = [&](const std::string& line) {
    app::stop_backend(sys, backend);
    if (flags.in_memory && !token_file.empty())
      ::unlink(token_file.c_str());
    return fail(line);
  };
  if (auto err = choose_admin_token(flags, token, token_notice, token_file))
    return give_up(*err);
  std::uint16_t published_port = 0;
  if (flags.publish_port) {
    auto port = app::publish_backend(sys, backend, flags);
    if (!port) // rare: the port was checked before the actors started
      return give_up("cannot publish the actors on " + flags.publish_host + ":" +
                     std::to_string(*flags.publish_port) + ": " + readable(port.error()));
    published_port = *port;
  }
  net::bridge bridge{sys, flags.workers, flags.request_timeout};
  net::batch_requests_of(backend.node_links, bridge.sender(), bridge.timeout()); // --actors-at
  net::api api{bridge, backend.routes, token, [] { ::kill(::getpid(), SIGTERM); }};
  net::http_server server{server_options_of(flags), api.routes(), api.stats()};
  std::unique_ptr<net::access_log> access; // outlives the server's sessions (_Exit below)
  if (flags.access_log) {
    access = std::make_unique<net::access_log>(*flags.access_log);
    if (auto err = access->open()) {
      bridge.close();
      return give_up(*err);
    }
    server.log_to(*access);
    api.stats().watch(&access->dropped());
  }
  if (flags.actors_at.empty()) { // a front end's actors tell their own node
    api.serve_events(*events);
    server.serve_events(*events);
  }
  if (auto err = server.listen(); !err.empty()) {
    bridge.close();
    return give_up(err);
  }
  server.start();
  announce(flags, server.local_endpoint().port(), published_port, token_notice);

  int signal = 0;
  while (sigwait(&stop_signals, &signal) == 0 && signal == SIGHUP)
    if (access)
      access->reopen();

  // Graceful stop: refuse new connections, answer what was received, then
  // drain the actors (never a pill: everything comes back live).
  api.begin_shutdown();
  server.drain();
  app::stop_backend(sys, backend);
  server.stop();
  bridge.close();
  if (flags.in_memory && !token_file.empty())
    ::unlink(token_file.c_str()); // a token for a process that is gone
  // Everything is answered, durable and closed (the journal closes the
  // database before it answers). CAF 0.17's actor_system destructor would
  // now wait until the detached journal's object is destroyed, and after the
  // journal has answered actors on another node something in the middleman
  // keeps it referenced, at random: that wait can last forever.
  if (access)
    access->close(); // every line of every answered request is written
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(0);
}
