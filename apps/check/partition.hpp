#pragma once

// A history split by object, as Porcupine partitions it: every fridge is an
// object of its own, the bank is one object. Operations on different
// objects commute, so each object is checked alone.

#include "check/history.hpp"
#include "check/models.hpp"

#include <map>
#include <string>
#include <vector>

namespace fridgebank::check {

struct partitioned {
  std::map<std::string, std::vector<fridge_model::op>> fridges;
  std::vector<bank_model::op> bank;
  std::size_t ignored = 0; // routes that touch no object (echo, health, ...), reads with no reply
};

/// Every operation as the models see it. A reply of 5xx is no definite
/// outcome: such a write may have taken effect or not, such a read is dropped.
/// `GET /fridges` becomes a look at each fridge it lists, within its window.
partitioned partition(const std::vector<http_operation>& history);

} // namespace fridgebank::check
