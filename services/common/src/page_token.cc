#include "klinik/page_token.h"

namespace klinik::page_token_internal {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kVersion = 1;
constexpr char kIntTag = 'i';
constexpr char kTextTag = 't';
constexpr size_t kChecksumLength = 4;

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3F];
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero padding, or the text was not produced by the encoder.
  if (bits >= 6 || (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

// FNV-1a over the RPC name, a separator no name holds, and the payload.
std::string Checksum(std::string_view rpc, std::string_view payload) {
  uint32_t h = 2166136261u;
  auto add = [&h](unsigned char c) {
    h ^= c;
    h *= 16777619u;
  };
  for (unsigned char c : rpc) add(c);
  add(0);
  for (unsigned char c : payload) add(c);
  return {static_cast<char>(h >> 24), static_cast<char>(h >> 16), static_cast<char>(h >> 8),
          static_cast<char>(h)};
}

void PutVarint(uint64_t n, std::string& out) {
  do {
    auto low = static_cast<unsigned char>(n & 0x7F);
    n >>= 7;
    out += static_cast<char>(low | (n ? 0x80 : 0));
  } while (n);
}

std::optional<uint64_t> TakeVarint(std::string_view& in) {
  uint64_t n = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto c = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    n |= uint64_t{c & 0x7Fu} << shift;
    if ((c & 0x80) == 0) return n;
  }
  return std::nullopt;
}

// Texts reach the database as parameters; PostgreSQL refuses invalid UTF-8 and NUL in them.
bool IsCleanUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size() || (len == 1 && (c < 0x20 || c == 0x7f))) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

std::optional<Field> TakeField(std::string_view& in) {
  char tag = in.front();
  in.remove_prefix(1);
  if (tag == kIntTag) {
    if (in.size() < 8) return std::nullopt;
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(in[i]);
    in.remove_prefix(8);
    return Field(static_cast<int64_t>(bits));
  }
  if (tag != kTextTag) return std::nullopt;
  std::optional<uint64_t> length = TakeVarint(in);
  if (!length || *length > in.size()) return std::nullopt;
  std::string text(in.substr(0, *length));
  in.remove_prefix(*length);
  if (!IsCleanUtf8(text)) return std::nullopt;
  return Field(std::move(text));
}

}  // namespace

std::string Encode(std::string_view rpc, const std::vector<Field>& fields) {
  std::string payload(1, kVersion);
  for (const Field& field : fields) {
    if (const auto* n = std::get_if<int64_t>(&field)) {
      payload += kIntTag;
      auto bits = static_cast<uint64_t>(*n);
      for (int shift = 56; shift >= 0; shift -= 8) payload += static_cast<char>(bits >> shift);
    } else {
      const auto& text = std::get<std::string>(field);
      payload += kTextTag;
      PutVarint(text.size(), payload);
      payload += text;
    }
  }
  return Base64UrlEncode(payload + Checksum(rpc, payload));
}

std::optional<std::vector<Field>> Decode(std::string_view rpc, std::string_view token) {
  if (token.size() > kMaxPageTokenLength) return std::nullopt;
  std::optional<std::string> raw = Base64UrlDecode(token);
  if (!raw || raw->size() < 1 + kChecksumLength) return std::nullopt;
  std::string_view payload(raw->data(), raw->size() - kChecksumLength);
  if (Checksum(rpc, payload) != std::string_view(*raw).substr(payload.size())) return std::nullopt;
  if (payload.front() != kVersion) return std::nullopt;
  payload.remove_prefix(1);
  std::vector<Field> fields;
  while (!payload.empty()) {
    std::optional<Field> field = TakeField(payload);
    if (!field) return std::nullopt;
    fields.push_back(std::move(*field));
  }
  // One token per cursor: a varint padded with extra 0x80 bytes decodes to the same cursor but
  // is text Encode never makes.
  if (Encode(rpc, fields) != token) return std::nullopt;
  return fields;
}

grpc::Status Refused(std::string_view rpc) {
  return {grpc::StatusCode::INVALID_ARGUMENT, "page_token is not a next_page_token of " +
                                                  std::string(rpc) +
                                                  "; send an empty page_token for the first page"};
}

}  // namespace klinik::page_token_internal
