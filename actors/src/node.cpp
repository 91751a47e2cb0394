#include "fridgebank/actors/node.hpp"

#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/limits.hpp"
#include "fridgebank/protocol/placement.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

namespace fridgebank {

namespace {

std::string text_of(const node_place& p) {
  return std::to_string(p.position + 1) + " of " + std::to_string(p.count);
}

/// Writes `place` to `file` whole or not at all: a temporary file, fsync'd,
/// renamed over it, the directory fsync'd.
caf::error write_node_place(const std::string& file, const node_place& place) {
  auto fail = [&](const char* what) {
    return make_error(error_code::internal, what + (" " + file + ": ") + std::strerror(errno));
  };
  auto temp = file + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail("cannot create");
  auto line = std::to_string(place.position) + " " + std::to_string(place.count) + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), file.c_str()) != 0)
    return fail("cannot write");
  auto dir = std::filesystem::path{file}.parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

caf::error mismatch(const node_place& kept, const node_place& claimed) {
  return make_error(error_code::conflict, "this node holds the fridges of node " + text_of(kept) +
                                              " in the list, but the front end lists it as node " +
                                              text_of(claimed));
}

using node_pointer = node_actor::stateful_pointer<node_data>;

/// Whether everything this node holds belongs at `claimed`: each fridge
/// where a list of that length places it, and accounts only on the first
/// node (a node whose data predates its place: a single node grown into a
/// list). Pages through its own directory, 10 000 fridges at a time.
void verify_holdings(node_pointer self, node_place claimed, page_request page,
                     std::function<void(caf::error)> done) {
  auto& st = self->state;
  self->request(st.directory, caf::infinite, list_atom::value, page)
      .then(
          [self, claimed, page, done](fridge_list& list) mutable {
            for (const auto& f : list.fridges)
              if (auto home = placement::node_of(f.name, claimed.count); home != claimed.position) {
                done(make_error(error_code::conflict,
                                "this node holds fridge '" + f.name + "', which the front end's " +
                                    "list places on node " +
                                    text_of({static_cast<std::uint32_t>(home), claimed.count})));
                return;
              }
            if (!list.next.empty()) {
              page.after = list.next;
              verify_holdings(self, claimed, page, std::move(done));
              return;
            }
            if (claimed.position == 0) {
              done({});
              return;
            }
            self->request(self->state.bank, caf::infinite, count_atom::value)
                .then(
                    [done](std::size_t accounts) {
                      done(accounts == 0
                               ? caf::error{}
                               : make_error(error_code::conflict,
                                            "this node holds " + std::to_string(accounts) +
                                                " accounts, but the bank lives on the first node"));
                    },
                    [done](caf::error& err) { done(err); });
          },
          [done](caf::error& err) { done(err); });
}

/// A kept place must match. An unkept one is checked against what the node
/// holds, and kept when `record` says so (a front end records only once its
/// whole list has been checked).
caf::result<bool> claim_place(node_pointer self, node_place claimed, bool record) {
  auto& st = self->state;
  if (claimed.count == 0 || claimed.position >= claimed.count)
    return make_error(error_code::bad_request, "no such place in a node list");
  if (st.place) {
    if (*st.place == claimed)
      return true;
    return mismatch(*st.place, claimed);
  }
  auto rp = self->make_response_promise<bool>();
  page_request page;
  page.limit = max_page_limit;
  verify_holdings(self, claimed, page, [self, claimed, record, rp](caf::error err) mutable {
    auto& st = self->state;
    if (!err && st.place && !(*st.place == claimed)) // kept by another claim meanwhile
      err = mismatch(*st.place, claimed);
    if (!err && record && !st.place && !st.place_file.empty())
      err = write_node_place(st.place_file, claimed);
    if (err) {
      rp.deliver(std::move(err));
      return;
    }
    if (record)
      st.place = claimed;
    rp.deliver(true);
  });
  return rp;
}

/// A batch server for a front end's relay `relay`, sending to the directory
/// or the bank (fridgebank/protocol/batching.hpp).
caf::result<caf::actor> batch_server_for(node_pointer self, std::uint8_t to, caf::actor relay) {
  auto& st = self->state;
  caf::actor target;
  if (to == static_cast<std::uint8_t>(batch_target::directory))
    target = caf::actor_cast<caf::actor>(st.directory);
  else if (to == static_cast<std::uint8_t>(batch_target::bank))
    target = caf::actor_cast<caf::actor>(st.bank);
  if (!target || !relay)
    return make_error(error_code::bad_request, "no such batch target, or no relay");
  auto server = self->spawn<caf::hidden>(batch_server, std::move(target), std::move(relay));
  self->monitor(server);
  st.batch_servers.push_back(server);
  return server;
}

/// A batch server quit (its front end is gone): nothing to sync at the stop.
void forget_batch_server(node_pointer self, const caf::actor_addr& gone) {
  auto& servers = self->state.batch_servers;
  servers.erase(std::remove_if(servers.begin(), servers.end(),
                               [&](const caf::actor& s) { return s.address() == gone; }),
                servers.end());
}

} // namespace

caf::expected<std::optional<node_place>> read_node_place(const std::string& file) {
  std::ifstream in{file};
  if (!in)
    return std::optional<node_place>{};
  node_place place;
  if (!(in >> place.position >> place.count) || place.count == 0 || place.position >= place.count)
    return make_error(error_code::internal, file + " is not \"POSITION COUNT\"");
  return std::optional<node_place>{place};
}

node_actor::behavior_type node(node_pointer self, directory_actor directory, bank_actor bank,
                               journal_actor keys, std::string place_file,
                               std::optional<node_place> kept) {
  self->state.place_file = std::move(place_file);
  self->state.place = kept;
  self->state.directory = directory;
  self->state.bank = bank;
  self->set_down_handler([self](caf::down_msg& down) { forget_batch_server(self, down.source); });
  return {
      [=](node_atom) { return std::make_tuple(directory, bank, keys); },
      [self](shard_atom, std::uint32_t position, std::uint32_t count, bool record) {
        return claim_place(self, {position, count}, record);
      },
      [self](batch_atom, std::uint8_t to, caf::actor relay) {
        return batch_server_for(self, to, std::move(relay));
      },
      [self](stop_atom) -> caf::result<std::vector<caf::actor>> {
        auto from = self->current_sender();
        if (!from || from->node() != self->node()) // a peer's word stops nothing here
          return make_error(error_code::unauthorized,
                            "only the node's own process stops its actors");
        auto running = std::move(self->state.batch_servers);
        self->quit();
        return running;
      },
  };
}

} // namespace fridgebank
