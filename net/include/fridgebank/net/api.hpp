#pragma once

// The routes of API.md, each turning a request into one message to the
// directory or the bank (through the bridge) and the reply into JSON. This is
// the only file that knows both HTTP and the protocol's messages.

#include "fridgebank/net/bridge.hpp"
#include "fridgebank/net/metrics.hpp"
#include "fridgebank/net/router.hpp"
#include "fridgebank/protocol/interfaces.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fridgebank::net {

/// An actor node a front end serves (`--actors-at`).
struct actor_node {
  std::string address;                   // HOST:PORT as given
  std::shared_ptr<std::atomic<bool>> up; // whether it is reachable now
};

/// The actors behind the routes, known only by their typed interfaces: they
/// may live in this process or on another node.
struct api_backend {
  directory_actor directory;
  bank_actor bank;
  journal_actor journal; // empty when running in memory only
  /// Where Idempotency-Keys are claimed and kept: the journal, or with
  /// `--in-memory` a journal over a store that keeps nothing.
  journal_actor keys;
  /// With fridges sharded over several nodes: the keys of the node that
  /// holds fridge `name` (an Idempotency-Key is kept with its effect).
  /// Empty: every key goes to `keys`.
  std::function<journal_actor(const std::string& name)> fridge_keys;
  /// The nodes the actors live on (`--actors-at`), in list order; empty when
  /// they live in this process.
  std::vector<actor_node> nodes;
};

class event_hub;

/// What the actors say of themselves, for /metrics and the live figures.
struct actor_figures {
  std::size_t fridges = 0; // live fridge actors
  std::size_t accounts = 0;
  std::optional<std::int64_t> total; // the ledger total, when the bank answered
  std::optional<journal_stats> journal;
};

class api {
public:
  /// `request_shutdown` is called (once, from an I/O thread) by
  /// `POST /admin/shutdown`; it must not block.
  api(bridge& actors, api_backend backend, std::string admin_token,
      std::function<void()> request_shutdown);
  ~api();

  /// `GET /events` streams from `hub`, and the figures once a second into
  /// it; without it, `GET /events` is 404 (a front end without actors).
  void serve_events(event_hub& hub);

  const router& routes() const { return routes_; }
  metrics& stats() { return *stats_; }

  /// From now on /healthz answers 503 shutting_down.
  void begin_shutdown() { shutting_down_ = true; }

private:
  void add_routes();
  void add_service_routes();
  void add_fridge_routes();
  void add_bank_routes();
  void add_event_routes();
  /// Asks the actors for their figures; `done` runs on whichever thread
  /// the last answer comes.
  void ask_figures(std::function<void(actor_figures)> done);
  void tick_figures();
  /// `h`, answered `401 unauthorized` without the admin token.
  handler admin_only(handler h);
  bool authorized(const request& req) const;

  bridge& bridge_;
  api_backend backend_;
  std::string admin_token_;
  std::function<void()> request_shutdown_;
  std::atomic<bool> shutting_down_{false};
  router routes_;
  std::unique_ptr<metrics> stats_;
  event_hub* events_ = nullptr;
  struct figures_history;
  std::shared_ptr<figures_history> history_; // shared: complete only in api_events.cpp
  std::atomic<bool> figures_busy_{false};
};

} // namespace fridgebank::net
