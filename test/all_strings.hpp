#pragma once

// Exhaustive inputs for checking a fast path against the general parser it
// skips.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

/// Every string of up to `max_length` characters of `alphabet`, "" first.
inline std::vector<std::string> all_strings(std::string_view alphabet, std::size_t max_length) {
  std::vector<std::string> out{""};
  for (std::size_t begin = 0, length = 1; length <= max_length; ++length) {
    auto end = out.size();
    for (auto i = begin; i < end; ++i)
      for (char c : alphabet)
        out.push_back(out[i] + c);
    begin = end;
  }
  return out;
}
