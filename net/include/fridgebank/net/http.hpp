#pragma once

// The HTTP types every part of net/ shares.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

namespace fridgebank::net {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

} // namespace fridgebank::net
