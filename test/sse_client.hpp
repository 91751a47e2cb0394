#pragma once

// A blocking Server-Sent Events reader for the suites: sends `GET /events`
// on a socket of its own and hands out the events one by one, each within a
// deadline (poll), never a sleep.

#include "reply_log.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace fridgebank::test {

struct sse_event {
  std::string id; // empty: none
  std::string type;
  std::string data;
};

class sse_client {
public:
  /// Connects and sends the request; `receive_buffer` (bytes) shrinks the
  /// socket's buffer, for a client that reads slowly.
  /// `before`: requests sent ahead of `GET /events` on the same connection.
  explicit sse_client(unsigned short port, std::optional<std::string> last_event_id = {},
                      int receive_buffer = 0, const std::string& before = {}) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    if (receive_buffer > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    alone_ = before.empty();
    std::string request =
        before + "GET /events HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n";
    if (last_event_id)
      request += "Last-Event-ID: " + *last_event_id + "\r\n";
    request += "\r\n";
    REQUIRE(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
  }
  ~sse_client() { ::close(fd_); }
  sse_client(const sse_client&) = delete;
  sse_client& operator=(const sse_client&) = delete;

  /// The reply head (status line and fields), once it has come.
  std::string head(std::chrono::milliseconds within = std::chrono::seconds{10}) {
    while (head_.empty()) {
      auto end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        head_ = buffer_.substr(0, end + 2);
        buffer_.erase(0, end + 4);
        if (alone_)
          record_head();
        break;
      }
      if (!fill(within))
        break;
    }
    return head_;
  }

  /// The next event (comments and `retry:` lines skipped); none when the
  /// stream ended or nothing came within `within`. With `skip_metrics`,
  /// the once-a-second figures are passed over.
  std::optional<sse_event> next(std::chrono::milliseconds within = std::chrono::seconds{10},
                                bool skip_metrics = true) {
    head(within);
    for (;;) {
      auto end = buffer_.find("\n\n");
      if (end == std::string::npos) {
        if (!fill(within))
          return std::nullopt;
        continue;
      }
      auto block = buffer_.substr(0, end + 1);
      buffer_.erase(0, end + 2);
      sse_event e;
      for (std::size_t at = 0; at < block.size();) {
        auto nl = block.find('\n', at);
        auto line = block.substr(at, nl - at);
        at = nl + 1;
        auto field = [&](std::string_view name) { return line.rfind(name, 0) == 0; };
        if (field("id: "))
          e.id = last_id_ = line.substr(4); // kept as a browser keeps it
        else if (field("event: "))
          e.type = line.substr(7);
        else if (field("data: "))
          e.data = line.substr(6);
      }
      if (e.type.empty() || (skip_metrics && e.type == "metrics"))
        continue;
      return e;
    }
  }

  /// The last `id:` the stream gave, also on a block without an event:
  /// what a browser sends as Last-Event-ID when it reconnects.
  const std::string& last_event_id() const { return last_id_; }

  /// Reads until the stream has given an id (its first block does).
  bool has_id(std::chrono::milliseconds within = std::chrono::seconds{10}) {
    head(within);
    while (last_id_.empty()) {
      auto end = buffer_.find("\n\n");
      if (end == std::string::npos) {
        if (!fill(within))
          return false;
        continue;
      }
      auto block = buffer_.substr(0, end);
      if (auto at = block.find("id: ");
          at != std::string::npos && block.find("event: ") == std::string::npos) {
        last_id_ = block.substr(at + 4);
        buffer_.erase(0, end + 2);
      } else {
        next(within, false); // an event: next() keeps its id
      }
    }
    return true;
  }

  /// Everything the server sends until it closes (or nothing more comes
  /// within `within`), from the first byte, unparsed.
  std::string read_all(std::chrono::milliseconds within) {
    while (fill(within)) {
    }
    return head_ + buffer_;
  }

  /// Whether the server closed the stream (EOF) within `within`.
  bool ended(std::chrono::milliseconds within) {
    while (fill(within)) {
    }
    return eof_;
  }

private:
  /// Reads what has come; false on EOF, an error or the deadline.
  bool fill(std::chrono::milliseconds within) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(within.count())) <= 0)
      return false;
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  std::string head_;
  bool alone_ = true; // no request before GET /events: the head is its reply's

  /// The head as test/openapi reads replies (reply_log.hpp).
  void record_head() {
    boost::json::object headers;
    std::size_t at = head_.find("\r\n") + 2;
    for (std::size_t end; (end = head_.find("\r\n", at)) != std::string::npos; at = end + 2)
      if (auto colon = head_.find(':', at); colon < end)
        headers[head_.substr(at, colon - at)] = head_.substr(colon + 2, end - colon - 2);
    auto status = static_cast<unsigned>(std::atoi(head_.c_str() + head_.find(' ') + 1));
    if (status < 400) // an error's body may still be on its way: not read here
      log_reply("GET", "/events", status, std::move(headers), "");
  }
  std::string last_id_;
  bool eof_ = false;
};

} // namespace fridgebank::test
