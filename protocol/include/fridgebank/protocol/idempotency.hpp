#pragma once

// Idempotency-Key: the whole protocol, both halves, in this one file.
//
// The contract (API.md "Retries"): the first POST with key K executes; a
// repeat with the same K, method, path and body gets the first reply without
// executing again, also after a restart; the same K with another request is
// `idempotency_key_reused`. We add: a request executes at most once per key,
// whatever happens to the HTTP exchange (timeouts, retries racing the
// first attempt, restarts); and no key stays "in progress" once its first
// request's outcome is decided.
//
// A key, as the journal holds it (`key_table`):
//
//                 claim                      commit carrying the key
//       FREE ─────────────────▶ CLAIMED ──────────────────────────────▶ ANSWERED
//        ▲                       │    │        remember (a 4xx, stored)     ▲
//        │   release: nothing    │    └─────────────────────────────────────┘
//        └── happened (a failed ─┘
//            commit, or the claimant's word)          ANSWERED ── 24 h ──▶ FREE
//
//   - CLAIMED lives in memory only; ANSWERED is stored in the same
//     transaction as the effect it answers. A restart therefore finds every
//     key FREE (its effect never became durable) or ANSWERED (it did).
//   - Only a definite "nothing happened" frees a claimed key: a failed
//     commit that carried it, or its claimant's release after an error that
//     proves the request changed nothing (`changed_nothing`). A timeout
//     proves nothing, so it never frees a key: the commit may still land.
//   - The claimant's next commit carries its key (the journal knows the
//     claimant as the sender of that commit, kept through delegation), so
//     the effect and the key land in one transaction. One exception: a
//     fridge's pill is sent by the directory (it keeps the final state), so
//     its commit's sender is the directory and the claimant stores the key
//     with `remember` just after. A crash in between frees the key and a
//     retry stops the fridge again, which answers the same final state: the
//     pill is idempotent by nature (only `Idempotent-Replayed` is missing).
//
// The claimant, one short-lived actor per keyed request (`run_once`):
//
//     CLAIMING ──fresh──▶ EXECUTING ──reply or 4xx──▶ REMEMBERING ──▶ done
//        │                    └── changed nothing ──▶ RELEASING ─────▶ done
//        └── replay / reused / in progress ──────────────────────────▶ done
//
//   - The HTTP client is answered once, by whoever comes first: the
//     claimant with the outcome, or the front end's deadline with
//     `503 timeout`. The claimant does not stop at that deadline: it waits
//     for the outcome to settle the key. A retry meanwhile gets
//     `409 conflict` (in progress); after the outcome, its replay.
//   - Past the deadline still CLAIMING, a `fresh` verdict is released at
//     once instead of executed: the client has already been told timeout.
//   - The claimant sets no timers and no request timeouts (in CAF 0.17 each
//     would keep the finished actor's memory until it fires): local actors
//     always answer, through the journal.
//   - A claimant on another node (a front end with --actors-at) may die
//     between its claim and its outcome. The journal watches such claimants;
//     when one goes down holding a claim, the journal sends a fence through
//     the directory (to every fridge) and the bank. Their answers come after
//     everything the claimant had sent them was served, so any commit that
//     carries the key is already with the journal; if none took the claim,
//     nothing happened and the key is FREE again. In memory (no journal
//     commits, the claimant itself stores the reply) the claim stays until
//     the process restarts: freeing it could run the request twice.
//   - A request lost with the actor node itself leaves its key CLAIMED until
//     that node restarts (claims live in memory: the restart finds FREE or
//     ANSWERED).

#include "fridgebank/protocol/codec.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/journal.hpp"

#include <array>
#include <caf/actor_addr.hpp>
#include <caf/event_based_actor.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fridgebank::idempotency {

/// How long answered keys are kept (API.md: at least 24 hours).
inline constexpr std::int64_t retention_seconds = 24 * 60 * 60;

/// 1 to 64 visible ASCII characters (API.md).
bool valid_key(std::string_view key);

/// What makes two requests "the same": SHA-256 over method, target and body,
/// 32 raw bytes (a key record holds this, never the body).
std::string fingerprint(std::string_view method, std::string_view target, std::string_view body);

/// Whether `err` proves that the request it answers changed nothing: our own
/// refusals that are not 4xx (a failed or rolled-back commit, a node that was
/// never reached). CAF's timeouts and lost receivers prove nothing.
bool changed_nothing(const caf::error& err);

// -- the journal's half ------------------------------------------------------

/// Every key the journal knows, in the three states above (FREE = absent).
class key_table {
public:
  explicit key_table(std::vector<idempotency_record> answered = {});

  /// FREE → CLAIMED for `claimant`; otherwise the verdict a retry gets.
  idempotency_verdict claim(idempotency_record claim, const caf::actor_addr& claimant);

  /// The claim whose key `sender`'s commit carries, if it has one.
  std::optional<idempotency_record> take_claim_of(const caf::actor_addr& sender);

  /// The claimant stores a reply itself (a 4xx, or in memory any reply):
  /// its claim no longer rides on a commit. False when already ANSWERED.
  bool must_store(const caf::actor_addr& claimant, const std::string& key);

  /// CLAIMED → ANSWERED: `record` is durable.
  void answered(const idempotency_record& record);

  /// CLAIMED → FREE: the transaction that carried `key` failed.
  void release(const std::string& key);

  /// CLAIMED → FREE on the claimant's word; ignored from anyone else.
  void release_by(const caf::actor_addr& claimant, const std::string& key);

  /// CLAIMED → FREE for a claimant that is gone, if no commit ever carried
  /// its key (call it only once the claimant's request, if it was sent, has
  /// been served: after a fence). True when a key was freed.
  bool release_abandoned(const caf::actor_addr& claimant);

  /// ANSWERED → FREE for keys older than the retention (at most hourly).
  void prune(std::int64_t now);

  std::size_t answered_count() const { return answered_.size(); }
  std::size_t claimed_count() const { return claimed_.size(); }

private:
  /// An answered key's record without its key (the map's) and with the
  /// digest inline: with the map's node, about 150 bytes plus the reply.
  struct stored_reply {
    std::array<char, 32> digest{};
    std::int64_t created = 0;
    std::uint16_t status = 0;
    std::string body;
  };
  static stored_reply compact(idempotency_record record);
  static bool same(const stored_reply& stored, const std::string& fingerprint);

  struct claim_holder {
    std::string fingerprint;
    caf::actor_addr claimant;
  };
  std::unordered_map<std::string, stored_reply> answered_;
  std::unordered_map<std::string, claim_holder> claimed_;
  std::map<caf::actor_addr, idempotency_record> by_claimant_;
  std::int64_t last_prune_ = 0;
};

// -- the front end's half ----------------------------------------------------

/// What the client is answered: either `error` or a stored reply.
struct outcome {
  caf::error error;
  std::uint16_t status = 0;
  std::string body;
  bool replayed = false;

  static outcome failed(caf::error err) { return {std::move(err), 0, {}, false}; }
  static outcome reply(std::uint16_t status, std::string body, bool replayed = false) {
    return {{}, status, std::move(body), replayed};
  }
};

struct settings {
  /// An error as the reply the key stores: HTTP status and JSON body.
  std::function<std::pair<std::uint16_t, std::string>(const caf::error&)> encode_error;
  /// Gives the client its answer, unless its deadline has passed.
  std::function<void(outcome)> answer;
  /// Whether the client still waits (its deadline has not passed).
  std::function<bool()> client_waiting;
};

namespace detail {

/// The claimant's state; one per keyed request.
struct claimant {
  journal_actor keys;
  idempotency_record claim;
  settings how;
  bool answered = false;

  /// At most once.
  void answer(outcome o);
};

/// The outcome of executing (an error, or the success's body): settles the
/// key, answers the client.
void settle(caf::event_based_actor* self, std::shared_ptr<claimant> c, caf::error err,
            std::string success_body);

/// Sends the claim; calls `execute` when the key is ours to execute.
void start(caf::event_based_actor* self, std::shared_ptr<claimant> c,
           std::function<void()> execute);

} // namespace detail

/// Runs `xs...` against `dest` at most once for `claim.key`, on an actor of
/// its own spawned by `spawner`. `claim.status` is the HTTP status of
/// success; `claim.fingerprint` from `fingerprint()`.
template <class Reply, class Handle, class... Ts>
void run_once(caf::event_based_actor* spawner, journal_actor keys, idempotency_record claim,
              settings how, Handle dest, Ts... xs) {
  spawner->spawn([=](caf::event_based_actor* self) mutable {
    auto c = std::make_shared<detail::claimant>(
        detail::claimant{std::move(keys), std::move(claim), std::move(how)});
    detail::start(self, c, [=] {
      self->request(dest, caf::infinite, xs...)
          .then([=](Reply& reply) { detail::settle(self, c, {}, codec::encode(reply)); },
                [=](caf::error& err) { detail::settle(self, c, std::move(err), {}); });
    });
  });
}

} // namespace fridgebank::idempotency
