// SearchPatients page tokens: opaque to clients, a keyset position to us (the last patient's
// name key and id), so a page never skips or repeats a row when patients are added between
// calls. The form is base64url("1:" + patient_id + name_key + 4-byte checksum); "1" versions it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "patient_store.h"

namespace registration {

[[nodiscard]] std::string EncodePageToken(const SearchKey& key);
// nullopt when the token was not made by EncodePageToken (tampered, truncated, another version).
[[nodiscard]] std::optional<SearchKey> DecodePageToken(std::string_view token);

}  // namespace registration
