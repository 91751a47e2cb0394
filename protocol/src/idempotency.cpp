#include "fridgebank/protocol/idempotency.hpp"

#include <algorithm>
#include <caf/send.hpp>
#include <cassert>
#include <iostream>
#include <openssl/evp.h>

namespace fridgebank::idempotency {

bool valid_key(std::string_view key) {
  return !key.empty() && key.size() <= 64 &&
         std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

std::string fingerprint(std::string_view method, std::string_view target, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  // The separators keep ("POST", "/a\nb") and ("POST /a", "b") apart.
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, method.data(), method.size()) == 1 &&
            EVP_DigestUpdate(ctx, " ", 1) == 1 &&
            EVP_DigestUpdate(ctx, target.data(), target.size()) == 1 &&
            EVP_DigestUpdate(ctx, "\n", 1) == 1 &&
            EVP_DigestUpdate(ctx, body.data(), body.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, digest, &size) == 1;
  EVP_MD_CTX_free(ctx);
  // SHA-256 in OpenSSL fails only when it cannot allocate: a programmer's
  // world, not an operating error.
  assert(ok && size == 32);
  if (!ok)
    std::abort();
  return std::string{reinterpret_cast<const char*>(digest), size};
}

bool changed_nothing(const caf::error& err) {
  if (err.category() != caf::atom("fridgebank"))
    return false;
  auto code = code_of(err);
  return code == error_code::internal || code == error_code::unavailable;
}

// -- key_table ---------------------------------------------------------------

key_table::stored_reply key_table::compact(idempotency_record record) {
  stored_reply stored;
  // Every fingerprint is a digest (`fingerprint()`; version-0 databases are
  // migrated at open): anything else is a programmer's error.
  assert(record.fingerprint.size() == stored.digest.size());
  std::copy_n(record.fingerprint.begin(), std::min(record.fingerprint.size(), stored.digest.size()),
              stored.digest.begin());
  stored.created = record.created;
  stored.status = record.status;
  stored.body = std::move(record.body);
  return stored;
}

bool key_table::same(const stored_reply& stored, const std::string& fingerprint) {
  return fingerprint.size() == stored.digest.size() &&
         std::equal(stored.digest.begin(), stored.digest.end(), fingerprint.begin());
}

key_table::key_table(std::vector<idempotency_record> answered) {
  answered_.reserve(answered.size());
  for (auto& record : answered) {
    auto key = std::move(record.key);
    answered_.emplace(std::move(key), compact(std::move(record)));
  }
}

idempotency_verdict key_table::claim(idempotency_record claim, const caf::actor_addr& claimant) {
  idempotency_verdict verdict;
  if (auto it = answered_.find(claim.key); it != answered_.end()) {
    bool replay = same(it->second, claim.fingerprint);
    verdict.kind = replay ? idempotency_verdict::replay : idempotency_verdict::reused;
    if (replay) {
      verdict.record = std::move(claim);
      verdict.record.status = it->second.status;
      verdict.record.body = it->second.body;
      verdict.record.created = it->second.created;
    }
    return verdict;
  }
  if (auto it = claimed_.find(claim.key); it != claimed_.end()) {
    bool same = it->second.fingerprint == claim.fingerprint;
    verdict.kind = same ? idempotency_verdict::in_progress : idempotency_verdict::reused;
    return verdict;
  }
  // One claimant holds one claim at a time (it is spawned for one request).
  assert(by_claimant_.count(claimant) == 0);
  claimed_.emplace(claim.key, claim_holder{claim.fingerprint, claimant});
  by_claimant_[claimant] = std::move(claim);
  return verdict; // fresh
}

std::optional<idempotency_record> key_table::take_claim_of(const caf::actor_addr& sender) {
  if (by_claimant_.empty())
    return std::nullopt;
  auto it = by_claimant_.find(sender);
  if (it == by_claimant_.end())
    return std::nullopt;
  auto record = std::move(it->second);
  by_claimant_.erase(it);
  return record;
}

bool key_table::must_store(const caf::actor_addr& claimant, const std::string& key) {
  by_claimant_.erase(claimant);
  return answered_.count(key) == 0;
}

void key_table::answered(const idempotency_record& record) {
  claimed_.erase(record.key);
  answered_[record.key] = compact(record);
}

void key_table::release(const std::string& key) {
  claimed_.erase(key);
}

void key_table::release_by(const caf::actor_addr& claimant, const std::string& key) {
  by_claimant_.erase(claimant);
  // A failed commit may have freed the key already, and a retry claimed it
  // again since: that claim is not ours to release.
  if (auto it = claimed_.find(key); it != claimed_.end() && it->second.claimant == claimant)
    claimed_.erase(it);
}

bool key_table::release_abandoned(const caf::actor_addr& claimant) {
  auto it = by_claimant_.find(claimant);
  if (it == by_claimant_.end())
    return false; // settled, or its key rides on a commit
  auto key = it->second.key;
  by_claimant_.erase(it);
  if (auto c = claimed_.find(key); c != claimed_.end() && c->second.claimant == claimant)
    claimed_.erase(c);
  return true;
}

void key_table::prune(std::int64_t now) {
  if (now - last_prune_ < 3600)
    return;
  last_prune_ = now;
  std::erase_if(answered_,
                [now](const auto& kv) { return kv.second.created < now - retention_seconds; });
}

// -- the claimant ------------------------------------------------------------

namespace detail {

void claimant::answer(outcome o) {
  if (answered)
    return;
  answered = true;
  how.answer(std::move(o));
}

void settle(caf::event_based_actor* self, std::shared_ptr<claimant> c, caf::error err,
            std::string success_body) {
  auto record = c->claim;
  if (err) {
    auto [status, body] = c->how.encode_error(err);
    if (status >= 500) {
      if (changed_nothing(err))
        self->send(c->keys, forget_atom::value, c->claim.key);
      else
        std::cerr << "fridgebank: the outcome of Idempotency-Key " << c->claim.key
                  << " is unknown (" << to_string(err)
                  << "); the key stays in progress until the journal restarts" << std::endl;
      c->answer(outcome::failed(std::move(err)));
      self->quit();
      return;
    }
    record.status = status;
    record.body = std::move(body);
  } else {
    record.body = std::move(success_body);
  }
  // A success is stored with its effect already (then this only confirms);
  // a refusal, and in memory any reply, is stored now.
  self->request(c->keys, caf::infinite, remember_atom::value, record)
      .then(
          [self, c, record](bool) {
            c->answer(outcome::reply(record.status, record.body));
            self->quit();
          },
          [self, c](caf::error& failed) {
            c->answer(outcome::failed(std::move(failed)));
            self->quit();
          });
}

void start(caf::event_based_actor* self, std::shared_ptr<claimant> c,
           std::function<void()> execute) {
  self->request(c->keys, caf::infinite, claim_atom::value, c->claim)
      .then(
          [self, c, execute](idempotency_verdict& verdict) {
            switch (verdict.kind) {
            case idempotency_verdict::fresh:
              if (c->how.client_waiting()) {
                execute();
                return;
              }
              // The client was told "timeout" before we could start.
              self->send(c->keys, forget_atom::value, c->claim.key);
              break;
            case idempotency_verdict::replay:
              c->answer(outcome::reply(verdict.record.status, verdict.record.body, true));
              break;
            case idempotency_verdict::reused:
              c->answer(
                  outcome::failed(make_error(error_code::idempotency_key_reused,
                                             "Idempotency-Key was used for a different request")));
              break;
            default:
              c->answer(outcome::failed(
                  make_error(error_code::conflict,
                             "a request with this Idempotency-Key is still in progress")));
              break;
            }
            self->quit();
          },
          [self, c](caf::error& err) {
            // Refused before the journal saw it (a node that is unreachable).
            c->answer(outcome::failed(std::move(err)));
            self->quit();
          });
}

} // namespace detail

} // namespace fridgebank::idempotency
