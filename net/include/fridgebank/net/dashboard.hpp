#pragma once

// `GET /`: one self-contained page (HTML, CSS and JavaScript, nothing
// fetched from elsewhere) that shows the fridges, the bank and the live
// figures: it loads the list routes, then follows `GET /events`. The source
// is net/src/dashboard.html, built into the binary.

#include <string_view>

namespace fridgebank::net {

extern const std::string_view dashboard_page;

} // namespace fridgebank::net
