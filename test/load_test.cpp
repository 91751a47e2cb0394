// fridgebank-load's own logic, without a server: the latency histogram, the
// open-loop schedule, the invariant checks (a wrong total must be caught),
// the report's verdict, and the polite scenarios' protocol against a model
// fridge that serves every LOOK before any TAKE.

#include "load/checks.hpp"
#include "load/latency.hpp"
#include "load/load_flags.hpp"
#include "load/open_loop.hpp"
#include "load/report.hpp"
#include "load/scenario.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <map>

using namespace fridgebank::load;
using namespace std::chrono_literals;

TEST_SUITE("load tool") {

  TEST_CASE("percentiles are within 2 % of the exact ones, the max is exact") {
    latency_histogram h;
    CHECK(h.percentile(0.99) == 0ns);
    for (int ms = 1; ms <= 1000; ++ms)
      h.record(std::chrono::milliseconds{ms});
    CHECK(h.count() == 1000);
    auto near = [](std::chrono::nanoseconds got, std::chrono::nanoseconds want) {
      return std::abs(static_cast<double>(got.count()) / static_cast<double>(want.count()) - 1) <=
             0.02;
    };
    CHECK(near(h.percentile(0.5), 500ms));
    CHECK(near(h.percentile(0.9), 900ms));
    CHECK(near(h.percentile(0.99), 990ms));
    CHECK(h.percentile(1.0) == 1000ms);
    CHECK(h.max() == 1000ms);
    CHECK(near(h.mean(), 500500us));
  }

  TEST_CASE("a percentile never claims more than the largest sample, nor less than the smallest") {
    latency_histogram h;
    h.record(123ns); // under the first bin
    CHECK(h.percentile(0.5) == 123ns);
    latency_histogram slow;
    slow.record(200s); // over the last bin
    h.merge(slow);
    CHECK(h.count() == 2);
    CHECK(h.percentile(1.0) == 200s);
    CHECK(h.percentile(0.5) == 123ns);
  }

  TEST_CASE("open loop: request i is due at start + i / rate, also after a stall") {
    auto start = clock::time_point{} + 1h;
    open_loop_schedule schedule{start, 100};
    std::deque<clock::time_point> due;
    schedule.release_due(start, due);
    REQUIRE(due.size() == 1);
    CHECK(due[0] == start);
    // The client stalls for two seconds: every request that fell due meanwhile
    // is released with its own due time, so its wait counts as latency.
    schedule.release_due(start + 2s, due);
    REQUIRE(due.size() == 201);
    CHECK(due[100] == start + 1s);
    CHECK(due[150] == start + 1500ms);
    CHECK(schedule.next_due() == start + 2010ms);
    schedule.release_due(start + 2s, due);
    CHECK(due.size() == 201);
  }

  TEST_CASE("a snapshot with a wrong total is caught, and so is a negative balance") {
    snapshot_checker good{8000};
    std::vector<std::int64_t> balances(8, 1000);
    good.observe(balances);
    for (auto& c : good.verdict())
      CHECK(c.passed);

    snapshot_checker bad{8000};
    bad.observe(balances);
    balances[3] = 999; // one unit lost
    bad.observe(balances);
    auto verdict = bad.verdict();
    CHECK_FALSE(verdict[0].passed);
    CHECK(verdict[0].detail.find("7999") != std::string::npos);
    CHECK(verdict[1].passed);

    snapshot_checker negative{8000};
    balances[3] = -1;
    balances[4] = 2001;
    negative.observe(balances);
    CHECK(negative.verdict()[0].passed);       // the total is right...
    CHECK_FALSE(negative.verdict()[1].passed); // ...but money went below zero
  }

  TEST_CASE("conservation allows exactly the unanswered requests' effects") {
    tracked_count drinks{100};
    drinks.acknowledged(-10);
    CHECK(drinks.judge("exact", 90).passed);
    CHECK_FALSE(drinks.judge("one lost", 89).passed);
    CHECK_FALSE(drinks.judge("one extra", 91).passed);
    drinks.unknown(-1); // a take whose reply never came
    CHECK(drinks.judge("it happened", 89).passed);
    CHECK(drinks.judge("it did not", 90).passed);
    CHECK_FALSE(drinks.judge("two lost", 88).passed);
  }

  TEST_CASE("polite verdicts: an empty fridge fails only the atomic protocol") {
    CHECK(polite_rounds(true, 10, 0).passed);
    CHECK_FALSE(polite_rounds(true, 10, 1).passed);
    CHECK(polite_rounds(false, 10, 7).passed);
  }

  TEST_CASE("the verdict fails on a failed check or too many errors") {
    run_options options;
    run_result result;
    result.requests = 1000;
    result.errors = 2;
    result.elapsed = 1s;
    auto passed = [&](std::vector<check> checks, double max_error_rate) {
      return report_passed(make_report(
          {"drink", "http://x:1", options, result, std::move(checks), {}, max_error_rate}));
    };
    CHECK(passed({{"fine", true, ""}}, 0.01));
    CHECK_FALSE(passed({{"fine", true, ""}}, 0.001));
    CHECK_FALSE(passed({{"total", false, "7999"}}, 0.01));
    auto report = make_report({"drink", "http://x:1", options, result, {}, {}, 0.0});
    CHECK(text_report(report).find("FAILED") != std::string::npos);
  }

  TEST_CASE("durations and flags") {
    CHECK(parse_duration("10s") == 10s);
    CHECK(parse_duration("250ms") == 250ms);
    CHECK(parse_duration("2m") == 120s);
    CHECK(parse_duration("1.5") == 1500ms);
    CHECK_FALSE(parse_duration("-1s"));
    CHECK_FALSE(parse_duration("soon"));
    auto parse = [](std::vector<std::string> args) {
      std::vector<char*> argv{const_cast<char*>("fridgebank-load")};
      for (auto& a : args)
        argv.push_back(a.data());
      return parse_load_flags(static_cast<int>(argv.size()), argv.data());
    };
    auto ok = parse({"--scenario", "drink", "--url", "http://localhost:9000", "--requests=50"});
    REQUIRE(std::holds_alternative<load_flags>(ok));
    auto& flags = std::get<load_flags>(ok);
    CHECK(flags.run.server.port == "9000");
    CHECK(flags.run.requests == 50u);
    CHECK_FALSE(flags.run.duration); // a request count alone runs until it is reached
    CHECK(std::holds_alternative<std::string>(parse({"--url", "http://x:1"})));
    CHECK(std::holds_alternative<std::string>(parse({"--scenario", "echo", "--url", "ftp://x"})));
    CHECK(std::holds_alternative<std::string>(parse({"--scenario", "echo", "--rate", "0"})));
    // Stray words, numbers that would wrap or hide a space or a base: refused.
    CHECK(std::holds_alternative<std::string>(parse({"--scenario", "echo", "extra"})));
    CHECK(std::holds_alternative<std::string>(parse({"--scenario", "echo", "--requests", " 5"})));
    CHECK(std::holds_alternative<std::string>(parse({"--scenario", "echo", "--seed", "-1"})));
    CHECK(std::holds_alternative<std::string>(parse({"--scenario", "echo", "--rate", "0x10"})));
    CHECK(std::holds_alternative<std::string>(
        parse({"--scenario", "echo", "--connections", "18446744073709551617"})));
    // Given twice, the last counts.
    auto twice = parse({"--scenario", "echo", "--seed", "1", "--seed", "2"});
    REQUIRE(std::holds_alternative<load_flags>(twice));
    CHECK(std::get<load_flags>(twice).scenario.seed == 2u);
    scenario_options nap;
    nap.name = "nap";
    CHECK_THROWS_AS(make_scenario(nap), std::invalid_argument);
  }

  namespace {

  /// A fridge server in a map: just enough of the API for the polite scenarios.
  class model_fridges {
  public:
    reply serve(const request& req) {
      auto target = req.target;
      if (req.method == boost::beast::http::verb::post && target == "/fridges") {
        auto body = boost::json::parse(req.body).as_object();
        auto name = std::string{body.at("name").as_string()};
        drinks_[name] = body.at("drinks").as_int64();
        return fridge_reply(201, name);
      }
      auto name = target.substr(9); // after "/fridges/"
      if (auto slash = name.find('/'); slash != std::string::npos) {
        name = name.substr(0, slash);
        auto body = boost::json::parse(req.body).as_object();
        auto n = body.at("drinksRequested").as_int64();
        auto keep = body.contains("leaveAtLeast") ? body.at("leaveAtLeast").as_int64() : 0;
        auto& left = drinks_.at(name);
        auto taken = std::min(n, std::max<std::int64_t>(0, left - keep));
        left -= taken;
        return {200,
                boost::json::serialize(boost::json::object{{"drinksTakenOrAdded", taken},
                                                           {"drinksLeftInFridge", left}}),
                {}};
      }
      return fridge_reply(200, name);
    }

  private:
    reply fridge_reply(unsigned status, const std::string& name) {
      return {status,
              boost::json::serialize(boost::json::object{
                  {"name", name}, {"drinksLeftInFridge", drinks_.at(name)}, {"stopped", false}}),
              {}};
    }
    std::map<std::string, std::int64_t> drinks_;
  };

  /// One round of three drinkers where the fridge serves every request of a
  /// step before the next step: all LOOKs, then all TAKEs. Returns the details.
  boost::json::object one_round(bool atomic) {
    scenario_options options;
    options.name = atomic ? "polite-atomic" : "polite-naive";
    options.clients = 3;
    options.drinkers = 3;
    options.run_id = "t";
    auto scen = make_scenario(options);
    model_fridges fridge;
    std::vector<std::size_t> wake;
    auto create = scen->next(0);
    REQUIRE(create);
    CHECK_FALSE(scen->next(1)); // the others wait for the fridge
    scen->complete(0, *create, fridge.serve(*create), wake);
    CHECK(wake == std::vector<std::size_t>{1, 2});
    // Every drinker's step at once, served in order, until nobody has one.
    for (;;) {
      std::vector<std::pair<std::size_t, request>> step;
      for (std::size_t c = 0; c < 3; ++c)
        if (auto req = scen->next(c); req && req->route != "check" && req->route != "create-fridge")
          step.emplace_back(c, *req);
      if (step.empty())
        break;
      std::vector<reply> replies;
      for (auto& [c, req] : step)
        replies.push_back(fridge.serve(req));
      for (std::size_t i = 0; i < step.size(); ++i) {
        wake.clear();
        scen->complete(step[i].first, step[i].second, replies[i], wake);
      }
    }
    auto check = scen->next(0);
    REQUIRE(check);
    CHECK(check->route == "check");
    scen->complete(0, *check, fridge.serve(*check), wake);
    return scen->details();
  }

  } // namespace

  TEST_CASE("LOOK-then-TAKE empties the fridge when the LOOKs come first; leaveAtLeast does not") {
    auto naive = one_round(false);
    CHECK(naive.at("rounds").as_uint64() == 1);
    CHECK(naive.at("empty_rounds").as_uint64() == 1);
    auto atomic = one_round(true);
    CHECK(atomic.at("rounds").as_uint64() == 1);
    CHECK(atomic.at("empty_rounds").as_uint64() == 0);
  }

} // TEST_SUITE
