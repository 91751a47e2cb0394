#pragma once

// A fresh scratch directory for one test (a data directory, say), removed
// afterwards.

#include <doctest/doctest.h>
#include <filesystem>
#include <stdlib.h>
#include <string>

namespace fridgebank::test {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/fridgebank-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string str() const { return path.string(); }
};

} // namespace fridgebank::test
