#include "check/checker.hpp"

#include "check/partition.hpp"

#include <algorithm>
#include <cassert>
#include <sstream>

namespace fridgebank::check {

namespace {

using clock = std::chrono::steady_clock;

template <class Model>
shown_op show(const typename Model::op& o, const std::vector<http_operation>& h) {
  return shown_op{
      o.when.client,          o.when.call, o.when.returned, o.when.answered, Model::describe(o),
      h[o.when.source].where, false};
}

/// `ops` restricted to the indices in `keep`.
template <class Op>
std::vector<Op> subset(const std::vector<Op>& ops, const std::vector<std::size_t>& keep) {
  std::vector<Op> out;
  for (auto i : keep)
    out.push_back(ops[i]);
  return out;
}

/// Whether `window` of `ops` cannot be ordered from any of `starts`.
template <class Model>
bool fails_from_all(const std::vector<typename Model::op>& ops,
                    const std::vector<std::size_t>& window,
                    std::vector<typename Model::state> starts, deadline until) {
  auto some = subset(ops, window);
  for (auto& s : Model::starts(some))
    starts.push_back(std::move(s));
  return std::all_of(starts.begin(), starts.end(), [&](const auto& s) {
    return linearize<Model>(some, s, until).result == verdict::violation;
  });
}

/// The smallest set of operations that cannot be ordered. First a window:
/// the last operations of the deepest order the search found and the ones
/// that could not come next, from the state the search had reached before
/// them, widened until it fails on its own. Then, if the window cannot be
/// ordered whatever the state before it (every state its replies imply is
/// tried), it is shrunk one operation at a time while that still holds; else
/// it is reported as it is, with the state it starts from.
template <class Model>
void find_core(const std::vector<typename Model::op>& ops, const dead_end<Model>& end,
               const typename Model::state& initial, deadline until, object_verdict& v,
               const std::vector<http_operation>& h) {
  std::vector<std::size_t> window;
  typename Model::state start = initial;
  bool fails = false;
  for (std::size_t w = 8; !fails; w *= 2) {
    w = std::min(w, end.order.size());
    start = initial;
    for (std::size_t i = 0; i + w < end.order.size(); ++i) {
      auto next = Model::step(start, ops[end.order[i]]);
      assert(next); // the search applied exactly these, in this order
      start = next ? *next : start;
    }
    window.assign(end.order.end() - static_cast<std::ptrdiff_t>(w), end.order.end());
    for (auto f : end.frontier)
      if (std::find(window.begin(), window.end(), f) == window.end())
        window.push_back(f);
    fails = linearize<Model>(subset(ops, window), start, until).result == verdict::violation;
    if (w == end.order.size())
      break;
  }
  if (!fails) { // the whole history, which fails by the first search
    start = initial;
    window.clear();
    for (std::size_t i = 0; i < ops.size(); ++i)
      window.push_back(i);
  }
  v.core_minimal = fails_from_all<Model>(ops, window, {start}, until);
  v.start_state = v.core_minimal ? "" : Model::describe(start);
  for (std::size_t i = window.size(); v.core_minimal && i-- > 0;) {
    if (clock::now() > until) {
      v.core_minimal = false;
      v.start_state = "(not shrunk: the time ran out) " + Model::describe(start);
      break;
    }
    auto without = window;
    without.erase(without.begin() + static_cast<std::ptrdiff_t>(i));
    if (fails_from_all<Model>(ops, without, {start}, until))
      window = std::move(without);
  }
  std::sort(window.begin(), window.end(),
            [&](auto a, auto b) { return ops[a].when.call < ops[b].when.call; });
  for (auto i : window)
    v.core.push_back(show<Model>(ops[i], h));
  for (const auto& o : ops) {
    v.timeline.push_back(show<Model>(o, h));
    v.timeline.back().in_core = std::any_of(
        window.begin(), window.end(), [&](auto i) { return ops[i].when.source == o.when.source; });
  }
}

template <class Model>
object_verdict check_object(std::string name, const std::vector<typename Model::op>& ops,
                            deadline until, const std::vector<http_operation>& h) {
  object_verdict v;
  v.object = std::move(name);
  v.operations = ops.size();
  auto started = clock::now();
  typename Model::state initial{};
  auto r = linearize<Model>(ops, initial, until);
  v.result = r.result;
  v.steps = r.steps;
  if (r.result == verdict::violation) {
    dead_end<Model> end;
    // Within the same budget: a violation found late is reported without
    // its core rather than past the time the user allowed.
    linearize<Model>(ops, initial, until, r.deepest, &end);
    if (!end.order.empty() || !end.frontier.empty())
      find_core<Model>(ops, end, initial, std::min(until, clock::now() + std::chrono::seconds{10}),
                       v, h);
  }
  v.seconds = std::chrono::duration<double>(clock::now() - started).count();
  return v;
}

const char* name_of(verdict v) {
  switch (v) {
  case verdict::linearizable:
    return "linearizable";
  case verdict::violation:
    return "NOT linearizable";
  case verdict::undecided:
    return "undecided";
  }
  return "?";
}

} // namespace

report check_history(const std::vector<http_operation>& history, const options& how) {
  report r;
  r.operations = history.size();
  auto parts = partition(history);
  r.ignored = parts.ignored;
  auto until = clock::now() + how.budget;
  for (const auto& [name, ops] : parts.fridges)
    r.objects.push_back(check_object<fridge_model>("fridge " + name, ops, until, history));
  if (!parts.bank.empty())
    r.objects.push_back(check_object<bank_model>("bank", parts.bank, until, history));
  for (const auto& v : r.objects)
    if (v.result == verdict::violation)
      r.overall = verdict::violation;
    else if (v.result == verdict::undecided && r.overall == verdict::linearizable)
      r.overall = verdict::undecided;
  return r;
}

std::string to_text(const report& r) {
  std::ostringstream out;
  std::size_t objects[3] = {0, 0, 0};
  constexpr std::size_t detailed = 10; // objects told in full; the rest counted
  std::size_t told = 0;
  for (const auto& v : r.objects) {
    ++objects[static_cast<int>(v.result)];
    if (v.result == verdict::linearizable || told++ >= detailed)
      continue;
    out << v.object << ": " << name_of(v.result) << " (" << v.operations << " operations, "
        << v.steps << " steps, " << v.seconds << " s)\n";
    if (v.result != verdict::violation)
      continue;
    if (v.core_minimal)
      out << "  these " << v.core.size()
          << " operations cannot be ordered from any state their replies suggest:\n";
    else
      out << "  from the state \"" << v.start_state << "\" the search reached, these "
          << v.core.size() << " operations cannot be ordered:\n";
    for (const auto& op : v.core)
      out << "    client " << op.client << "  [" << op.call << ", "
          << (op.answered ? std::to_string(op.returned) : std::string{"..."}) << "]  " << op.text
          << "   (" << op.where << ")\n";
  }
  if (told > detailed)
    out << "(and " << told - detailed << " more objects that are not linearizable)\n";
  out << name_of(r.overall) << ": " << r.operations << " operations, " << r.objects.size()
      << " objects (" << objects[0] << " linearizable, " << objects[1] << " not, " << objects[2]
      << " undecided), " << r.ignored << " ignored\n";
  return out.str();
}

} // namespace fridgebank::check
