#include "page_token.h"

#include "klinik/time_util.h"

namespace registration {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kVersion = "1:";
constexpr size_t kUuidLength = 36;

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

// A tampered token must not reach the database as text it refuses (bad UTF-8, NUL).
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

// FNV-1a: catches truncated or edited tokens (integrity against accidents, not a signature).
std::string Checksum(std::string_view payload) {
  uint32_t h = 2166136261u;
  for (unsigned char c : payload) {
    h ^= c;
    h *= 16777619u;
  }
  return {static_cast<char>(h >> 24), static_cast<char>(h >> 16), static_cast<char>(h >> 8),
          static_cast<char>(h)};
}

constexpr size_t kChecksumLength = 4;

}  // namespace

std::string EncodePageToken(const SearchKey& key) {
  std::string payload = std::string(kVersion) + key.patient_id + key.name_key;
  return Base64UrlEncode(payload + Checksum(payload));
}

std::optional<SearchKey> DecodePageToken(std::string_view token) {
  std::optional<std::string> raw = Base64UrlDecode(token);
  if (!raw || raw->size() <= kVersion.size() + kUuidLength + kChecksumLength) return std::nullopt;
  std::string checksum = raw->substr(raw->size() - kChecksumLength);
  raw->resize(raw->size() - kChecksumLength);
  if (checksum != Checksum(*raw) || !raw->starts_with(kVersion)) return std::nullopt;
  std::string id = raw->substr(kVersion.size(), kUuidLength);
  std::string name_key = raw->substr(kVersion.size() + kUuidLength);
  if (!klinik::IsUuid(id) || !IsCleanUtf8(name_key)) return std::nullopt;
  return SearchKey{std::move(name_key), std::move(id)};
}

}  // namespace registration
