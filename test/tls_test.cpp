// BASP over TLS between an actor node and front ends (docs/distribution.md),
// over real processes on loopback: both ends verify each other against the
// CA; a certificate from another CA, or none, is refused; a plain client's
// crafted BASP header never reaches BASP; publishing off the loopback needs
// TLS or --insecure-publish.

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

#include <cstdlib>
#include <doctest/doctest.h>
#include <fstream>
#include <string>
#include <vector>

#ifndef FRIDGEBANK_MAKE_DEV_CERTS
#error "FRIDGEBANK_MAKE_DEV_CERTS must name scripts/make-dev-certs"
#endif

using namespace fridgebank::test;

namespace {

/// A CA in `dir` and a certificate of its for each name.
void make_certs(const std::string& dir, const std::string& names) {
  auto command = std::string{FRIDGEBANK_MAKE_DEV_CERTS} + " " + dir + " " + names + " >/dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
}

std::vector<std::string> tls_flags(const std::string& dir, const std::string& name) {
  return {"--tls-cert", dir + "/" + name + ".pem",
          "--tls-key",  dir + "/" + name + "-key.pem",
          "--tls-ca",   dir + "/ca.pem"};
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// Resident memory of a process, in KiB.
long rss_kib(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string key;
  long value = 0;
  while (status >> key)
    if (key == "VmRSS:" && status >> value)
      return value;
  return -1;
}

} // namespace

TEST_CASE("a TLS node and front end verify each other; other certificates are refused") {
  temp_dir ours, theirs;
  make_certs(ours.str(), "node front");
  make_certs(theirs.str(), "stranger");
  server_process node{with({"--in-memory", "--publish", "0"}, tls_flags(ours.str(), "node"))};
  auto port = published_port(node);

  server_process front{with(front_end_flags(port), tls_flags(ours.str(), "front"))};
  http_client c{front.port()};
  CHECK(c.get("/healthz").status == 200);
  CHECK(c.post("/fridges", R"({"name":"kitchen","drinks":3})").status == 201);
  CHECK(c.post("/fridges/kitchen/drink", R"({"drinksRequested":1})").body ==
        R"({"drinksTakenOrAdded":1,"drinksLeftInFridge":2})");

  // A front end whose certificate another CA signed, and one without TLS:
  // the node refuses them in the handshake; they cannot start.
  std::string err;
  CHECK(failed_start(
            with(with({"--port", "0"}, front_end_flags(port)), tls_flags(theirs.str(), "stranger")),
            err) == 2);
  CHECK(err.find("that accept our certificate") != std::string::npos);
  CHECK(failed_start(with({"--port", "0"}, front_end_flags(port)), err) == 2);
  // The node still serves its own front end. CAF 0.17.6 defect (documented
  // in docs/distribution.md): after a failed handshake the reply to the
  // next message on one established TLS link is lost, so that request times
  // out; the ones after it are served.
  auto after = c.get("/fridges/kitchen");
  CHECK((after.status == 200 || after.error() == "timeout"));
  CHECK(c.get("/fridges/kitchen").json().at("drinksLeftInFridge") == 2);
}

TEST_CASE("a plain client's crafted BASP header costs a TLS node nothing") {
  temp_dir certs;
  make_certs(certs.str(), "node");
  server_process node{with({"--in-memory", "--publish", "0"}, tls_flags(certs.str(), "node"))};
  auto port = published_port(node);
  http_client warm{node.port()};
  REQUIRE(warm.get("/healthz").status == 200);
  long before = rss_kib(node.pid());
  for (int i = 0; i < 8; ++i) {
    // BASP header: operation 2, 4 GiB payload claimed (issue 17's probe).
    const unsigned char header[32] = {2, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 0,    0,    0,    1,    0, 0, 0, 0, 0, 0, 0, 1};
    http_client probe{port};
    boost::system::error_code ec;
    boost::asio::write(probe.socket(), boost::asio::buffer(header), ec);
    CHECK(probe.closed_by_peer()); // the handshake failed; no BASP was read
  }
  // Plain BASP: ~280 MB a connection (the issue); here a handshake failure.
  CHECK(rss_kib(node.pid()) - before < 32 * 1024);
  CHECK(warm.get("/healthz").status == 200);
}

TEST_CASE("publishing off the loopback needs TLS or --insecure-publish; TLS files are checked") {
  temp_dir certs;
  make_certs(certs.str(), "node other");
  std::string err;
  CHECK(failed_start({"--in-memory", "--port", "0", "--publish", "0", "--publish-host", "0.0.0.0"},
                     err) == 2);
  CHECK(err.find("--insecure-publish") != std::string::npos);
  {
    server_process open{
        {"--in-memory", "--publish", "0", "--publish-host", "0.0.0.0", "--insecure-publish"}};
    CHECK(open.read_line(std::chrono::seconds{10}).rfind("actors published on 0.0.0.0:", 0) == 0);
  }
  {
    server_process tls{with({"--in-memory", "--publish", "0", "--publish-host", "0.0.0.0"},
                            tls_flags(certs.str(), "node"))};
    CHECK(tls.read_line(std::chrono::seconds{10}).rfind("actors published on 0.0.0.0:", 0) == 0);
  }
  // All three files or none; each must load, and the key must be the certificate's.
  CHECK(failed_start({"--in-memory", "--port", "0", "--tls-cert", certs.str() + "/node.pem"},
                     err) == 2);
  CHECK(err.find("go together") != std::string::npos);
  auto wrong_key = tls_flags(certs.str(), "node");
  wrong_key[3] = certs.str() + "/other-key.pem";
  CHECK(failed_start(with({"--in-memory", "--port", "0"}, wrong_key), err) == 2);
  CHECK(err.find("--tls-key") != std::string::npos);
  CHECK(err.find("key values mismatch") != std::string::npos);
  auto missing = tls_flags(certs.str(), "node");
  missing[5] = certs.str() + "/nowhere.pem";
  CHECK(failed_start(with({"--in-memory", "--port", "0"}, missing), err) == 2);
  CHECK(err.find("--tls-ca") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}
