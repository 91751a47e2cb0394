// fridgebank-server: the actors, the HTTP front end, and a clean stop.

#include "admin_token.hpp"
#include "fridgebank/actors/bank.hpp"
#include "fridgebank/actors/directory.hpp"
#include "fridgebank/actors/journal.hpp"
#include "fridgebank/actors/node.hpp"
#include "fridgebank/actors/store.hpp"
#include "fridgebank/net/api.hpp"
#include "fridgebank/net/bridge.hpp"
#include "fridgebank/net/remote_backend.hpp"
#include "fridgebank/net/server.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/register_types.hpp"
#include "server_flags.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/spawn_options.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <pthread.h>
#include <sched.h>
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

/// Creates the data directory and checks we can write there.
std::optional<std::string> prepare_data_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return "cannot create data directory " + dir.string() + ": " + ec.message();
  if (!fs::is_directory(dir, ec))
    return "data directory " + dir.string() + " is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return "data directory " + dir.string() + " is not writable";
  return std::nullopt;
}

/// The admin token: the flag, else the environment, else a random one that
/// is written where the operator can read it (and only they).
std::optional<std::string> choose_admin_token(const app::server_flags& flags, std::string& token,
                                              std::string& notice) {
  if (flags.admin_token) {
    token = *flags.admin_token;
    return std::nullopt;
  }
  if (const char* env = std::getenv("FRIDGEBANK_ADMIN_TOKEN"); env && *env) {
    token = env;
    return std::nullopt;
  }
  token = app::random_token();
  fs::path file = flags.in_memory ? fs::temp_directory_path() /
                                        ("fridgebank-admin-token-" + std::to_string(::getpid()))
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
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec)
    return "bad --publish-host " + host + ": " + ec.message();
  boost::asio::ip::tcp::endpoint endpoint{address, port};
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

/// Every actor of ours gets its pill (queued requests are served first),
/// then the journal commits and stops; our handles go, so the actor
/// system's destructor has nothing to wait for. Also after a failed start:
/// the journal and the actors it rolls back hold each other alive.
void stop_actors(caf::actor_system& sys, net::api_backend& backend, node_actor& published,
                 caf::actor& node_link) {
  if (node_link) {
    // The actors belong to the node (and stay up for its other front ends):
    // only our link to it stops.
    caf::anon_send(node_link, stop_atom::value);
  } else {
    // Remote nodes lose the handles first, then every actor gets its pill.
    if (published)
      caf::anon_send(published, stop_atom::value);
    caf::scoped_actor self{sys};
    const auto pill_timeout = std::chrono::seconds{10};
    self->request(backend.directory, pill_timeout, stop_all_atom::value)
        .receive([](std::size_t) {},
                 [](caf::error& err) {
                   std::cerr << "fridgebank-server: stopping fridges: " << to_string(err)
                             << std::endl;
                 });
    self->request(backend.bank, pill_timeout, stop_atom::value)
        .receive(
            [&](const ledger_snapshot&) {
              // Served: a stopped bank lives on only to refuse; let it go.
              self->send_exit(backend.bank, caf::exit_reason::user_shutdown);
            },
            [](caf::error& err) {
              std::cerr << "fridgebank-server: stopping the bank: " << to_string(err) << std::endl;
            });
    // Last: the journal commits whatever the pills queued, then stops.
    // (`keys` is the journal, or in memory the journal that keeps only keys.)
    self->request(backend.keys, pill_timeout, stop_atom::value)
        .receive([](const journal_stats&) {},
                 [](caf::error& err) {
                   std::cerr << "fridgebank-server: flushing the journal: " << to_string(err)
                             << std::endl;
                 });
  }
  backend = {};
  node_link = nullptr;
  published = nullptr;
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

} // namespace

int main(int argc, char** argv) {
  auto parsed = app::parse_server_flags(argc, argv);
  if (auto* err = std::get_if<std::string>(&parsed))
    return fail(*err);
  auto flags = std::get<app::server_flags>(parsed);
  if (flags.help) {
    std::cout << app::server_usage;
    return 0;
  }
  // A front end for another node's actors keeps no state of its own.
  if (flags.actors_host)
    flags.in_memory = true;

  // SIGINT and SIGTERM are taken by sigwait below, never by another thread:
  // block them before any thread starts so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (flags.batch_scheduling)
    use_batch_scheduling();
  std::signal(SIGPIPE, SIG_IGN);
  // A file size limit makes a journal write fail (and the request get a 500)
  // instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);

  if (!flags.in_memory)
    if (auto err = prepare_data_dir(flags.data_dir))
      return fail(*err);
  // Before any actor exists: a failed start returns without stopping them.
  if (flags.publish_port)
    if (auto err = port_in_use(flags.publish_host, *flags.publish_port))
      return fail("cannot publish the actors on " + flags.publish_host + ":" +
                  std::to_string(*flags.publish_port) + ": " + *err);
  caf::actor_system_config cfg;
  register_types(cfg);
  cfg.set("scheduler.max-threads", flags.workers);
  // Work sharing sleeps when idle; work stealing polls (CPU burn on a quiet server).
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
  if (flags.publish_port || flags.actors_host)
    cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};

  std::string token;
  std::string token_notice; // printed once listening, so a failed start says one line only
  if (auto err = choose_admin_token(flags, token, token_notice))
    return fail(*err);
  net::api_backend backend;
  caf::actor node_link; // with --actors-at
  if (flags.actors_host) {
    auto remote = net::connect_remote_backend(sys, *flags.actors_host, flags.actors_port,
                                              std::chrono::seconds{5});
    if (!remote)
      return fail(detail_of(remote.error()));
    backend = remote->backend;
    node_link = remote->link;
  } else if (flags.in_memory) {
    backend.directory = sys.spawn(directory);
    backend.bank = sys.spawn(bank);
    backend.keys = sys.spawn(journal, std::shared_ptr<store>{make_memory_store()},
                             std::vector<idempotency_record>{});
  } else {
    // Recover before listening: what was acknowledged is back before anyone
    // can ask.
    auto opened = open_sqlite_store(flags.data_dir);
    if (!opened)
      return fail(detail_of(opened.error()));
    std::shared_ptr<store> db = std::move(*opened);
    auto durable = db->load();
    if (!durable)
      return fail("cannot read " + flags.data_dir + ": " + detail_of(durable.error()));
    // Detached: the journal blocks in fsync and must not hold a scheduler thread.
    backend.journal = sys.spawn<caf::detached>(journal, db, durable->keys);
    db.reset();
    backend.keys = backend.journal;
    journal_link link{backend.journal, 0};
    backend.directory = sys.spawn(journaled_directory, *durable, link);
    backend.bank = sys.spawn(journaled_bank, *durable, link);
    for (auto target : {caf::actor_cast<caf::actor>(backend.directory),
                        caf::actor_cast<caf::actor>(backend.bank)})
      caf::anon_send(backend.journal, register_atom::value, target);
  }
  // What other CAF nodes (front ends, embedding programs) may reach.
  node_actor published;
  std::uint16_t published_port = 0;
  if (flags.publish_port) {
    auto where = flags.publish_host + ":" + std::to_string(*flags.publish_port);
    published = sys.spawn(node, backend.directory, backend.bank, backend.keys);
    auto port =
        sys.middleman().publish(published, *flags.publish_port, flags.publish_host.c_str(), true);
    if (!port) {
      // Rare: the port was checked before the actors started.
      stop_actors(sys, backend, published, node_link);
      return fail("cannot publish the actors on " + where + ": " + to_string(port.error()));
    }
    published_port = *port;
  }
  net::bridge bridge{sys, flags.workers, flags.request_timeout};
  net::api api{bridge, backend, token, [] { ::kill(::getpid(), SIGTERM); }};

  net::server_options options;
  options.host = flags.host;
  options.port = flags.port;
  options.io_threads = flags.io_threads;
  options.read_timeout = flags.read_timeout;
  options.max_connections = flags.max_connections;
  options.max_in_flight = flags.max_in_flight;
  net::http_server server{options, api.routes(), api.stats()};
  if (auto err = server.listen(); !err.empty()) {
    stop_actors(sys, backend, published, node_link);
    bridge.close();
    return fail(err);
  }
  server.start();
  if (!token_notice.empty())
    std::cerr << "fridgebank-server: " << token_notice << std::endl;
  std::cout << "listening on http://" << url_host(flags.host) << ":"
            << server.local_endpoint().port() << std::endl;
  if (published)
    std::cout << "actors published on " << url_host(flags.publish_host) << ":" << published_port
              << std::endl;

  int signal = 0;
  sigwait(&stop_signals, &signal);

  // Graceful stop: refuse new connections, answer what was received, then
  // the pills, so every actor serves its queue before it stops.
  api.begin_shutdown();
  server.drain();
  stop_actors(sys, backend, published, node_link);
  server.stop();
  bridge.close();
  // Everything is answered, durable and closed (the journal closes the
  // database before it answers its pill). CAF 0.17's actor_system destructor
  // would now wait until the detached journal's object is destroyed, and
  // after the journal has answered actors on another node something in the
  // middleman keeps it referenced, at random: that wait can last forever.
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(0);
}
