#pragma once

// The journal's vocabulary. Mutating actors hand their effects to the
// journal together with the reply they would send; the journal commits
// whatever has queued as one transaction and only then releases the replies
// (it answers the original requester, by delegation). Reads travel the same
// way with no effects, so no reply ever shows an effect that is not durable.

#include "fridgebank/protocol/messages.hpp"

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace fridgebank {

using commit_atom = caf::atom_constant<caf::atom("commit")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using rollback_atom = caf::atom_constant<caf::atom("rollback")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using register_atom = caf::atom_constant<caf::atom("register")>;
using claim_atom = caf::atom_constant<caf::atom("claim")>;
using remember_atom = caf::atom_constant<caf::atom("remember")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;

/// A POST's Idempotency-Key and the first reply to it. `fingerprint` is the
/// SHA-256 of the method, path and body (idempotency.hpp); `created` is Unix
/// seconds.
struct idempotency_record {
  std::string key;
  std::string fingerprint;
  std::uint16_t status = 0; // the HTTP status of the first reply
  std::string body;         // the body of the first reply
  std::int64_t created = 0;
};

/// The journal's answer to a claim on a key.
struct idempotency_verdict {
  enum kind_type : std::uint8_t {
    fresh = 0,   // first use: the caller executes the request
    replay,      // seen before with the same request: `record` is the first reply
    reused,      // seen before with a different request
    in_progress, // the first request with this key has not been answered yet
  };
  std::uint8_t kind = fresh;
  idempotency_record record;
};

/// A fridge's durable state (absolute, so replaying is idempotent).
struct fridge_record {
  std::string name;
  std::int64_t drinks = 0;
  bool stopped = false;
};

struct account_record {
  std::string id;
  std::int64_t balance = 0;
};

/// What one request changed. `epoch` is the journal epoch the sender's state
/// belongs to: after a failed commit the journal moves to a new epoch, and
/// entries computed on the lost state (older epochs) are refused.
struct journal_entry {
  std::uint64_t epoch = 0;
  std::vector<fridge_record> fridges;
  std::vector<account_record> accounts;
  bool bank_stopped = false; // sets the bank's stopped flag when true
  /// Keys whose first reply this entry's effect is (stored in the same transaction).
  std::vector<idempotency_record> keys;
};

/// Everything on disk, as loaded at start or after a failed commit.
struct durable_state {
  std::vector<fridge_record> fridges;
  std::vector<account_record> accounts;
  bool bank_stopped = false;
  std::uint64_t epoch = 0;
  std::vector<idempotency_record> keys; // those younger than the retention
};

struct journal_stats {
  std::uint64_t commits = 0;
  std::uint64_t entries = 0;
  std::uint64_t failed_commits = 0;
  std::uint64_t commit_nanoseconds = 0; // summed over all commits (writes, no fsync)
  std::uint64_t syncs = 0;              // fsyncs that made commits durable
  std::uint64_t sync_nanoseconds = 0;   // summed over all of them
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, fridge_record& x) {
  return f(caf::meta::type_name("fridge_record"), x.name, x.drinks, x.stopped);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, account_record& x) {
  return f(caf::meta::type_name("account_record"), x.id, x.balance);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_record& x) {
  return f(caf::meta::type_name("idempotency_record"), x.key, x.fingerprint, x.status, x.body,
           x.created);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, idempotency_verdict& x) {
  return f(caf::meta::type_name("idempotency_verdict"), x.kind, x.record);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, journal_entry& x) {
  return f(caf::meta::type_name("journal_entry"), x.epoch, x.fridges, x.accounts, x.bank_stopped,
           x.keys);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, durable_state& x) {
  return f(caf::meta::type_name("durable_state"), x.fridges, x.accounts, x.bank_stopped, x.epoch,
           x.keys);
}

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, journal_stats& x) {
  return f(caf::meta::type_name("journal_stats"), x.commits, x.entries, x.failed_commits,
           x.commit_nanoseconds, x.syncs, x.sync_nanoseconds);
}

/// Commits `entry`, then answers the carried reply. One signature per reply
/// type, so every actor can delegate its reply through the journal.
using journal_actor = caf::typed_actor<
    caf::replies_to<commit_atom, journal_entry, fridge_result>::with<fridge_result>,
    caf::replies_to<commit_atom, journal_entry, fridge_state>::with<fridge_state>,
    caf::replies_to<commit_atom, journal_entry, account>::with<account>,
    caf::replies_to<commit_atom, journal_entry, transfer_result>::with<transfer_result>,
    caf::replies_to<commit_atom, journal_entry, ledger_snapshot>::with<ledger_snapshot>,
    caf::replies_to<stats_atom>::with<journal_stats>,
    // Idempotency-Key, the journal's half of idempotency.hpp: claim a key
    // (the claimant's next commit carries it), store a reply the claimant
    // holds (a 4xx), release a key whose request is known to have changed
    // nothing.
    caf::replies_to<claim_atom, idempotency_record>::with<idempotency_verdict>,
    caf::replies_to<remember_atom, idempotency_record>::with<bool>,
    caf::reacts_to<forget_atom, std::string>,
    // The journal's pill: commits what has queued, answers, then stops.
    caf::replies_to<stop_atom>::with<journal_stats>,
    // The journal's own trigger: commit what has queued before it.
    caf::reacts_to<flush_atom>,
    // Who must roll back after a failed commit (the directory and the bank);
    // each gets `rollback_atom, durable_state`.
    caf::reacts_to<register_atom, caf::actor>>;

} // namespace fridgebank
