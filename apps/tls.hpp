#pragma once

// TLS between actor nodes (BASP over CAF's OpenSSL module) and the rule
// that keeps a node off the network without it. docs/distribution.md says
// what it protects and what it does not.

#include "server_flags.hpp"

#include <caf/actor_system_config.hpp>
#include <optional>
#include <string>

namespace fridgebank::app {

/// Whether `--tls-cert/--tls-key/--tls-ca` are given (all three or none).
bool tls_on(const server_flags& flags);

/// What is wrong with the distribution flags before anything starts: TLS
/// files that cannot be read or do not fit together (OpenSSL says why), or
/// a publish address off the loopback without TLS and without
/// `--insecure-publish`. One line, for exit code 2.
std::optional<std::string> check_distribution(const server_flags& flags);

/// Loads the middleman (and with TLS the OpenSSL module, with the
/// certificate, key and CA) when the process publishes or connects.
void configure_distribution(caf::actor_system_config& cfg, const server_flags& flags);

} // namespace fridgebank::app
