#pragma once

// A response as the bytes that go on the wire, made once. Beast's serializer
// walks a view of many small buffers on every write; for our small replies
// that cost more instructions than everything else in a request's write
// (bench/instructions.sh, bench/NOTES.md). A flat string is also what
// lets a session send several pipelined replies in one write.

#include "fridgebank/net/http.hpp"

#include <string>

namespace fridgebank::net {

/// Status line in HTTP/`version` (10 or 11), the reply's header fields in
/// order, the framing fields, blank line, body. The framing is the session's
/// to decide, so it is written here and not looked up and set in the reply
/// first (what `keep_alive()` and `prepare_payload()` would do, at a lookup
/// in Beast's field tree each): `Content-Length` always (no reply of ours is
/// 1xx, 204 or 304), and `Connection` when it differs from the version's
/// default. Framing fields already in the reply are left out. The reply to a
/// HEAD (`with_body` false) is the same head, body left out.
std::string to_wire(const response& reply, unsigned version, bool keep_alive,
                    bool with_body = true);

} // namespace fridgebank::net
