// A deterministic simulation of the journal, in the spirit of TigerBeetle's
// VOPR: CAF's test coordinator picks, by a seed, which actor runs next; a
// seeded store fails some commits and some fsyncs; its sync lanes take a
// snapshot of what is written when an fsync begins and make it durable when
// it ends, with other work scheduled in between; and at a seeded moment the
// process "crashes" (nothing more runs; a restart finds what was synced, or,
// by the seed, everything written, as when the OS flushed it anyway). Depositors and drinkers
// record every reply they got. Checked, for every seed:
//   - every acknowledged effect is durable: each account holds at least its
//     acknowledged deposits, each fridge at most its initial drinks minus
//     its acknowledged takes, and neither more than was ever sent;
//   - no reply showed what was not durable: every balance a reply showed is
//     at most the durable one (deposits only add), every count of drinks a
//     reply showed at least the durable one (drinks only go);
//   - after a failed commit, the actors equal the store again (checked by
//     reading every account and fridge through them before the crash);
//   - a restart from the store serves exactly what the store holds.
// A failing seed is printed; FRIDGEBANK_SEED=N runs only that seed, and
// FRIDGEBANK_SIM_RUNS=N sets how many seeds a run tries (default 2000).

#include "actor_fixture.hpp"
#include "fridgebank/actors/bank.hpp"
#include "fridgebank/actors/directory.hpp"
#include "fridgebank/actors/journal.hpp"
#include "fridgebank/actors/store.hpp"

#include <caf/event_based_actor.hpp>
#include <cstdlib>
#include <doctest/doctest.h>
#include <iostream>
#include <map>
#include <memory>
#include <random>

using namespace fridgebank;
using fridgebank::test::actor_fixture;

namespace {

constexpr int accounts = 3, fridges = 2, clients = 4, ops_each = 6, sweeps = 4;
constexpr std::int64_t initial_drinks = 100;

/// The disk: applies a batch whole or not at all to what is written, which
/// is durable only once synced; fails commits by the seed.
struct sim_store final : store {
  std::mt19937_64& rng;
  durable_state written; // what commits made: what the process reads back
  durable_state disk;    // what the last fsync made durable
  std::uint64_t commits = 0, synced_commits = 0;
  std::uint64_t failed = 0;
  bool sync_failed = false;
  bool crashed = false; // the process is gone: nothing of it reaches the disk any more

  explicit sim_store(std::mt19937_64& r) : rng(r) {}

  caf::expected<durable_state> load() override { return written; }

  /// An fsync that began when `snapshot` (the first `count` commits) was
  /// what was written ends now.
  void synced(const durable_state& snapshot, std::uint64_t count) {
    // Nothing reaches the disk after a crash, nor after a failed fsync
    // (Linux drops the pages it could not write, and WAL recovery stops at
    // the first frame missing); a later fsync may have covered it already.
    if (crashed || sync_failed || count <= synced_commits)
      return;
    disk = snapshot;
    synced_commits = count;
  }

  caf::error sync(std::size_t) override {
    synced(written, commits);
    return {};
  }

  caf::error commit(const std::vector<const journal_entry*>& batch) override {
    if (crashed)
      return make_error(error_code::internal, "the process crashed");
    if (rng() % 8 == 0) { // a failed write (disk full, I/O error): nothing applied
      ++failed;
      return make_error(error_code::internal, "simulated failure");
    }
    for (const auto* e : batch) {
      for (const auto& f : e->fridges)
        upsert(
            written.fridges, f, [](auto& r) -> auto& { return r.name; });
      for (const auto& a : e->accounts)
        upsert(
            written.accounts, a, [](auto& r) -> auto& { return r.id; });
    }
    ++commits;
    return {};
  }

  template <class Row, class Key>
  static void upsert(std::vector<Row>& rows, const Row& row, Key key) {
    for (auto& r : rows)
      if (key(r) == key(row)) {
        r = row;
        return;
      }
    rows.push_back(row);
  }

  std::int64_t balance(const std::string& id) const {
    for (auto& a : disk.accounts)
      if (a.id == id)
        return a.balance;
    return -1;
  }
  std::int64_t drinks(const std::string& name) const {
    for (auto& f : disk.fridges)
      if (f.name == name)
        return f.drinks;
    return -1;
  }
};

/// Answers anything: a sync lane's request to it lets the scheduler run
/// other actors between an fsync's beginning and its end.
caf::behavior bouncer() {
  return {[](sync_atom) { return true; }};
}

/// A sync lane of the simulation: the fsync begins (what is written now is
/// what it will make durable), other actors run, then it ends, or fails by
/// the seed.
sync_lane_actor::behavior_type sim_lane(sync_lane_actor::pointer self,
                                        std::shared_ptr<sim_store> db, caf::actor bounce) {
  return {
      [=](sync_atom, std::uint64_t seq) -> caf::result<std::uint64_t, std::uint64_t> {
        auto rp = self->make_response_promise<std::uint64_t, std::uint64_t>();
        self->request(bounce, caf::infinite, sync_atom::value)
            .then([=, snapshot = db->written, count = db->commits](bool) mutable {
              if (db->rng() % 64 == 0) { // an I/O error: what is written may be lost
                db->sync_failed = true;
                rp.deliver(make_error(error_code::internal, "simulated fsync failure"));
                return;
              }
              db->synced(snapshot, count);
              rp.deliver(seq, std::uint64_t{0});
            });
        return rp;
      },
      [self](stop_atom) {
        self->quit();
        return true;
      },
  };
}

/// What the clients saw: per object, acknowledged and sent changes, and
/// the extreme values replies showed.
struct observed {
  std::map<std::string, std::int64_t> acked, sent;
  std::map<std::string, std::int64_t> highest_balance, lowest_drinks; // as replies showed them
};

std::string account_name(int i) {
  return "a" + std::to_string(i);
}
std::string fridge_name(int i) {
  return "f" + std::to_string(i);
}

/// A client: `ops_each` requests one after the other, deposits of 1, takes
/// of 1 or reads of either, recording what came back.
void saw_balance(observed& seen, const std::string& id, std::int64_t balance) {
  seen.highest_balance[id] = std::max(seen.highest_balance[id], balance);
}

void saw_drinks(observed& seen, const std::string& name, std::int64_t left) {
  auto [it, fresh] = seen.lowest_drinks.emplace(name, left);
  if (!fresh)
    it->second = std::min(it->second, left);
}

void client(caf::event_based_actor* self, bank_actor bank, directory_actor dir, int seed,
            std::shared_ptr<observed> seen, int left) {
  if (left == 0)
    return;
  auto next = [=] { client(self, bank, dir, seed, seen, left - 1); };
  auto failed = [=](caf::error&) { next(); };
  auto id = account_name((seed * 7 + left) % accounts);
  auto name = fridge_name((seed * 5 + left) % fridges);
  switch ((seed + left) % 4) {
  case 0:
    ++seen->sent[id];
    self->request(bank, caf::infinite, deposit_atom::value, id, std::int64_t{1})
        .then(
            [=](const account& a) {
              ++seen->acked[id];
              saw_balance(*seen, id, a.balance);
              next();
            },
            failed);
    break;
  case 1:
    ++seen->sent[name];
    self->request(dir, caf::infinite, drink_atom::value, name, drink_request{1, 0})
        .then(
            [=](const fridge_result& r) {
              seen->acked[name] += r.drinks_taken_or_added;
              saw_drinks(*seen, name, r.drinks_left_in_fridge);
              next();
            },
            failed);
    break;
  case 2: // a read waits for the writes before it to be durable
    self->request(bank, caf::infinite, balance_atom::value, id)
        .then(
            [=](const account& a) {
              saw_balance(*seen, id, a.balance);
              next();
            },
            failed);
    break;
  default:
    self->request(dir, caf::infinite, look_atom::value, name)
        .then(
            [=](const fridge_state& f) {
              saw_drinks(*seen, name, f.drinks_left_in_fridge);
              next();
            },
            failed);
  }
}

struct life : actor_fixture {
  std::mt19937_64 rng;
  std::shared_ptr<sim_store> db;
  journal_actor j;
  bank_actor b;
  directory_actor d;

  std::vector<std::tuple<journal_actor, bank_actor, directory_actor>> sets;

  explicit life(std::uint64_t seed) : rng(seed), db(std::make_shared<sim_store>(rng)) {}

  /// Every set this life spawned drains (the journal and the actors it rolls
  /// back hold each other alive until then), so the actor system can end.
  ~life() {
    for (auto& [journal, bank, dir] : sets) {
      self->send(dir, drain_atom::value);
      self->send(bank, drain_atom::value);
      sched.run();
      self->send(journal, stop_atom::value);
      sched.run();
    }
  }

  /// Spawns a journal with 0 to 3 sync lanes (by the seed) and the actors over it.
  void spawn_set() {
    auto durable = *db->load();
    std::vector<sync_lane_actor> lanes;
    auto bounce = sys.spawn(bouncer);
    for (auto n = rng() % 4; n > 0; --n)
      lanes.push_back(sys.spawn(sim_lane, db, bounce));
    j = sys.spawn(journal, db, std::vector<idempotency_record>{}, nullptr, std::move(lanes));
    d = sys.spawn(journaled_directory, durable, journal_link{j, durable.epoch, nullptr},
                  default_max_entries);
    b = sys.spawn(journaled_bank, durable, journal_link{j, durable.epoch, nullptr},
                  default_max_entries);
    self->send(j, register_atom::value, caf::actor_cast<caf::actor>(d));
    self->send(j, register_atom::value, caf::actor_cast<caf::actor>(b));
    sets.emplace_back(j, b, d);
    sched.run();
  }

  /// Every account and fridge, read through the actors, is what the store holds.
  void check_actors_equal_store() {
    for (int i = 0; i < accounts; ++i)
      CHECK(ask<account>(b, balance_atom::value, account_name(i))->balance ==
            db->balance(account_name(i)));
    for (int i = 0; i < fridges; ++i)
      CHECK(ask<fridge_state>(d, look_atom::value, fridge_name(i))->drinks_left_in_fridge ==
            db->drinks(fridge_name(i)));
  }

  /// Runs jobs in the seed's order, `steps` at most.
  void run_some(std::size_t steps) {
    for (std::size_t i = 0; i < steps && !sched.jobs.empty(); ++i) {
      auto pick = rng() % sched.jobs.size();
      std::swap(sched.jobs[0], sched.jobs[pick]);
      sched.run_once();
    }
  }
};

} // namespace

TEST_CASE(
    "journal simulation: seeded schedules, failed commits and crashes lose nothing acknowledged") {
  std::uint64_t first = 1, runs = 2000;
  if (auto* s = std::getenv("FRIDGEBANK_SEED"))
    first = std::strtoull(s, nullptr, 10), runs = 1;
  else if (auto* n = std::getenv("FRIDGEBANK_SIM_RUNS"))
    runs = std::strtoull(n, nullptr, 10);
  std::uint64_t failed_commits = 0, crashed_mid_run = 0;
  // The journal reports every failed commit on stderr: thousands here.
  auto* quiet = std::cerr.rdbuf(nullptr);
  for (auto seed = first; seed < first + runs; ++seed) {
    CAPTURE(seed); // FRIDGEBANK_SEED=<seed> replays it
    life l{seed};
    // The objects exist before the run (set up without faults).
    for (int i = 0; i < accounts; ++i)
      l.db->disk.accounts.push_back({account_name(i), 0});
    for (int i = 0; i < fridges; ++i)
      l.db->disk.fridges.push_back({fridge_name(i), initial_drinks, false});
    l.db->written = l.db->disk;
    l.spawn_set();
    auto seen = std::make_shared<observed>();
    for (int c = 0; c < clients; ++c)
      // The handles are taken now: a client first scheduled after the
      // crash still talks to the crashed process, never to the restart.
      l.sys.spawn([b = l.b, d = l.d, c, seed, seen](caf::event_based_actor* self) {
        client(self, b, d, static_cast<int>(seed) * clients + c, seen, ops_each);
      });
    // Sweeps at the seed's moments: fridges rest and wake again mid-run,
    // some while requests, commits and rollbacks are under way.
    for (int r = 0; r < sweeps; ++r)
      l.sys.spawn([d = l.d](caf::event_based_actor* self) { self->send(d, rest_atom::value); });
    auto budget = static_cast<std::size_t>(l.rng() % 200); // the crash comes after this many steps
    l.run_some(budget);
    failed_commits += l.db->failed;
    if (l.sched.jobs.empty() && !l.db->sync_failed) {
      // Everything ran: after every failed commit the actors were rolled
      // back; they must now equal the store exactly. (After a failed fsync
      // the journal refuses everything, reads too, until a restart.)
      l.check_actors_equal_store();
    } else if (!l.sched.jobs.empty()) {
      ++crashed_mid_run;
    }
    // The crash: nothing more runs. What was synced is durable; what was
    // only written survives too when the OS flushed it anyway (by the seed).
    if (l.rng() % 2 == 0)
      l.db->disk = l.db->written;
    for (int i = 0; i < accounts; ++i) {
      auto id = account_name(i);
      CAPTURE(id);
      auto durable = l.db->balance(id);
      CHECK(durable >= seen->acked[id]);           // every acknowledged deposit
      CHECK(durable <= seen->sent[id]);            // nothing never sent
      CHECK(seen->highest_balance[id] <= durable); // no reply, not even a read, ahead of the disk
    }
    for (int i = 0; i < fridges; ++i) {
      auto name = fridge_name(i);
      CAPTURE(name);
      auto durable = l.db->drinks(name);
      CHECK(durable <= initial_drinks - seen->acked[name]); // every acknowledged take
      CHECK(durable >= initial_drinks - seen->sent[name]);  // nothing never sent
      if (seen->lowest_drinks.count(name))
        CHECK(seen->lowest_drinks[name] >= durable); // no reply ahead of the disk
    }
    // A restart serves exactly what the store holds. The crashed process's
    // actors may still be scheduled; nothing of theirs reaches the disk.
    l.db->crashed = true;
    auto disk = l.db->disk;
    l.db = std::make_shared<sim_store>(l.rng);
    l.db->disk = std::move(disk);
    l.db->written = l.db->disk;
    l.spawn_set();
    l.check_actors_equal_store();
  }
  std::cerr.rdbuf(quiet);
  std::cerr.clear();
  MESSAGE(runs << " seeds from " << first << ": " << failed_commits << " failed commits, "
               << crashed_mid_run << " crashes with work still queued");
}
