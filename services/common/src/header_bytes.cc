// Kafka headers as bytes (klinik_outbox.header_bytes), on their own so the fuzz target of the
// decoder links without the storage layer.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "klinik/outbox.h"

namespace klinik {
namespace {

constexpr char kHeaderFormat = 1;  // first byte of header_bytes

}  // namespace

std::string EncodeHeaders(const Headers& headers) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteRaw(&kHeaderFormat, 1);
    for (const auto& [name, value] : headers) {
      coded.WriteVarint32(static_cast<uint32_t>(name.size()));
      coded.WriteString(name);
      coded.WriteVarint32(static_cast<uint32_t>(value.size()));
      coded.WriteString(value);
    }
  }
  return out;
}

bool DecodeHeaders(std::string_view bytes, Headers* headers) {
  headers->clear();
  if (bytes.empty() || bytes[0] != kHeaderFormat || bytes.size() > (1u << 30)) return false;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()) + 1,
                                            static_cast<int>(bytes.size() - 1));
  while (in.BytesUntilLimit() != 0 && !in.ExpectAtEnd()) {
    uint32_t size = 0;
    std::string name, value;
    if (!in.ReadVarint32(&size) || !in.ReadString(&name, static_cast<int>(size)) ||
        !in.ReadVarint32(&size) || !in.ReadString(&value, static_cast<int>(size))) {
      headers->clear();
      return false;
    }
    headers->emplace_back(std::move(name), std::move(value));
  }
  return true;
}

}  // namespace klinik
