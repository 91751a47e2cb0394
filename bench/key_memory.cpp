// What the journal's table of answered Idempotency-Keys costs in memory per
// key: fills an idempotency::key_table with N answered keys (digest, a
// reply of the given size) and reads the heap's growth from glibc.
//   fridgebank-key-memory [N=100000] [REPLY_BYTES=25]
// The on-disk cost, and the whole server's RSS, are bench/key_cost.py's.

#include "fridgebank/protocol/idempotency.hpp"

#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <string>

int main(int argc, char** argv) {
  std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
  std::size_t reply = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 25;
  auto heap = [] { return mallinfo2().uordblks; };
  fridgebank::idempotency::key_table table;
  auto before = heap();
  for (std::size_t i = 0; i < n; ++i) {
    fridgebank::idempotency_record r;
    r.key = "key-" + std::to_string(i); // 5 to 10 characters, as clients' UUIDs are not
    r.fingerprint = fridgebank::idempotency::fingerprint("POST", "/accounts/a/deposit", r.key);
    r.status = 200;
    r.body = std::string(reply, 'r');
    r.created = 1;
    table.answered(r);
  }
  auto after = heap();
  std::printf("%zu keys, %zu-byte replies: %.1f bytes of heap per key (%.1f beyond the reply)\n", n,
              reply, double(after - before) / double(n),
              double(after - before) / double(n) - double(reply));
  // A 36-character key (a UUID) does not fit std::string's inline buffer.
  fridgebank::idempotency::key_table uuids;
  before = heap();
  for (std::size_t i = 0; i < n; ++i) {
    fridgebank::idempotency_record r;
    char uuid[64];
    std::snprintf(uuid, sizeof uuid, "%08zx-0000-4000-8000-%012zx", i, i);
    r.key = uuid;
    r.fingerprint = fridgebank::idempotency::fingerprint("POST", "/accounts/a/deposit", r.key);
    r.status = 200;
    r.body = std::string(reply, 'r');
    uuids.answered(r);
  }
  after = heap();
  std::printf("%zu UUID keys: %.1f bytes of heap per key (%.1f beyond the reply)\n", n,
              double(after - before) / double(n),
              double(after - before) / double(n) - double(reply));
}
