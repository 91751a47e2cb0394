#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace fridgebank::app {

/// A fresh random token (hex of 24 bytes from /dev/urandom).
std::string random_token();

/// Writes `token` to `path` with mode 0600 (replacing what was there).
/// Returns an error text on failure.
std::optional<std::string> write_token_file(const std::filesystem::path& path,
                                            const std::string& token);

} // namespace fridgebank::app
