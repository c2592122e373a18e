#include "fhir_client.h"

#include <cctype>

namespace satusehat_sync {

std::string FhirClient::Escape(const std::string& value) {
  std::string out;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace satusehat_sync
