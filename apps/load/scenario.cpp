#include "load/scenario.hpp"

#include <stdexcept>

namespace fridgebank::load {

const std::vector<std::string>& scenario_names() {
  static const std::vector<std::string> names{"echo",         "drink",         "bank",
                                              "polite-naive", "polite-atomic", "mixed"};
  return names;
}

std::unique_ptr<scenario> make_scenario(const scenario_options& options) {
  if (options.name == "echo")
    return make_echo_scenario();
  if (options.name == "drink")
    return make_drink_scenario(options);
  if (options.name == "bank")
    return make_bank_scenario(options);
  if (options.name == "polite-naive" || options.name == "polite-atomic")
    return make_polite_scenario(options, options.name == "polite-atomic");
  if (options.name == "mixed")
    return make_mixed_scenario(options);
  throw std::invalid_argument("unknown scenario '" + options.name + "'");
}

} // namespace fridgebank::load
