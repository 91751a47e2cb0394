#pragma once

// Every operation of a run as a JSON line, in the shape of Porcupine's
// `Operation` (github.com/anishathalye/porcupine) so a linearizability
// checker can read it:
//
//   {"ClientId":3,"Input":{"method":"POST","target":"/fridges/f/drink","body":{..}},
//    "Call":1200,"Output":{"status":200,"body":{..}},"Return":1850}
//
// Call and Return are nanoseconds since the run started. An operation that
// got no reply may have taken effect at any time after its call: it is
// written last, with "Output":null and the end of the history as Return,
// which is how Porcupine expects a crashed client's operation.

#include "load/operation.hpp"

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace fridgebank::load {

class history_log {
public:
  /// Throws std::runtime_error when the file cannot be written.
  explicit history_log(const std::string& path);

  void record(std::int64_t client, const request& req, const reply& rep,
              std::chrono::nanoseconds call, std::chrono::nanoseconds returned);

  /// Writes the unanswered operations with `end` as their Return; flushes.
  void close(std::chrono::nanoseconds end);

  std::uint64_t operations() const { return operations_; }

private:
  struct unanswered {
    std::int64_t client;
    request req;
    std::chrono::nanoseconds call;
  };

  void write(std::int64_t client, const request& req, const reply* rep,
             std::chrono::nanoseconds call, std::chrono::nanoseconds returned);

  std::ofstream out_;
  std::vector<unanswered> unanswered_;
  std::uint64_t operations_ = 0;
};

} // namespace fridgebank::load
