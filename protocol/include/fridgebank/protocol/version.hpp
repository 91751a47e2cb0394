#pragma once

// The release, from `project(fridgebank VERSION ...)` in CMakeLists.txt (the
// one place it is written); CHANGELOG.md says what each one changed.

#include <string_view>

namespace fridgebank {

inline constexpr std::string_view version = FRIDGEBANK_VERSION;

} // namespace fridgebank
