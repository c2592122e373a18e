// satusehat-sync's ParseRetryAfter over any header value, then the backoff it feeds: a wait is
// never negative and never shorter than the Retry-After the gateway asked for.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "policies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string header(reinterpret_cast<const char*>(data), size);
  std::optional<satusehat_sync::Millis> wait = satusehat_sync::ParseRetryAfter(header);
  if (!wait) return 0;
  FUZZ_CHECK(wait->count() >= 0);
  satusehat_sync::RetryPolicy policy(std::chrono::milliseconds(200), std::chrono::seconds(30));
  satusehat_sync::Millis delay = policy.Delay(1 + static_cast<int>(size % 50), 0.5, wait);
  FUZZ_CHECK(delay >= *wait);
  return 0;
}
