// Fridges sharded over three actor nodes (`--publish`), served by two front
// ends (`--actors-at A,B,C`), all real processes on loopback. Where each
// fridge lives is read from the nodes' own HTTP listings, never computed
// here: the test does not trust the placement it checks.

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <doctest/doctest.h>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace fridgebank::test;

namespace {

constexpr int node_count = 3;

/// Three actor nodes, each with its own data directory, on fixed ports once
/// published (a restarted node takes its port again).
struct cluster {
  std::array<temp_dir, node_count> data;
  std::array<std::unique_ptr<server_process>, node_count> nodes;
  std::array<unsigned short, node_count> at{};

  cluster() {
    for (int i = 0; i < node_count; ++i)
      start(i);
  }

  /// Starts node `i` on its data, or on `other` data (its first start
  /// publishes on any port, the next ones on the same).
  void start(int i, const std::string& other = {}) {
    auto port = at[i] == 0 ? std::string{"0"} : std::to_string(at[i]);
    nodes[i] = std::make_unique<server_process>(std::vector<std::string>{
        "--data-dir", other.empty() ? data[i].str() : other, "--publish", port});
    auto published = published_port(*nodes[i]);
    CHECK((at[i] == 0 || published == at[i]));
    at[i] = published;
  }

  /// `--actors-at` with the nodes given, in that order.
  std::string list(std::vector<int> order = {0, 1, 2}) const {
    std::string text;
    for (int i : order)
      text += (text.empty() ? "" : ",") + std::string{"127.0.0.1:"} + std::to_string(at[i]);
    return text;
  }

  std::vector<std::string> front_end() const {
    return {"--actors-at", list(), "--request-timeout", "2000"};
  }

  /// The node that holds each fridge, from each node's own listing.
  std::map<std::string, int> holders() {
    std::map<std::string, int> where;
    for (int i = 0; i < node_count; ++i) {
      http_client c{nodes[i]->port()};
      auto page = c.get("/fridges?limit=10000");
      REQUIRE(page.status == 200);
      auto body = page.json(); // kept: the loop reads into it
      for (const auto& f : body.at("fridges").as_array()) {
        auto name = std::string{f.at("name").as_string()};
        CHECK_MESSAGE(where.count(name) == 0, name << " is on two nodes");
        where[name] = i;
      }
    }
    return where;
  }
};

std::string fridge_name(int i) {
  return "shard-" + std::to_string(i);
}

/// Every fridge name, walking the front end's merged listing `limit` at a time.
std::vector<std::string> walk_listing(http_client& c, int limit) {
  std::vector<std::string> names;
  std::string after;
  for (int pages = 0; pages < 1000; ++pages) {
    auto page =
        c.get("/fridges?limit=" + std::to_string(limit) + (after.empty() ? "" : "&after=" + after));
    REQUIRE(page.status == 200);
    auto body = page.json().as_object();
    for (const auto& f : body.at("fridges").as_array())
      names.emplace_back(f.at("name").as_string());
    if (body.at("next").is_null())
      break;
    after = std::string{body.at("next").as_string()};
  }
  return names;
}

/// The place node `i` keeps (DATA/placement), empty when none.
std::string kept_place(const cluster& c, int i) {
  std::ifstream in{c.data[i].str() + "/placement"};
  std::string line;
  std::getline(in, line);
  return line;
}

std::string create_body(const std::string& name) {
  return R"({"name":")" + name + R"(","drinks":1})";
}

/// Polls /healthz (for up to 10 s) until its status is `status`: "ok"
/// (every node reachable) or "degraded" (some not).
bool health_is(unsigned short port, std::string_view status) {
  for (int i = 0; i < 200; ++i) {
    http_client c{port};
    auto r = c.get("/healthz");
    if (r.status == 200 && r.json().at("status").as_string() == status)
      return true;
    ::poll(nullptr, 0, 50);
  }
  return false;
}

bool degraded(unsigned short port) {
  return health_is(port, "degraded");
}

} // namespace

TEST_CASE("three nodes, two front ends: fridges spread, both agree, one merged listing") {
  cluster nodes;
  server_process a{nodes.front_end()};
  server_process b{nodes.front_end()};
  http_client ca{a.port()}, cb{b.port()};

  constexpr int fridges = 30;
  std::set<std::string> names;
  for (int i = 0; i < fridges; ++i) {
    names.insert(fridge_name(i));
    auto body = R"({"name":")" + fridge_name(i) + R"(","drinks":)" + std::to_string(i) + "}";
    REQUIRE((i % 2 ? ca : cb).post("/fridges", body).status == 201);
  }
  auto where = nodes.holders();
  CHECK(where.size() == names.size());
  std::array<int, node_count> per_node{};
  for (auto& [name, node] : where)
    ++per_node[node];
  for (int n : per_node)
    CHECK(n > 0); // 30 names over 3 nodes: each holds some

  // Both front ends find every fridge, and a second creation of any name
  // is a conflict through either: they agree where it lives.
  for (int i = 0; i < fridges; ++i) {
    CHECK(drinks_of(ca, fridge_name(i)) == i);
    CHECK(drinks_of(cb, fridge_name(i)) == i);
    auto again = R"({"name":")" + fridge_name(i) + R"(","drinks":1})";
    CHECK((i % 2 ? cb : ca).post("/fridges", again).error() == "conflict");
  }
  // One sorted listing over the three nodes, in pages of any size.
  std::vector<std::string> sorted{names.begin(), names.end()};
  CHECK(walk_listing(ca, 7) == sorted);
  CHECK(walk_listing(cb, 1) == sorted);
  CHECK(walk_listing(ca, 30) == sorted);
  CHECK(walk_listing(cb, 10000) == sorted);

  // The bank lives on the first node only.
  REQUIRE(cb.post("/accounts", R"({"id":"alice"})").status == 201);
  REQUIRE(ca.post("/accounts/alice/deposit", R"({"amount":5})").status == 200);
  CHECK(balance_of(cb, "alice") == 5);
  http_client first{nodes.nodes[0]->port()}, second{nodes.nodes[1]->port()};
  CHECK(balance_of(first, "alice") == 5);
  CHECK(second.get("/accounts/alice").status == 404);
}

TEST_CASE("a front end whose node list disagrees with what the nodes hold is refused") {
  cluster nodes;
  {
    server_process a{nodes.front_end()};
    http_client c{a.port()};
    for (int i = 0; i < 12; ++i)
      REQUIRE(c.post("/fridges", R"({"name":")" + fridge_name(i) + R"(","drinks":1})").status ==
              201);
    REQUIRE(c.post("/accounts", R"({"id":"alice"})").status == 201);
  }
  std::string err;
  // Another order: fridges and the bank would be looked for on other nodes.
  CHECK(failed_start({"--port", "0", "--actors-at", nodes.list({1, 0, 2})}, err) == 2);
  CHECK_MESSAGE(err.find("refuses this front end's node list: this node holds the fridges of "
                         "node 2 of 3 in the list, but the front end lists it as node 1 of 3") !=
                    std::string::npos,
                err);
  // A node left out: its fridges' names would land on the others.
  CHECK(failed_start({"--port", "0", "--actors-at", nodes.list({0, 1})}, err) == 2);
  CHECK_MESSAGE(err.find("lists it as node 1 of 2") != std::string::npos, err);
  // The same list, spelled with a name, is the same placement.
  auto same = nodes.list();
  for (std::size_t p; (p = same.find("127.0.0.1")) != std::string::npos;)
    same.replace(p, 9, "localhost");
  server_process again{{"--actors-at", same}};
  http_client c{again.port()};
  CHECK(drinks_of(c, fridge_name(11)) == 1);
}

TEST_CASE("one of three nodes killed and restarted under keyed drinks: only its fridges wait") {
  cluster nodes;
  server_process a{nodes.front_end()};
  server_process b{nodes.front_end()};
  constexpr int fridges = 12, drinks = 100000;
  {
    http_client c{a.port()};
    for (int i = 0; i < fridges; ++i)
      REQUIRE(c.post("/fridges", R"({"name":")" + fridge_name(i) + R"(","drinks":)" +
                                     std::to_string(drinks) + "}")
                  .status == 201);
  }
  auto where = nodes.holders();
  constexpr int victim = 1;

  // One writer per fridge drinks 1 at a time, each drink with its own key,
  // retried (through the other front end) until it is acknowledged.
  std::array<std::atomic<int>, fridges> taken{}, refused{};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int f = 0; f < fridges; ++f)
    writers.emplace_back([&, f] {
      for (int i = 0; !stop; ++i) {
        auto key = fridge_name(f) + "-" + std::to_string(i);
        for (int attempt = 0;; ++attempt) {
          try {
            http_client c{attempt % 2 ? b.port() : a.port()};
            auto r = keyed_post(c, "/fridges/" + fridge_name(f) + "/drink",
                                R"({"drinksRequested":1})", key);
            if (r.status == 200)
              break;
            CHECK(r.status >= 409); // 503 while down, 409 while a retry's first is in flight
          } catch (const std::exception&) {
          }
          ++refused[f];
          ::poll(nullptr, 0, 20); // a client's back-off between retries
        }
        ++taken[f];
      }
    });

  auto wait_for_drinks = [&](int at_least) {
    for (int f = 0; f < fridges; ++f)
      while (taken[f] < at_least)
        ::poll(nullptr, 0, 5);
  };
  wait_for_drinks(20);
  nodes.nodes[victim]->kill_hard();
  // While the victim is down the front ends say so, and every fridge
  // elsewhere keeps serving (its writers' drinks keep being acknowledged).
  CHECK(degraded(a.port()));
  CHECK(degraded(b.port()));
  {
    http_client c{b.port()};
    auto health = c.get("/healthz");
    CHECK(health.json().at("status").as_string() == "degraded");
    for (int f = 0; f < fridges; ++f) {
      auto look = c.get("/fridges/" + fridge_name(f));
      if (where[fridge_name(f)] == victim) {
        CHECK(look.status == 503);
        CHECK(look.error() == "unavailable");
      } else {
        CHECK(look.status == 200);
      }
    }
    CHECK(c.get("/fridges").error() == "unavailable");
  }
  std::array<int, fridges> before{};
  for (int f = 0; f < fridges; ++f)
    before[f] = taken[f];
  for (int f = 0; f < fridges; ++f)
    if (where[fridge_name(f)] != victim)
      while (taken[f] < before[f] + 20) // served meanwhile
        ::poll(nullptr, 0, 5);

  nodes.start(victim);
  CHECK(health_is(a.port(), "ok"));
  CHECK(health_is(b.port(), "ok"));
  for (int f = 0; f < fridges; ++f)
    before[f] = taken[f];
  for (int f = 0; f < fridges; ++f)
    while (taken[f] < before[f] + 10) // every fridge serves again
      ::poll(nullptr, 0, 5);
  stop = true;
  for (auto& t : writers)
    t.join();

  // Nothing acknowledged lost, nothing done twice: each fridge lost exactly
  // one drink per acknowledged key. Only the victim's writers were refused.
  http_client c{a.port()};
  for (int f = 0; f < fridges; ++f) {
    INFO(fridge_name(f) << " on node " << where[fridge_name(f)]);
    CHECK(drinks_of(c, fridge_name(f)) == drinks - taken[f]);
    if (where[fridge_name(f)] == victim)
      CHECK(refused[f] > 0);
    else
      CHECK(refused[f] == 0);
  }
}

TEST_CASE("a front end starts while a node is down; a mistyped list keeps no place anywhere") {
  cluster nodes;
  auto at = nodes.list();
  {
    // A fourth node that is not there (a typo): the front end serves the
    // three degraded, and no node keeps a place in a list of four.
    auto typo = at + ",127.0.0.1:" + std::to_string(nodes.at[0] == 1 ? 2 : 1);
    server_process wrong{{"--actors-at", typo}};
    CHECK(degraded(wrong.port()));
    for (int i = 0; i < node_count; ++i)
      CHECK(kept_place(nodes, i).empty());
  }
  nodes.nodes[2]->kill_hard();
  std::map<std::string, int> status;
  {
    server_process front{nodes.front_end()}; // node 3 down: starts, degraded
    CHECK(degraded(front.port()));
    http_client c{front.port()};
    for (int i = 0; i < 12; ++i) {
      auto r = c.post("/fridges", create_body(fridge_name(i)));
      status[fridge_name(i)] = static_cast<int>(r.status);
      INFO(r.status << " " << r.body);
      CHECK((r.status == 201 || (r.status == 503 && r.error() == "unavailable")));
    }
    nodes.start(2); // comes up: served, what was refused can be created now
    CHECK(health_is(front.port(), "ok"));
    for (auto& [name, code] : status)
      if (code == 503) {
        auto r = c.post("/fridges", create_body(name));
        CHECK_MESSAGE(r.status == 201, r.body);
      }
    CHECK(walk_listing(c, 5).size() == 12);
    for (int i = 0; i < node_count; ++i) // a degraded start keeps no place
      CHECK(kept_place(nodes, i).empty());
  }
  CHECK(std::count_if(status.begin(), status.end(), [](auto& s) { return s.second == 503; }) > 0);
  // A start that reaches every node has the places kept.
  server_process front{nodes.front_end()};
  for (int i = 0; i < node_count; ++i)
    CHECK(kept_place(nodes, i) == std::to_string(i) + " 3");

  // Node 1 restarted on a single server's data: its fridges are not where
  // this list places them, so it refuses the list and stays unreachable.
  temp_dir single;
  {
    server_process alone{{"--data-dir", single.str()}};
    http_client c{alone.port()};
    for (int i = 100; i < 106; ++i)
      REQUIRE(c.post("/fridges", create_body(fridge_name(i))).status == 201);
  }
  nodes.nodes[0]->kill_hard();
  nodes.start(0, single.str());
  CHECK(degraded(front.port()));
  ::poll(nullptr, 0, 1500); // it stays so over several reconnection attempts
  http_client c{front.port()};
  auto health = c.get("/healthz");
  CHECK(health.json().at("unreachable").as_array().size() == 1);
  CHECK(c.get("/accounts/nobody").error() == "unavailable"); // the bank's node
}
