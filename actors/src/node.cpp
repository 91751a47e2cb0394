#include "fridgebank/actors/node.hpp"

#include "fridgebank/protocol/error_code.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
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

/// The first claim is recorded; later ones must match it.
caf::result<bool> claim_place(node_actor::stateful_pointer<node_data> self, node_place claimed) {
  auto& st = self->state;
  if (claimed.count == 0 || claimed.position >= claimed.count)
    return make_error(error_code::bad_request, "no such place in a node list");
  if (st.place) {
    if (*st.place == claimed)
      return true;
    return make_error(error_code::conflict,
                      "this node holds the fridges of node " + text_of(*st.place) +
                          " in the list, but the front end lists it as node " + text_of(claimed));
  }
  if (!st.place_file.empty())
    if (auto err = write_node_place(st.place_file, claimed))
      return err;
  st.place = claimed;
  return true;
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

node_actor::behavior_type node(node_actor::stateful_pointer<node_data> self,
                               directory_actor directory, bank_actor bank, journal_actor keys,
                               std::string place_file, std::optional<node_place> kept) {
  self->state.place_file = std::move(place_file);
  self->state.place = kept;
  return {
      [=](node_atom) { return std::make_tuple(directory, bank, keys); },
      [self](shard_atom, std::uint32_t position, std::uint32_t count) {
        return claim_place(self, {position, count});
      },
      [self](stop_atom) { self->quit(); },
  };
}

} // namespace fridgebank
