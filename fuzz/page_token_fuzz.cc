// The page tokens of every paged RPC (klinik::PageTokenCodec) over any text, with the cursor
// shapes and RPC names the services use. Properties: only tokens Encode makes are accepted, so an
// accepted token encodes back to itself; a decoded cursor survives another round trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "klinik/page_token.h"

namespace {

template <typename Codec>
void Check(const Codec& codec, std::string_view token) {
  std::optional<typename Codec::Cursor> cursor = codec.Decode(token);
  if (!cursor) return;
  std::string again = codec.Encode(*cursor);
  FUZZ_CHECK(again == token);
  FUZZ_CHECK(codec.Decode(again) == cursor);
}

const klinik::PageTokenCodec<std::string, std::string> kSearchPatients(
    "PatientDirectory.SearchPatients");
const klinik::PageTokenCodec<int64_t, std::string> kListScreenings(
    "ScreeningService.ListScreenings");
const klinik::PageTokenCodec<int64_t, std::string> kListReferrals("ReferralService.ListReferrals");
const klinik::PageTokenCodec<int64_t, std::string> kListSyncFailures("SyncStatus.ListSyncFailures");

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  Check(kSearchPatients, token);
  Check(kListScreenings, token);
  Check(kListReferrals, token);
  Check(kListSyncFailures, token);
  return 0;
}
