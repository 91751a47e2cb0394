// The event vocabulary (protocol/events.hpp), the SSE frame, and the
// latency window the figures are computed from: pure functions, checked
// exactly. The stream itself is test/events_test.cpp, over the real server.

#include "fridgebank/net/event_hub.hpp"
#include "fridgebank/net/metrics.hpp"
#include "fridgebank/protocol/events.hpp"

#include <doctest/doctest.h>

using namespace fridgebank;

namespace {

journal_entry fridge_entry(std::string name, std::int64_t drinks, bool stopped) {
  journal_entry e;
  e.fridges.push_back(fridge_record{std::move(name), drinks, stopped});
  return e;
}

} // namespace

TEST_CASE("events: what each committed change is told as, and what is no change") {
  auto drink = event_of(fridge_entry("f", 7, false), fridge_result{3, 7});
  REQUIRE(drink);
  CHECK(drink->type == "fridge");
  CHECK(drink->data == R"({"change":"drink","name":"f","drinksLeftInFridge":7,"stopped":false})");
  CHECK(event_of(fridge_entry("f", 12, false), fridge_result{-5, 12})->data.find("\"load\"") !=
        std::string::npos);
  CHECK_FALSE(event_of(fridge_entry("f", 7, false), fridge_result{0, 7})); // took nothing
  CHECK_FALSE(event_of(journal_entry{}, fridge_result{0, 7}));             // a look
  CHECK(event_of(fridge_entry("f", 0, false), fridge_state{"f", 0, false})
            ->data.find("\"created\"") != std::string::npos);
  CHECK(
      event_of(fridge_entry("f", 2, true), fridge_state{"f", 2, true})->data.find("\"stopped\"") !=
      std::string::npos);
  CHECK_FALSE(event_of(journal_entry{}, fridge_state{"f", 2, true})); // a look at a stopped one

  journal_entry accounts;
  accounts.accounts = {{"a", 30}, {"b", 20}};
  auto moved = event_of(accounts, transfer_result{{"a", 30}, {"b", 20}});
  REQUIRE(moved);
  CHECK(moved->type == "transfer");
  CHECK(moved->data == R"({"from":{"id":"a","balance":30},"to":{"id":"b","balance":20}})");
  CHECK(event_of(accounts, account{"a", 30})->data == R"({"id":"a","balance":30})");
  CHECK_FALSE(event_of(journal_entry{}, account{"a", 30}));

  journal_entry pill;
  pill.bank_stopped = true;
  CHECK(event_of(pill, ledger_snapshot{})->data == R"({"stopped":true})");
  CHECK_FALSE(event_of(journal_entry{}, ledger_snapshot{}));
}

TEST_CASE("events: the figures as JSON, numbers written the short way") {
  live_figures f;
  f.requests_per_second = 1234.56789;
  f.p50_ms = 0.25;
  f.p99_ms = 2.5;
  f.open_connections = 3;
  f.event_streams = 1;
  f.fridges = 10;
  f.commits_per_second = 0;
  CHECK(encode(f) == R"({"requestsPerSecond":1234.568,"p50Ms":0.25,"p99Ms":2.5,)"
                     R"("openConnections":3,"eventStreams":1,"eventStreamsDropped":0,)"
                     R"("fridges":10,"total":null,"commitsPerSecond":0})");
  f.total = -7;
  CHECK(encode(f).find(R"("total":-7)") != std::string::npos);
}

TEST_CASE("events: an SSE frame, with and without an id") {
  CHECK(net::sse_frame(42, "fridge", "{}") == "id: 42\nevent: fridge\ndata: {}\n\n");
  CHECK(net::sse_frame(0, "metrics", "{}") == "event: metrics\ndata: {}\n\n");
}

TEST_CASE("figures: percentiles of a latency window are bucket edges") {
  net::latency_histogram h;
  auto before = h.counts();
  CHECK(h.quantile(before, 0.99) == 0); // nothing served: no figure
  for (int i = 0; i < 98; ++i)
    h.record(std::chrono::microseconds{300}); // in (0.25 ms, 0.5 ms]
  h.record(std::chrono::milliseconds{3});     // in (2.5 ms, 5 ms]
  h.record(std::chrono::seconds{20});         // above the last edge
  auto now = h.counts();
  std::vector<std::uint64_t> window(now.size());
  for (std::size_t i = 0; i < now.size(); ++i)
    window[i] = now[i] - before[i];
  CHECK(h.quantile(window, 0.50) == doctest::Approx(0.0005));
  CHECK(h.quantile(window, 0.99) == doctest::Approx(0.005));
  CHECK(h.quantile(window, 1.0) == doctest::Approx(10.0)); // the top edge: at least that
}
