#include "tls.hpp"

#include "fridgebank/net/server.hpp"

#include <algorithm>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <memory>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace fridgebank::app {

namespace {

/// OpenSSL's reason for the last failure, one line.
std::string openssl_reason() {
  auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return "unknown reason";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

/// Loads the three files the way CAF's OpenSSL module will (TLS 1.2
/// context, certificate chain, PEM key, CA file) and checks that the key
/// is the certificate's: CAF would throw inside its I/O loop instead.
std::optional<std::string> check_tls_files(const server_flags& flags) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_method()), SSL_CTX_free};
  if (!ctx)
    return "TLS: cannot create an OpenSSL context: " + openssl_reason();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), flags.tls_cert->c_str()) != 1)
    return "--tls-cert " + *flags.tls_cert + ": " + openssl_reason();
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), flags.tls_key->c_str(), SSL_FILETYPE_PEM) != 1)
    return "--tls-key " + *flags.tls_key + ": " + openssl_reason();
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return "--tls-key " + *flags.tls_key + " is not the key of --tls-cert " + *flags.tls_cert;
  if (SSL_CTX_load_verify_locations(ctx.get(), flags.tls_ca->c_str(), nullptr) != 1)
    return "--tls-ca " + *flags.tls_ca + ": " + openssl_reason();
  return std::nullopt;
}

/// Whether every address `host` names is a loopback address.
bool loopback_only(const std::string& host) {
  std::string unresolved;
  auto all = net::addresses_of(host, unresolved);
  return !all.empty() &&
         std::all_of(all.begin(), all.end(), [](const auto& a) { return a.is_loopback(); });
}

} // namespace

bool tls_on(const server_flags& flags) {
  return flags.tls_cert.has_value();
}

std::optional<std::string> check_distribution(const server_flags& flags) {
  if (tls_on(flags))
    if (auto err = check_tls_files(flags))
      return err;
  if (flags.publish_port && !tls_on(flags) && !flags.insecure_publish &&
      !loopback_only(flags.publish_host))
    return "--publish-host " + flags.publish_host +
           " is not a loopback address: give --tls-cert, --tls-key and --tls-ca (anyone who "
           "reaches a plain BASP port owns the bank), or --insecure-publish";
  return std::nullopt;
}

void configure_distribution(caf::actor_system_config& cfg, const server_flags& flags) {
  if (!flags.publish_port && flags.actors_at.empty())
    return;
  cfg.load<caf::io::middleman>();
  if (!tls_on(flags))
    return;
  cfg.load<caf::openssl::manager>();
  cfg.openssl_certificate = *flags.tls_cert;
  cfg.openssl_key = *flags.tls_key;
  cfg.openssl_cafile = *flags.tls_ca;
}

} // namespace fridgebank::app
