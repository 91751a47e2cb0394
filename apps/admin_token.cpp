#include "admin_token.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace fridgebank::app {

std::string random_token() {
  std::array<unsigned char, 24> bytes{};
  std::ifstream urandom{"/dev/urandom", std::ios::binary};
  urandom.read(reinterpret_cast<char*>(bytes.data()), bytes.size());
  static constexpr char hex[] = "0123456789abcdef";
  std::string token;
  for (auto b : bytes) {
    token += hex[b >> 4];
    token += hex[b & 0xf];
  }
  return token;
}

std::optional<std::string> write_token_file(const std::filesystem::path& path,
                                            const std::string& token) {
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return "cannot write " + path.string() + ": " + std::strerror(errno);
  auto line = token + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok)
    return "cannot write " + path.string() + ": " + std::strerror(errno);
  return std::nullopt;
}

} // namespace fridgebank::app
