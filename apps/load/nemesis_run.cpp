#include "load/nemesis_run.hpp"

#include "check/checker.hpp"
#include "load/history.hpp"
#include "load/routes.hpp"

#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace fridgebank::load {

namespace {

using clock = std::chrono::steady_clock;
namespace http = boost::beast::http;

/// A 2xx or 4xx: the request's outcome is known. A 5xx, no reply, or 409
/// "still in progress" (the first attempt with this key is still running)
/// say nothing about it.
bool definite(const reply& rep) {
  return rep.answered() && rep.status < 500 &&
         !(rep.status == 409 && rep.body.find("in progress") != std::string::npos);
}

/// Records one logical operation: its first call, its last reply.
using recorder = std::function<void(const request&, const reply&, clock::time_point call,
                                    clock::time_point returned)>;

/// One client's connection to wherever the server is now.
class keyed_client {
public:
  keyed_client(spawned_server& server, std::chrono::milliseconds timeout, recorder record)
      : server_(server), timeout_(timeout), record_(std::move(record)) {}

  /// One logical operation: a write until its outcome is known (or
  /// `give_up`), a read once; recorded either way.
  reply op(const request& req, clock::time_point give_up) {
    auto call = clock::now();
    auto rep = req.method == http::verb::post ? until_definite(req, give_up) : once(req);
    record_(req, rep, call, clock::now());
    return rep;
  }

  reply once(const request& req) {
    if (!client_ || server_.generation() != generation_) {
      generation_ = server_.generation();
      try {
        client_ = std::make_unique<sync_client>(server_.where(), timeout_);
      } catch (const std::exception& e) {
        client_.reset();
        return reply{0, {}, e.what()};
      }
    }
    return client_->send(req);
  }

  /// The same request, the same key, until its outcome is known or `give_up`.
  reply until_definite(const request& req, clock::time_point give_up) {
    auto pause = std::chrono::milliseconds{5};
    for (;;) {
      auto rep = once(req);
      if (definite(rep) || clock::now() > give_up)
        return rep;
      std::this_thread::sleep_for(pause); // a client's back-off, as any would
      pause = std::min(pause * 2, std::chrono::milliseconds{100});
    }
  }

private:
  spawned_server& server_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<sync_client> client_;
  std::uint64_t generation_ = 0;
  recorder record_;
};

std::optional<std::int64_t> field(const reply& rep, std::string_view key) {
  auto o = rep.json();
  return o ? int_field(*o, key) : std::nullopt;
}

/// What the clients do, and what the final state must be.
class workload {
public:
  virtual ~workload() = default;
  virtual void setup(keyed_client& c, clock::time_point give_up) = 0;
  virtual request next(std::mt19937_64& rng) = 0;
  /// The definite (or not) outcome of a write; called under the run's lock.
  virtual void judge(const request& req, const reply& rep) = 0;
  virtual std::vector<check> finish(keyed_client& c, clock::time_point give_up) = 0;
};

/// Fridges loaded and drunk from; every acknowledged change must show.
class drink_workload final : public workload {
public:
  explicit drink_workload(std::string run_id) : run_id_(std::move(run_id)) {}

  void setup(keyed_client& c, clock::time_point give_up) override {
    for (int i = 0; i < fridges; ++i) {
      auto req = routes::create_fridge(name(i), initial);
      req.idempotency_key = run_id_ + "-create-" + std::to_string(i);
      if (c.op(req, give_up).status != 201)
        throw std::runtime_error("cannot create fridge " + name(i));
      counts_[name(i)].initial = initial;
    }
  }

  request next(std::mt19937_64& rng) override {
    auto f = name(static_cast<int>(rng() % fridges));
    auto roll = rng() % 10;
    auto n = static_cast<int>(1 + rng() % 3);
    if (roll < 3)
      return routes::get_fridge(f, "look");
    if (roll < 6) // a take, now and then a polite one
      return routes::drink(f, n, roll == 5 ? std::optional<std::int64_t>{1} : std::nullopt);
    return routes::drink(f, -n); // a load
  }

  void judge(const request& req, const reply& rep) override {
    if (req.method == http::verb::get)
      return;
    auto name = req.target.substr(9, req.target.size() - 9 - 6); // /fridges/NAME/drink
    auto requested = boost::json::parse(req.body).as_object().at("drinksRequested").as_int64();
    auto& count = counts_[name];
    if (rep.status == 200)
      count.acknowledged(-field(rep, "drinksTakenOrAdded").value_or(0));
    else if (!definite(rep)) // it may have taken up to n, or loaded n
      count.unknown(-requested);
  }

  std::vector<check> finish(keyed_client& c, clock::time_point give_up) override {
    std::vector<check> checks;
    for (auto& [name, count] : counts_) {
      auto rep = c.op(routes::get_fridge(name), give_up);
      auto left = field(rep, "drinksLeftInFridge");
      if (!left)
        checks.push_back({"fridge " + name, false, "could not be read: " + rep.body});
      else
        checks.push_back(count.judge("no acknowledged drink lost: fridge " + name, *left));
    }
    return checks;
  }

private:
  static constexpr int fridges = 4;
  static constexpr std::int64_t initial = 1000;
  std::string name(int i) const { return run_id_ + "-f" + std::to_string(i); }
  std::string run_id_;
  std::map<std::string, tracked_count> counts_;
};

/// Jepsen's bank: transfers between a fixed set of accounts; the total never
/// changes, and each balance ends where its acknowledged transfers put it.
class bank_workload final : public workload {
public:
  explicit bank_workload(std::string run_id) : run_id_(std::move(run_id)), snapshots_(total()) {}

  void setup(keyed_client& c, clock::time_point give_up) override {
    for (int i = 0; i < accounts; ++i) {
      auto open = routes::create_account(id(i));
      open.idempotency_key = run_id_ + "-open-" + std::to_string(i);
      auto fund = routes::deposit(id(i), initial);
      fund.idempotency_key = run_id_ + "-fund-" + std::to_string(i);
      if (c.op(open, give_up).status != 201 || c.op(fund, give_up).status != 200)
        throw std::runtime_error("cannot open and fund account " + id(i));
      counts_[id(i)].initial = initial;
    }
  }

  request next(std::mt19937_64& rng) override {
    auto roll = rng() % 4;
    if (roll == 0)
      return routes::get_account(id(static_cast<int>(rng() % accounts)));
    if (roll == 1)
      return routes::list_accounts();
    auto from = static_cast<int>(rng() % accounts);
    auto to = static_cast<int>((from + 1 + rng() % (accounts - 1)) % accounts);
    return routes::transfer(id(from), id(to), static_cast<std::int64_t>(1 + rng() % 30));
  }

  void judge(const request& req, const reply& rep) override {
    if (req.method == http::verb::get) {
      bool snapshot = req.target == "/accounts" || req.target.starts_with("/accounts?");
      if (snapshot && rep.status == 200)
        observe_snapshot(rep);
      return;
    }
    auto body = boost::json::parse(req.body).as_object();
    auto from = std::string{body.at("from").as_string()};
    auto to = std::string{body.at("to").as_string()};
    auto amount = body.at("amount").as_int64();
    if (rep.status == 200) {
      counts_[from].acknowledged(-amount);
      counts_[to].acknowledged(amount);
    } else if (!definite(rep)) {
      counts_[from].unknown(-amount);
      counts_[to].unknown(amount);
    }
  }

  std::vector<check> finish(keyed_client& c, clock::time_point give_up) override {
    auto checks = snapshots_.verdict();
    std::int64_t sum = 0;
    for (auto& [account, count] : counts_) {
      auto rep = c.op(routes::get_account(account), give_up);
      auto balance = field(rep, "balance");
      if (!balance) {
        checks.push_back({"account " + account, false, "could not be read: " + rep.body});
        continue;
      }
      sum += *balance;
      checks.push_back(count.judge("balance reconciles: " + account, *balance));
    }
    checks.push_back({"the total is what was deposited", sum == total(),
                      std::to_string(sum) + " of " + std::to_string(total())});
    return checks;
  }

private:
  static constexpr int accounts = 8;
  static constexpr std::int64_t initial = 1000;
  static std::int64_t total() { return accounts * initial; }
  std::string id(int i) const { return run_id_ + "-a" + std::to_string(i); }

  void observe_snapshot(const reply& rep) {
    auto o = rep.json();
    if (!o || !o->contains("accounts"))
      return;
    std::vector<std::int64_t> ours;
    for (const auto& a : o->at("accounts").as_array())
      if (a.as_object().at("id").as_string().starts_with(run_id_))
        ours.push_back(a.as_object().at("balance").as_int64());
    if (ours.size() == accounts)
      snapshots_.observe(ours);
  }

  std::string run_id_;
  std::map<std::string, tracked_count> counts_;
  snapshot_checker snapshots_;
};

std::unique_ptr<workload> make_workload(const nemesis_run_options& o) {
  if (o.scenario == "drink")
    return std::make_unique<drink_workload>(o.run_id);
  if (o.scenario == "bank")
    return std::make_unique<bank_workload>(o.run_id);
  throw std::invalid_argument("--nemesis runs the drink or the bank scenario, not " + o.scenario);
}

/// Everything the client threads share, behind one lock.
struct shared_run {
  std::mutex mutex;
  workload& work;
  history_log& history;
  clock::time_point epoch;
  std::atomic<std::uint64_t> operations{0}, indefinite{0};
  /// The first acknowledged writes, replayed at the end: their keys must
  /// have survived every restart since.
  std::vector<std::pair<request, reply>> acknowledged;
};

/// Records into the shared history as `client`.
recorder recording(shared_run& run, std::int64_t client) {
  return [&run, client](const request& req, const reply& rep, clock::time_point call,
                        clock::time_point returned) {
    std::lock_guard guard{run.mutex};
    run.history.record(client, req, rep, call - run.epoch, returned - run.epoch);
  };
}

void client_loop(shared_run& run, spawned_server& server, const nemesis_run_options& o,
                 std::size_t client, clock::time_point end) {
  keyed_client c{server, o.timeout, recording(run, static_cast<std::int64_t>(client))};
  std::mt19937_64 rng{o.seed * 1000 + client};
  auto give_up = end + std::chrono::seconds{30}; // the last writes settle after the end
  for (std::uint64_t seq = 0; clock::now() < end; ++seq) {
    request req;
    {
      std::lock_guard guard{run.mutex};
      req = run.work.next(rng);
    }
    bool write = req.method == http::verb::post;
    if (write)
      req.idempotency_key = o.run_id + "-c" + std::to_string(client) + "-" + std::to_string(seq);
    auto rep = c.op(req, give_up);
    std::lock_guard guard{run.mutex};
    run.work.judge(req, rep);
    if (!req.idempotency_key.empty() && rep.success() && run.acknowledged.size() < 50)
      run.acknowledged.emplace_back(req, rep);
    ++run.operations;
    run.indefinite += definite(rep) ? 0 : 1;
  }
}

/// Sends the first acknowledged writes again, same key, same body: each
/// must answer its first reply again (not run twice), across the restarts
/// since. Not recorded: a replay is not an operation.
check replay_keys(shared_run& run, spawned_server& server, const nemesis_run_options& o) {
  keyed_client c{server, o.timeout, [](auto&&...) {}};
  std::size_t same = 0;
  std::string first_wrong;
  for (auto& [req, first] : run.acknowledged) {
    auto again = c.until_definite(req, clock::now() + std::chrono::seconds{30});
    if (again.status == first.status && again.body == first.body)
      ++same;
    else if (first_wrong.empty())
      first_wrong = "; " + req.target + " " + req.body + " first " + first.body + ", now " +
                    std::to_string(again.status) + " " + again.body;
  }
  return {"Idempotency-Keys survive the restarts", same == run.acknowledged.size(),
          std::to_string(same) + " of " + std::to_string(run.acknowledged.size()) +
              " acknowledged writes replayed their first reply" + first_wrong};
}

/// The history's verdict, as fridgebank-check would give it.
check linearizable(const std::string& path) {
  namespace lin = fridgebank::check;
  auto history = lin::read_history({path});
  if (auto* err = std::get_if<std::string>(&history))
    return {"the history is linearizable", false, "unreadable: " + *err};
  auto r = lin::check_history(std::get<std::vector<lin::http_operation>>(history),
                              lin::options{std::chrono::seconds{60}});
  auto text = lin::to_text(r);
  bool ok = r.overall == lin::verdict::linearizable;
  return {"the history is linearizable", ok,
          ok ? text.substr(0, text.size() - 1) : text + "(fridgebank-check " + path + ")"};
}

std::string faults_text(const std::vector<nemesis_event>& events) {
  std::string text;
  for (const auto& e : events)
    text += e.what + "@" + std::to_string(e.at.count() / 1'000'000) + "ms ";
  return text;
}

/// Samples the run once a second until `end` (a progress line each, unless
/// quiet): what the plot draws.
std::vector<nemesis_second> watch(shared_run& run, nemesis& faults, const nemesis_run_options& o,
                                  clock::time_point end) {
  std::vector<nemesis_second> seconds;
  std::uint64_t ops_before = 0, indefinite_before = 0;
  for (auto next = run.epoch + std::chrono::seconds{1};
       next <= end + std::chrono::milliseconds{500}; next += std::chrono::seconds{1}) {
    std::this_thread::sleep_until(next); // a sample a second
    std::uint64_t ops = run.operations, indefinite = run.indefinite;
    seconds.push_back({std::chrono::duration<double>(next - run.epoch).count() - 0.5,
                       ops - ops_before, indefinite - indefinite_before});
    ops_before = ops, indefinite_before = indefinite;
    if (o.progress)
      std::cerr << "  " << seconds.size() << " s: " << ops
                << " operations, faults: " << faults_text(faults.events()) << "\n";
  }
  return seconds;
}

} // namespace

int run_under_nemesis(const nemesis_run_options& o) {
  spawned_server server{o.spawn};
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "fridgebank-load: " << e.what() << "\n";
    return 2;
  }
  auto work = make_workload(o);
  auto path = o.history_path.empty()
                  ? "/tmp/fridgebank-nemesis-" + std::to_string(::getpid()) + ".jsonl"
                  : o.history_path;
  history_log history{path};
  shared_run run{{}, *work, history, clock::now(), {}, {}, {}};
  auto epoch = run.epoch;
  {
    keyed_client setup{server, o.timeout, recording(run, -1)};
    work->setup(setup, clock::now() + std::chrono::seconds{30});
  }
  nemesis faults{server, o.faults, epoch};
  auto end = clock::now() + o.duration;
  std::vector<std::thread> clients;
  for (std::size_t i = 0; i < o.clients; ++i)
    clients.emplace_back([&, i] { client_loop(run, server, o, i, end); });
  auto seconds = watch(run, faults, o, end);
  for (auto& t : clients)
    t.join();
  faults.stop();
  auto replayed = replay_keys(run, server, o); // before the final reads: a re-run shows there
  keyed_client final_reads{server, o.timeout, recording(run, -1)};
  auto checks = work->finish(final_reads, clock::now() + std::chrono::seconds{30});
  history.close(clock::now() - epoch);
  checks.insert(checks.begin(), linearizable(path));
  checks.push_back(std::move(replayed));
  for (auto& failure : faults.failures())
    checks.push_back({"the server under the nemesis", false, failure});
  bool passed = true;
  std::cout << o.scenario << " under the nemesis: " << run.operations << " operations ("
            << run.indefinite
            << " without a definite answer), faults: " << faults_text(faults.events()) << "\n";
  for (auto& c : checks) {
    std::cout << (c.passed ? "  ok    " : "  FAIL  ") << c.name << ": " << c.detail << "\n";
    passed = passed && c.passed;
  }
  std::cout << "verdict: " << (passed ? "passed" : "FAILED") << "\n";
  if (!o.plot_path.empty())
    plot_nemesis(o.plot_path,
                 o.scenario + " under the nemesis (" + (passed ? "passed" : "FAILED") + ")",
                 seconds, faults.events());
  if (passed && o.history_path.empty())
    ::unlink(path.c_str());
  return passed ? 0 : 1;
}

} // namespace fridgebank::load

namespace fridgebank::load {

void plot_nemesis(const std::string& path, const std::string& title,
                  const std::vector<nemesis_second>& seconds,
                  const std::vector<nemesis_event>& events) {
  std::ostringstream script;
  script << "$ops << EOD\n";
  for (const auto& s : seconds)
    script << s.at << ' ' << s.operations << ' ' << s.indefinite << '\n';
  script << "EOD\nset terminal pngcairo size 1100,500 font ',10'\nset output '" << path << "'\n"
         << "set title '" << title << "' noenhanced\nset grid\nset key below\n"
         << "set xlabel 'seconds into the run'\nset ylabel 'operations per second'\n"
         << "set xrange [0:*]\nset yrange [0:*]\n";
  int n = 0;
  for (const auto& e : events) {
    if (e.what == "restart" || e.what == "resume")
      continue; // drawn as the fault's own line
    auto x = std::chrono::duration<double>(e.at).count();
    const char* color = e.what == "kill" ? "#d9534f" : e.what == "term" ? "#f0ad4e" : "#5bc0de";
    ++n;
    script << "set arrow " << n << " from " << x << ", graph 0 to " << x
           << ", graph 1 nohead lc rgb '" << color << "' lw 1.5\n"
           << "set label " << n << " '" << e.what << "' at " << x
           << ", graph 0.97 left offset 0.3,0 "
           << "tc rgb '" << color << "'\n";
  }
  script << "plot $ops using 1:2 with lines lw 2 title 'operations', "
            "'' using 1:3 with impulses lw 3 title 'without a definite answer'\n";
  std::unique_ptr<FILE, int (*)(FILE*)> gnuplot{popen("gnuplot 2>&1", "w"), pclose};
  if (!gnuplot)
    throw std::runtime_error("cannot run gnuplot");
  auto text = script.str();
  std::fwrite(text.data(), 1, text.size(), gnuplot.get());
  if (pclose(gnuplot.release()) != 0)
    throw std::runtime_error("gnuplot failed (is gnuplot-nox installed?); " + path +
                             " was not written");
}

} // namespace fridgebank::load
