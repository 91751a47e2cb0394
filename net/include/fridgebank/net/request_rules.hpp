#pragma once

// The rules a request meets before any route sees it, without sockets: the
// session applies them to what it reads, the fuzzers to arbitrary bytes.
// Each refusal is API.md's error reply; `close` says the connection cannot
// go on (the framing is in doubt, so what follows is not a request).

#include "fridgebank/net/http.hpp"

#include <boost/beast/core/error.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace fridgebank::net {

struct refusal {
  response reply;
  bool close = true;
};

/// What a failed parse of the request is answered with: 413, 431 or 400
/// (all close); none when the error is no fault of the request (the peer
/// closed, the read was cut short).
std::optional<refusal> refusal_of_parse_error(const boost::beast::error_code& ec);

/// What is wrong with a request's head itself: two framings, a
/// Transfer-Encoding Beast would misread (RFC 9112 6.3), an HTTP/1.1
/// request without exactly one Host (RFC 9112 3.2). A 400 that closes.
std::optional<refusal> refusal_of_head(const http::request_header<>& head, bool has_content_length);

/// A POST body that is not `application/json`: 415, the connection goes on.
std::optional<refusal> refusal_of_media_type(const http::request_header<>& head, bool has_body);

/// `Expect: 100-continue`.
bool expects_continue(const http::request_header<>& head);

/// The interim reply that asks for the body.
inline constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

} // namespace fridgebank::net
