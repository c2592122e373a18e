// referral's ListReferrals page token (DecodePageToken) over any text. Property: the position it
// decodes survives another encode and decode unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "referral_grpc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string token(reinterpret_cast<const char*>(data), size);
  int64_t requested_at_ms = 0;
  std::string referral_id;
  if (!referral::DecodePageToken(token, &requested_at_ms, &referral_id)) return 0;
  int64_t ms_again = 0;
  std::string id_again;
  FUZZ_CHECK(referral::DecodePageToken(referral::EncodePageToken(requested_at_ms, referral_id),
                                       &ms_again, &id_again));
  FUZZ_CHECK(ms_again == requested_at_ms && id_again == referral_id);
  return 0;
}
