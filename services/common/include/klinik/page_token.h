// Page tokens for every paged RPC: a keyset cursor (the sort key of the last row a page showed),
// so a page never skips or repeats a row when rows are added between calls, carried in a form
// clients cannot read meaning into.
//
//   // (measured_at in Unix ms, screening_id): the order ListScreenings pages in
//   const klinik::PageTokenCodec<int64_t, std::string> kToken("ScreeningService.ListScreenings");
//
//   std::optional<std::tuple<int64_t, std::string>> after;
//   if (grpc::Status s = kToken.Parse(request->page_token(), &after); !s.ok()) return s;
//   ...
//   response->set_next_page_token(kToken.Encode({last.measured_at_ms, last.screening_id}));
//
// The text is unpadded base64url of a version byte, the fields (each a tag byte, then an int64 as
// 8 bytes big-endian or text as a varint length and its bytes) and a 4-byte FNV-1a checksum over
// the RPC name and all of that. The checksum refuses truncated or edited tokens and another
// RPC's tokens; it protects against accidents, it is no signature. A token grants nothing a
// request could not ask for directly, but it is readable by whoever decodes it: put no field in
// it that the page itself does not already show its caller.
#pragma once

#include <grpcpp/support/status.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace klinik {

// Longer text is refused before it is decoded: no cursor of ours comes near it.
inline constexpr size_t kMaxPageTokenLength = 4096;

namespace page_token_internal {

using Field = std::variant<int64_t, std::string>;

[[nodiscard]] std::string Encode(std::string_view rpc, const std::vector<Field>& fields);
// nullopt unless `token` is exactly the text Encode(rpc, fields) makes for some fields whose
// texts are UTF-8 without control characters (they go to the database as query parameters).
[[nodiscard]] std::optional<std::vector<Field>> Decode(std::string_view rpc,
                                                       std::string_view token);
[[nodiscard]] grpc::Status Refused(std::string_view rpc);

}  // namespace page_token_internal

// One RPC's tokens; Fields are int64_t or std::string, in the RPC's sort order.
template <typename... Fields>
class PageTokenCodec {
  static_assert(sizeof...(Fields) > 0);
  static_assert(((std::is_same_v<Fields, int64_t> || std::is_same_v<Fields, std::string>)&&...),
                "a page token holds int64_t and std::string fields");

 public:
  using Cursor = std::tuple<Fields...>;

  // `rpc` names the method (e.g. "ReferralService.ListReferrals"); it must outlive the codec.
  explicit constexpr PageTokenCodec(std::string_view rpc) : rpc_(rpc) {}

  [[nodiscard]] std::string Encode(const Cursor& cursor) const {
    std::vector<page_token_internal::Field> fields;
    std::apply([&](const auto&... f) { (fields.emplace_back(f), ...); }, cursor);
    return page_token_internal::Encode(rpc_, fields);
  }

  // The cursor Encode put in `token`; nullopt for anything else (garbage, truncated, edited, an
  // older version, another RPC's token).
  [[nodiscard]] std::optional<Cursor> Decode(std::string_view token) const {
    auto fields = page_token_internal::Decode(rpc_, token);
    if (!fields || fields->size() != sizeof...(Fields)) return std::nullopt;
    return Unpack(*fields, std::index_sequence_for<Fields...>{});
  }

  // A request's page_token: empty is the first page (OK, no cursor); a token Encode made gives
  // its cursor; anything else is INVALID_ARGUMENT naming page_token.
  [[nodiscard]] grpc::Status Parse(std::string_view token, std::optional<Cursor>* cursor) const {
    cursor->reset();
    if (token.empty()) return grpc::Status::OK;
    *cursor = Decode(token);
    return cursor->has_value() ? grpc::Status::OK : page_token_internal::Refused(rpc_);
  }

 private:
  template <size_t... I>
  static std::optional<Cursor> Unpack(std::vector<page_token_internal::Field>& fields,
                                      std::index_sequence<I...>) {
    if (!(std::holds_alternative<Fields>(fields[I]) && ...)) return std::nullopt;
    return Cursor{std::get<Fields>(std::move(fields[I]))...};
  }

  std::string_view rpc_;
};

}  // namespace klinik
