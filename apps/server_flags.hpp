#pragma once

#include "fridgebank/net/remote_backend.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace fridgebank::app {

/// The settings of fridgebank-server (API.md, "The server process").
struct server_flags {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string data_dir = "./fridgebank-data";
  bool in_memory = false;
  std::optional<std::string> admin_token;
  std::size_t io_threads = 1;
  std::size_t workers = 1;
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds read_timeout{15000};
  /// `--commit-delay MS` (testing): a slow disk, for the timeout paths.
  std::chrono::milliseconds commit_delay{0};
  /// `--max-connections N`; unset: what `ulimit -n` allows
  /// (`net::connections_within_fd_limit`).
  std::optional<std::size_t> max_connections;
  std::size_t max_in_flight = 8192;
  std::size_t max_event_streams = 100;
  std::size_t max_fridges = 1'000'000;
  std::size_t max_accounts = 1'000'000;
  /// `--scheduling batch|other`: the Linux policy of every server thread.
  bool batch_scheduling = true;
  /// `--publish P`: also publish the actors to other CAF nodes on port P.
  std::optional<std::uint16_t> publish_port;
  std::string publish_host = "127.0.0.1";
  /// `--actors-at HOST:PORT,...`: serve actors that live in other
  /// processes, fridges sharded over them, the bank on the first.
  std::vector<net::node_address> actors_at;
  /// `--tls-cert/--tls-key/--tls-ca`: BASP over TLS, both ends verified
  /// against the CA (all three or none).
  std::optional<std::string> tls_cert, tls_key, tls_ca;
  /// `--insecure-publish`: publish plain BASP off the loopback anyway.
  bool insecure_publish = false;
  bool help = false;
  bool version = false;
  std::optional<std::string> access_log; // --access-log FILE|-
};

/// The settings from the command line, the environment (FRIDGEBANK_*) and
/// the --config file, in that precedence; or a one-line reason they are wrong.
std::variant<server_flags, std::string> parse_server_flags(int argc, char** argv);

/// --help: generated from the same description the parser reads.
std::string server_usage();

} // namespace fridgebank::app
