#pragma once

// A response as the bytes that go on the wire, made once. Beast's serializer
// walks a view of many small buffers on every write; for our small replies
// that cost more instructions than everything else in a request's write
// (bench/instructions.sh, docs/performance.md). A flat string is also what
// lets a session send several pipelined replies in one write.

#include "fridgebank/net/http.hpp"

#include <string>

namespace fridgebank::net {

/// Status line, header fields in order, blank line, body. Call
/// prepare_payload() first so the framing fields are set.
std::string to_wire(const response& reply);

} // namespace fridgebank::net
