#include "sharded_directory.hpp"

#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/placement.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <memory>

namespace fridgebank::net {

namespace {

using self_pointer = directory_actor::stateful_pointer<sharded_directory_data>;

/// The page after `page.after` out of each node's page after it: every
/// fridge of the merged page is among the first `limit` of its own node.
fridge_list merge(std::vector<fridge_list>& pages, const page_request& page) {
  fridge_list merged;
  bool more = false;
  for (auto& p : pages) {
    more = more || !p.next.empty();
    std::move(p.fridges.begin(), p.fridges.end(), std::back_inserter(merged.fridges));
  }
  std::sort(merged.fridges.begin(), merged.fridges.end(),
            [](const fridge_state& a, const fridge_state& b) { return a.name < b.name; });
  if (merged.fridges.size() > page.limit) {
    merged.fridges.resize(page.limit);
    more = true;
  }
  if (more && !merged.fridges.empty())
    merged.next = merged.fridges.back().name;
  return merged;
}

/// One page of every node, merged; `unavailable` naming the first node
/// that did not answer.
caf::result<fridge_list> list_page(self_pointer self, const page_request& page) {
  struct gathering {
    std::vector<fridge_list> pages;
    std::size_t pending;
    std::string unreachable; // the first node that failed
  };
  auto& shards = self->state.shards;
  auto rp = self->make_response_promise<fridge_list>();
  auto g = std::make_shared<gathering>(gathering{{}, shards.size(), {}});
  auto done = [rp, g, page]() mutable {
    if (--g->pending > 0)
      return;
    if (!g->unreachable.empty())
      rp.deliver(
          make_error(error_code::unavailable,
                     "the actor node " + g->unreachable +
                         " is unreachable or did not answer, and a listing needs every node"));
    else
      rp.deliver(merge(g->pages, page));
  };
  for (const auto& s : shards)
    self->request(s.directory, self->state.node_timeout, list_atom::value, page)
        .then(
            [g, done](fridge_list& l) mutable {
              g->pages.push_back(std::move(l));
              done();
            },
            [g, done, address = s.address](caf::error&) mutable {
              if (g->unreachable.empty())
                g->unreachable = address;
              done();
            });
  return rp;
}

/// Live fridges on the nodes that answer (for /metrics, which is best effort).
caf::result<std::size_t> count_live(self_pointer self) {
  auto rp = self->make_response_promise<std::size_t>();
  auto total = std::make_shared<std::size_t>(0);
  auto pending = std::make_shared<std::size_t>(self->state.shards.size());
  auto done = [rp, total, pending]() mutable {
    if (--*pending == 0)
      rp.deliver(*total);
  };
  for (const auto& s : self->state.shards)
    self->request(s.directory, self->state.node_timeout, count_atom::value)
        .then(
            [total, done](std::size_t n) mutable {
              *total += n;
              done();
            },
            [done](caf::error&) mutable { done(); });
  return rp;
}

/// Answered once every node has answered a fence of its own.
caf::result<bool> fence_all(self_pointer self) {
  auto rp = self->make_response_promise<bool>();
  auto pending = std::make_shared<std::size_t>(self->state.shards.size());
  auto failed = std::make_shared<caf::error>();
  auto done = [rp, pending, failed]() mutable {
    if (--*pending > 0)
      return;
    if (*failed)
      rp.deliver(*failed);
    else
      rp.deliver(true);
  };
  for (const auto& s : self->state.shards)
    self->request(s.directory, caf::infinite, fence_atom::value)
        .then([done](bool) mutable { done(); },
              [failed, done](caf::error& err) mutable {
                if (!*failed)
                  *failed = std::move(err);
                done();
              });
  return rp;
}

} // namespace

const shard& sharded_directory_data::of(const std::string& name) const {
  return shards[placement::node_of(name, shards.size())];
}

directory_actor::behavior_type sharded_directory(self_pointer self, std::vector<shard> shards,
                                                 std::chrono::milliseconds node_timeout) {
  assert(!shards.empty() && "a sharded directory over no nodes");
  self->state.shards = std::move(shards);
  self->state.node_timeout = node_timeout;
  return {
      [self](create_atom, new_fridge& spec) -> caf::delegated<fridge_state> {
        auto& dest = self->state.of(spec.name).directory;
        return self->delegate(dest, create_atom::value, std::move(spec));
      },
      [self](look_atom, std::string& name) -> caf::delegated<fridge_state> {
        auto& dest = self->state.of(name).directory;
        return self->delegate(dest, look_atom::value, std::move(name));
      },
      [self](list_atom, const page_request& page) { return list_page(self, page); },
      [self](drink_atom, std::string& name,
             drink_request& request) -> caf::delegated<fridge_result> {
        auto& dest = self->state.of(name).directory;
        return self->delegate(dest, drink_atom::value, std::move(name), request);
      },
      [self](stop_atom, std::string& name) -> caf::delegated<fridge_state> {
        auto& dest = self->state.of(name).directory;
        return self->delegate(dest, stop_atom::value, std::move(name));
      },
      [self](find_atom, std::string& name) -> caf::delegated<fridge_actor> {
        auto& dest = self->state.of(name).directory;
        return self->delegate(dest, find_atom::value, std::move(name));
      },
      [self](count_atom) { return count_live(self); },
      [](drain_atom) -> caf::result<std::size_t> {
        // A front end's stop ends only its links; the nodes drain their own.
        assert(!"drain sent to a front end's sharded directory");
        return make_error(error_code::bad_request, "a front end does not drain other nodes");
      },
      [self](fence_atom) { return fence_all(self); },
      [self](rest_atom) {
        // Each node's directory sweeps its own fridges; this passes one on.
        for (const auto& s : self->state.shards)
          self->send(s.directory, rest_atom::value);
      },
      [](sweep_atom) {}, // a front end keeps no fridges: it sets no timer
      [](rollback_atom, durable_state&) {
        assert(!"rollback sent to a front end's sharded directory"); // the nodes' journals roll
                                                                     // back their own
      },
  };
}

} // namespace fridgebank::net
