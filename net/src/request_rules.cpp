#include "fridgebank/net/request_rules.hpp"

#include "fridgebank/net/error_reply.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/grammar/charset.hpp>
#include <boost/url/grammar/digit_chars.hpp>
#include <boost/url/grammar/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pct_encoded_rule.hpp>
#include <boost/url/rfc/sub_delim_chars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace fridgebank::net {

namespace beast = boost::beast;

namespace {

bool is_json(std::string_view content_type) {
  auto semicolon = content_type.find(';');
  auto media = content_type.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ')
    media.remove_suffix(1);
  return beast::iequals(media, "application/json");
}

/// Exactly "chunked" (case aside, spaces around it aside).
bool only_chunked(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  return beast::iequals(value, "chunked");
}

/// A Host value (RFC 9112 3.2): `uri-host [":" port]`, no userinfo; empty
/// is allowed (a target without an authority). A bracketed IP literal goes
/// to Boost.URL's authority parser; every other host is read as a reg-name
/// (`*( unreserved / pct-encoded / sub-delims )`) with Boost.URL's grammar
/// pieces, which costs a tenth of that parser (~900 instructions a request,
/// callgrind). An IPv4 address is a reg-name too, and so is a name that
/// begins like one ("127.0.0.1.nip.io"), which the authority parser of
/// Boost.URL 1.81 refuses: its host rule takes the address and then finds
/// text left over.
bool valid_host(std::string_view value) {
  namespace urls = boost::urls;
  if (!value.empty() && value.front() == '[') {
    auto authority = urls::parse_authority(value);
    return authority && !authority->has_userinfo();
  }
  auto colon = value.find(':');
  auto port = colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
  auto name =
      urls::grammar::parse(value.substr(0, colon),
                           urls::pct_encoded_rule(urls::unreserved_chars + urls::sub_delim_chars));
  return name &&
         urls::grammar::find_if_not(port.data(), port.data() + port.size(),
                                    urls::grammar::digit_chars) == port.data() + port.size();
}

refusal bad_request(std::string message) {
  return {error_reply(error_code::bad_request, std::move(message)), true};
}

} // namespace

std::optional<refusal> refusal_of_parse_error(const beast::error_code& ec) {
  if (ec == http::error::body_limit)
    return refusal{error_reply(error_code::payload_too_large, "request body is larger than 64 KiB"),
                   true};
  if (ec == http::error::header_limit)
    return refusal{error_reply(error_code::header_too_large, "request head is larger than 8 KiB"),
                   true};
  bool parse_error = ec.category() == http::make_error_code(http::error::bad_method).category() &&
                     ec != http::error::end_of_stream && ec != http::error::partial_message;
  if (parse_error)
    return bad_request("malformed HTTP request: " + ec.message());
  return std::nullopt;
}

std::optional<refusal> refusal_of_head(const http::request_header<>& head,
                                       bool has_content_length) {
  auto encodings = count_of(head, http::field::transfer_encoding);
  // Request smuggling: Beast 1.81 would accept a message with both framings.
  if (has_content_length && encodings > 0)
    return bad_request("Content-Length together with Transfer-Encoding is not allowed");
  // Any Transfer-Encoding but one final `chunked`, and any in HTTP/1.0:
  // Beast would read such a body as the next request.
  if (encodings > 0 && (head.version() < 11 || encodings > 1 ||
                        !only_chunked(*first_of(head, http::field::transfer_encoding))))
    return bad_request("Transfer-Encoding must be a single, final chunked");
  auto hosts = count_of(head, http::field::host);
  if (hosts > 1 || (head.version() >= 11 && hosts == 0))
    return bad_request("a request needs exactly one Host header (HTTP/1.0: at most one)");
  if (hosts == 1 && !valid_host(*first_of(head, http::field::host)))
    return bad_request("Host must be host[:port]");
  return std::nullopt;
}

std::optional<refusal> refusal_of_media_type(const http::request_header<>& head, bool has_body) {
  if (head.method() != http::verb::post || !has_body)
    return std::nullopt;
  auto content_type = first_of(head, http::field::content_type);
  if (!content_type || is_json(*content_type))
    return std::nullopt;
  return refusal{
      error_reply(error_code::unsupported_media_type, "request body must be application/json"),
      false};
}

bool expects_continue(const http::request_header<>& head) {
  if (head.version() < 11)
    return false; // HTTP/1.0 knows no 1xx replies (RFC 9110 10.1.1)
  auto expect = first_of(head, http::field::expect);
  return expect && beast::iequals(*expect, "100-continue");
}

} // namespace fridgebank::net
