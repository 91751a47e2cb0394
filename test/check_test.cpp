// fridgebank-check against hand-made histories, linearizable and not: a
// checker is only worth the violations it is shown to catch, and the
// correct histories it is shown to pass (unanswered operations that did and
// did not take effect among them).

#include "check/checker.hpp"

#include <doctest/doctest.h>
#include <sstream>

using namespace fridgebank::check;

namespace {

/// Builds a history line by line, as fridgebank-load --history writes it.
struct history_text {
  std::string lines;

  /// `status` 0: no reply. Times in any unit; only their order matters.
  history_text& op(int client, const char* method, const std::string& target,
                   const std::string& body, long call, long ret, int status = 200,
                   const std::string& reply = "null") {
    std::ostringstream text;
    text << R"({"ClientId":)" << client << R"(,"Input":{"method":")" << method << R"(","target":")"
         << target << R"(","body":)" << (body.empty() ? "null" : body) << R"(},"Call":)" << call
         << R"(,"Output":)";
    if (status == 0)
      text << "null";
    else
      text << R"({"status":)" << status << R"(,"body":)" << reply << "}";
    text << R"(,"Return":)" << ret << "}\n";
    lines += text.str();
    return *this;
  }

  report check(std::chrono::milliseconds budget = std::chrono::seconds{10}) const {
    auto parsed = parse_history(lines, "test");
    REQUIRE(std::holds_alternative<std::vector<http_operation>>(parsed));
    return check_history(std::get<std::vector<http_operation>>(parsed), options{budget});
  }
};

std::string drink(int n) {
  return R"({"drinksRequested":)" + std::to_string(n) + "}";
}
std::string took(int t, int left) {
  return R"({"drinksTakenOrAdded":)" + std::to_string(t) + R"(,"drinksLeftInFridge":)" +
         std::to_string(left) + "}";
}
std::string fridge(int left, bool stopped = false) {
  return R"({"name":"f","drinksLeftInFridge":)" + std::to_string(left) + R"(,"stopped":)" +
         (stopped ? "true" : "false") + "}";
}
std::string balance(const char* id, int b) {
  return std::string{R"({"id":")"} + id + R"(","balance":)" + std::to_string(b) + "}";
}

history_text created(int drinks) {
  history_text h;
  h.op(0, "POST", "/fridges", R"({"name":"f","drinks":)" + std::to_string(drinks) + "}", 0, 1, 201,
       fridge(drinks));
  return h;
}

} // namespace

TEST_CASE("sequential drinks and looks are linearizable; a stale look is not") {
  auto good = created(5);
  good.op(1, "POST", "/fridges/f/drink", drink(2), 2, 3, 200, took(2, 3))
      .op(2, "GET", "/fridges/f", "", 4, 5, 200, fridge(3));
  CHECK(good.check().overall == verdict::linearizable);

  auto stale = created(5);
  stale.op(1, "POST", "/fridges/f/drink", drink(2), 2, 3, 200, took(2, 3))
      .op(2, "GET", "/fridges/f", "", 4, 5, 200, fridge(5));
  auto r = stale.check();
  REQUIRE(r.overall == verdict::violation);
  REQUIRE(r.objects.size() == 1);
  auto& v = r.objects[0];
  CHECK(v.object == "fridge f");
  // The core: the drink and the look after it, whatever the fridge held before.
  CHECK(v.core_minimal);
  REQUIRE(v.core.size() == 2);
  CHECK(v.core[0].text == "drink(2) -> 200 {taken 2, left 3}");
  CHECK(v.core[1].text == "look -> 200 {left 5}");
  CHECK(to_text(r).find("cannot be ordered") != std::string::npos);
  CHECK(to_html(r).find("class=\"core\"") != std::string::npos);
}

TEST_CASE("concurrent drinks: either order is fine, a lost update is not") {
  auto both = created(5);
  both.op(1, "POST", "/fridges/f/drink", drink(1), 2, 10, 200, took(1, 3))
      .op(2, "POST", "/fridges/f/drink", drink(1), 3, 9, 200, took(1, 4));
  CHECK(both.check().overall == verdict::linearizable);

  auto lost = created(5);
  lost.op(1, "POST", "/fridges/f/drink", drink(1), 2, 10, 200, took(1, 4))
      .op(2, "POST", "/fridges/f/drink", drink(1), 3, 9, 200, took(1, 4));
  CHECK(lost.check().overall == verdict::violation);
}

TEST_CASE("an unanswered drink may take effect after its call, or never; not before") {
  auto took_effect = created(5);
  took_effect.op(1, "POST", "/fridges/f/drink", drink(2), 2, 3, 0)
      .op(2, "GET", "/fridges/f", "", 10, 11, 200, fridge(3));
  CHECK(took_effect.check().overall == verdict::linearizable);

  auto never = created(5);
  never.op(1, "POST", "/fridges/f/drink", drink(2), 2, 3, 0)
      .op(2, "GET", "/fridges/f", "", 10, 11, 200, fridge(5));
  CHECK(never.check().overall == verdict::linearizable);

  auto half = created(5);
  half.op(1, "POST", "/fridges/f/drink", drink(2), 2, 3, 0)
      .op(2, "GET", "/fridges/f", "", 10, 11, 200, fridge(4));
  CHECK(half.check().overall == verdict::violation);

  // A 503 timeout is no definite answer either.
  auto timed_out = created(5);
  timed_out.op(1, "POST", "/fridges/f/drink", drink(2), 2, 3, 503, R"({"error":"timeout"})")
      .op(2, "GET", "/fridges/f", "", 10, 11, 200, fridge(3));
  CHECK(timed_out.check().overall == verdict::linearizable);

  auto before_call = created(5);
  before_call.op(2, "GET", "/fridges/f", "", 2, 3, 200, fridge(3))
      .op(1, "POST", "/fridges/f/drink", drink(2), 10, 11, 0);
  CHECK(before_call.check().overall == verdict::violation);
}

TEST_CASE("the pill: drinks after it are refused, looks show the final state") {
  auto h = created(2);
  h.op(1, "POST", "/fridges/f/stop", "", 2, 3, 200, fridge(2, true))
      .op(2, "POST", "/fridges/f/drink", drink(1), 4, 5, 410, R"({"error":"stopped"})")
      .op(3, "GET", "/fridges/f", "", 6, 7, 200, fridge(2, true));
  CHECK(h.check().overall == verdict::linearizable);

  auto served_after = created(2);
  served_after.op(1, "POST", "/fridges/f/stop", "", 2, 3, 200, fridge(2, true))
      .op(2, "POST", "/fridges/f/drink", drink(1), 4, 5, 200, took(1, 1));
  CHECK(served_after.check().overall == verdict::violation);
}

TEST_CASE("leaveAtLeast: three polite drinkers may not empty the fridge") {
  auto h = created(2);
  auto polite = R"({"drinksRequested":1,"leaveAtLeast":1})";
  h.op(1, "POST", "/fridges/f/drink", polite, 2, 10, 200, took(1, 1))
      .op(2, "POST", "/fridges/f/drink", polite, 3, 10, 200, took(0, 1))
      .op(3, "POST", "/fridges/f/drink", polite, 4, 10, 200, took(0, 1));
  CHECK(h.check().overall == verdict::linearizable);
  auto emptied = created(2);
  emptied.op(1, "POST", "/fridges/f/drink", polite, 2, 10, 200, took(1, 1))
      .op(2, "POST", "/fridges/f/drink", polite, 3, 10, 200, took(1, 0));
  CHECK(emptied.check().overall == verdict::violation);
}

TEST_CASE("the bank: transfers, snapshots with totals, refusals with balances") {
  history_text h;
  h.op(0, "POST", "/accounts", R"({"id":"a"})", 0, 1, 201, balance("a", 0))
      .op(0, "POST", "/accounts", R"({"id":"b"})", 2, 3, 201, balance("b", 0))
      .op(0, "POST", "/accounts/a/deposit", R"({"amount":10})", 4, 5, 200, balance("a", 10))
      .op(1, "POST", "/transfers", R"({"from":"a","to":"b","amount":4})", 6, 20, 200,
          R"({"from":{"id":"a","balance":6},"to":{"id":"b","balance":4}})")
      .op(2, "GET", "/accounts", "", 7, 19, 200,
          R"({"accounts":[{"id":"a","balance":10},{"id":"b","balance":0}],"total":10})")
      .op(3, "POST", "/accounts/b/withdraw", R"({"amount":5})", 21, 22, 409,
          R"({"error":"insufficient_funds","message":"m","balance":4})");
  CHECK(h.check().overall == verdict::linearizable);

  auto torn = h;
  torn.op(2, "GET", "/accounts", "", 30, 31, 200,
          R"({"accounts":[{"id":"a","balance":6},{"id":"b","balance":0}],"total":6})");
  CHECK(torn.check().overall == verdict::violation);

  auto stale_refusal = h;
  stale_refusal.op(3, "POST", "/accounts/b/withdraw", R"({"amount":5})", 30, 31, 409,
                   R"({"error":"insufficient_funds","message":"m","balance":0})");
  CHECK(stale_refusal.check().overall == verdict::violation);
}

TEST_CASE("the bank: a deposit applied twice, and one with no definite answer") {
  history_text base;
  base.op(0, "POST", "/accounts", R"({"id":"a"})", 0, 1, 201, balance("a", 0));
  auto once = base;
  once.op(1, "POST", "/accounts/a/deposit", R"({"amount":5})", 2, 3, 503, R"({"error":"timeout"})")
      .op(2, "GET", "/accounts/a", "", 10, 11, 200, balance("a", 5));
  CHECK(once.check().overall == verdict::linearizable);
  auto twice = base;
  twice.op(1, "POST", "/accounts/a/deposit", R"({"amount":5})", 2, 3, 503, R"({"error":"timeout"})")
      .op(2, "GET", "/accounts/a", "", 10, 11, 200, balance("a", 10));
  CHECK(twice.check().overall == verdict::violation);
}

TEST_CASE("undecided within the budget is said, never claimed either way") {
  auto h = created(5);
  // Twenty concurrent looks and one that no order explains: every subset of
  // the twenty is tried before the search can say "violation".
  for (int i = 0; i < 20; ++i)
    h.op(i + 1, "GET", "/fridges/f", "", 10 + i, 100, 200, fridge(5));
  h.op(30, "GET", "/fridges/f", "", 11, 99, 200, fridge(6));
  CHECK(h.check(std::chrono::milliseconds{0}).overall == verdict::undecided);
}

TEST_CASE("unreadable input is an error, not a verdict") {
  for (auto bad :
       {"not json\n",
        R"({"ClientId":1})"
        "\n",
        R"({"ClientId":1,"Input":{"method":"GET","target":"/"},"Call":5,"Output":null,"Return":4})"
        "\n"}) {
    auto parsed = parse_history(bad, "h");
    REQUIRE(std::holds_alternative<std::string>(parsed));
    CHECK(std::get<std::string>(parsed).rfind("h:1: ", 0) == 0);
  }
}

TEST_CASE("the contract's edges: the ledger total, a reused key, HEAD, a 410 on a look") {
  history_text total;
  auto max = std::string{"9007199254740991"};
  total.op(0, "POST", "/accounts", R"({"id":"a"})", 0, 1, 201, balance("a", 0))
      .op(0, "POST", "/accounts", R"({"id":"b"})", 2, 3, 201, balance("b", 0))
      .op(0, "POST", "/accounts/a/deposit", R"({"amount":)" + max + "}", 4, 5, 200,
          R"({"id":"a","balance":)" + max + "}");
  auto refused = total;
  refused.op(0, "POST", "/accounts/b/deposit", R"({"amount":1})", 6, 7, 422,
             R"({"error":"limit_exceeded","message":"m"})");
  CHECK(refused.check().overall == verdict::linearizable); // no ledger total past 2^53-1
  auto allowed = total;
  allowed.op(0, "POST", "/accounts/b/deposit", R"({"amount":1})", 6, 7, 200, balance("b", 1));
  CHECK(allowed.check().overall == verdict::violation);

  auto reused = created(5);
  reused.op(1, "POST", "/fridges/f/drink", drink(1), 2, 3, 422,
            R"({"error":"idempotency_key_reused","message":"m"})");
  CHECK(reused.check().overall == verdict::linearizable); // not executed: nothing changes

  auto head = created(5);
  head.op(1, "HEAD", "/fridges/f", "", 2, 3, 200);
  CHECK(head.check().overall == verdict::linearizable); // no body to check

  auto gone = created(5);
  gone.op(1, "POST", "/fridges/f/stop", "", 2, 3, 200, fridge(5, true))
      .op(2, "GET", "/fridges/f", "", 4, 5, 410, R"({"error":"stopped","message":"m"})");
  CHECK(gone.check().overall == verdict::violation); // GET shows a stopped fridge's state
}
