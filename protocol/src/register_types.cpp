#include "fridgebank/protocol/register_types.hpp"

#include "fridgebank/protocol/batching.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "fridgebank/protocol/interfaces.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <cstdint>
#include <string>

namespace fridgebank {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<drink_request>("fridgebank::drink_request");
  cfg.add_message_type<fridge_result>("fridgebank::fridge_result");
  cfg.add_message_type<fridge_state>("fridgebank::fridge_state");
  cfg.add_message_type<fridge_list>("fridgebank::fridge_list");
  cfg.add_message_type<page_request>("fridgebank::page_request");
  cfg.add_message_type<new_fridge>("fridgebank::new_fridge");
  cfg.add_message_type<account>("fridgebank::account");
  cfg.add_message_type<transfer_request>("fridgebank::transfer_request");
  cfg.add_message_type<transfer_result>("fridgebank::transfer_result");
  cfg.add_message_type<ledger_snapshot>("fridgebank::ledger_snapshot");
  cfg.add_message_type<fridge_record>("fridgebank::fridge_record");
  cfg.add_message_type<account_record>("fridgebank::account_record");
  cfg.add_message_type<journal_entry>("fridgebank::journal_entry");
  cfg.add_message_type<durable_state>("fridgebank::durable_state");
  cfg.add_message_type<journal_stats>("fridgebank::journal_stats");
  cfg.add_message_type<idempotency_record>("fridgebank::idempotency_record");
  cfg.add_message_type<idempotency_verdict>("fridgebank::idempotency_verdict");
  cfg.add_message_type<journal_actor>("fridgebank::journal_actor");
  cfg.add_message_type<fridge_actor>("fridgebank::fridge_actor");
  cfg.add_message_type<directory_actor>("fridgebank::directory_actor");
  cfg.add_message_type<bank_actor>("fridgebank::bank_actor");
  cfg.add_message_type<node_actor>("fridgebank::node_actor");
  cfg.add_message_type<batch>("fridgebank::batch");
  // CAF 0.17.6's add_error_category<T> does not compile (its lambda does not
  // match error_renderer), so we hand it the renderer ourselves.
  cfg.add_error_category(caf::atom("fridgebank"),
                         [](std::uint8_t code, caf::atom_value, const caf::message& context) {
                           std::string text = "fridgebank: ";
                           text += api_code(static_cast<error_code>(code));
                           if (!context.empty() && context.match_element<std::string>(0)) {
                             text += " (";
                             text += context.get_as<std::string>(0);
                             text += ")";
                           }
                           return text;
                         });
}

} // namespace fridgebank
