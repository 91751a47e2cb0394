#include "wire.hpp"

#include <charconv>

namespace fridgebank::net {

std::string to_wire(const response& reply) {
  auto reason = reply.reason();
  if (reason.empty())
    reason = http::obsolete_reason(reply.result());
  std::size_t size = 32 + reason.size() + reply.body().size();
  for (auto& field : reply)
    size += field.name_string().size() + field.value().size() + 4;

  std::string out;
  out.reserve(size);
  out += reply.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char status[4];
  auto end = std::to_chars(status, status + sizeof status, reply.result_int()).ptr;
  out.append(status, end);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (auto& field : reply) {
    out.append(field.name_string().data(), field.name_string().size());
    out += ": ";
    out.append(field.value().data(), field.value().size());
    out += "\r\n";
  }
  out += "\r\n";
  out += reply.body();
  return out;
}

} // namespace fridgebank::net
