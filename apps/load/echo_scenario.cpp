// `echo`: GET /echo?greeting=hello as fast as the server answers; every reply
// must be the greeting back.

#include "load/routes.hpp"
#include "load/scenario.hpp"

namespace fridgebank::load {

namespace {

class echo_scenario final : public scenario {
public:
  void setup(sync_client&) override {}

  std::optional<request> next(std::size_t) override { return routes::echo(); }

  outcome complete(std::size_t, const request&, const reply& rep,
                   std::vector<std::size_t>&) override {
    if (!rep.success())
      return outcome::error;
    if (rep.body != "hello to you too!") {
      ++wrong_replies_;
      return outcome::error;
    }
    return outcome::ok;
  }

  std::vector<check> finish(sync_client&) override {
    return {{"every echo says 'hello to you too!'", wrong_replies_ == 0,
             std::to_string(wrong_replies_) + " other replies"}};
  }

private:
  std::uint64_t wrong_replies_ = 0;
};

} // namespace

std::unique_ptr<scenario> make_echo_scenario() {
  return std::make_unique<echo_scenario>();
}

} // namespace fridgebank::load
