// The --html page: each object that is not linearizable drawn as Porcupine
// draws a history, one row of bars per client on a common time axis, the
// operations that cannot be ordered in red. One self-contained file: inline
// SVG and CSS, no script, nothing fetched.

#include "check/checker.hpp"

#include <algorithm>
#include <sstream>

namespace fridgebank::check {

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

void draw(std::ostringstream& out, const object_verdict& v) {
  std::vector<std::int64_t> clients;
  std::int64_t first = INT64_MAX, last = INT64_MIN;
  for (const auto& op : v.timeline) {
    if (std::find(clients.begin(), clients.end(), op.client) == clients.end())
      clients.push_back(op.client);
    first = std::min(first, op.call);
    last = std::max(last, op.answered ? op.returned : op.call);
  }
  std::sort(clients.begin(), clients.end());
  const double width = 1100, row = 26, left = 90;
  auto span = static_cast<double>(std::max<std::int64_t>(1, last - first));
  auto x = [&](std::int64_t t) { return left + (width - left - 10) * double(t - first) / span; };
  out << "<h2>" << escape(v.object) << ": not linearizable</h2>\n<p>";
  if (v.core_minimal)
    out << "The operations in red cannot be ordered from any state their replies suggest, "
           "and each of them is needed for that";
  else
    out << "From the state <code>" << escape(v.start_state)
        << "</code> the search reached, the operations in red cannot be ordered";
  out << ". Hover a bar for the operation; time runs left to right, " << span / 1e6
      << " ms in all. A bar that fades out got no reply.</p>\n";
  out << "<svg width=\"" << width << "\" height=\"" << row * double(clients.size() + 1)
      << "\" xmlns=\"http://www.w3.org/2000/svg\">\n";
  for (std::size_t c = 0; c < clients.size(); ++c)
    out << "<text x=\"4\" y=\"" << row * double(c) + 17 << "\">client " << clients[c]
        << "</text>\n";
  for (const auto& op : v.timeline) {
    auto c = std::find(clients.begin(), clients.end(), op.client) - clients.begin();
    auto x0 = x(op.call);
    auto x1 = op.answered ? x(op.returned) : width - 10;
    out << "<rect class=\"" << (op.in_core ? "core" : "op") << (op.answered ? "" : " open")
        << "\" x=\"" << x0 << "\" y=\"" << row * double(c) + 4 << "\" width=\""
        << std::max(2.0, x1 - x0) << "\" height=\"" << row - 8 << "\"><title>"
        << escape(op.text + "  (" + op.where + ")") << "</title></rect>\n";
  }
  out << "</svg>\n<ol>\n";
  for (const auto& op : v.core)
    out << "<li><code>client " << op.client << ": " << escape(op.text) << "</code> <small>"
        << escape(op.where) << "</small></li>\n";
  out << "</ol>\n";
}

} // namespace

std::string to_html(const report& r) {
  std::ostringstream out;
  out << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<title>fridgebank-check</title><style>"
         "body{font:14px system-ui,sans-serif;margin:2em}"
         "rect.op{fill:#8aa9d6}rect.core{fill:#d9534f}rect.open{opacity:.45}"
         "svg text{font:12px monospace}code{background:#f3f3f3}"
         "</style></head><body>\n<h1>fridgebank-check</h1>\n<p>"
      << escape(to_text(r).substr(to_text(r).rfind('\n', to_text(r).size() - 2) + 1)) << "</p>\n";
  bool any = false;
  for (const auto& v : r.objects)
    if (v.result == verdict::violation) {
      draw(out, v);
      any = true;
    }
  if (!any)
    out << "<p>Every object is linearizable; nothing to draw.</p>\n";
  out << "</body></html>\n";
  return out.str();
}

} // namespace fridgebank::check
