#include "fridgebank/net/wire.hpp"

#include <charconv>

namespace fridgebank::net {

namespace {

bool is_framing(http::field name) {
  return name == http::field::content_length || name == http::field::transfer_encoding ||
         name == http::field::connection;
}

void append_number(std::string& out, std::size_t n) {
  char digits[20];
  auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

} // namespace

std::string to_wire(const response& reply, unsigned version, bool keep_alive, bool with_body) {
  auto reason = reply.reason();
  if (reason.empty())
    reason = http::obsolete_reason(reply.result());
  std::string_view connection;
  if (version == 10 && keep_alive)
    connection = "Connection: keep-alive\r\n";
  else if (version != 10 && !keep_alive)
    connection = "Connection: close\r\n";

  std::size_t size = 64 + reason.size() + connection.size() + reply.body().size();
  for (auto& field : reply)
    size += field.name_string().size() + field.value().size() + 4;
  std::string out;
  out.reserve(size);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_number(out, reply.result_int());
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (auto& field : reply) {
    if (is_framing(field.name()))
      continue;
    out.append(field.name_string().data(), field.name_string().size());
    out += ": ";
    out.append(field.value().data(), field.value().size());
    out += "\r\n";
  }
  out += connection;
  out += "Content-Length: ";
  append_number(out, reply.body().size());
  out += "\r\n\r\n";
  if (with_body)
    out += reply.body();
  return out;
}

} // namespace fridgebank::net
