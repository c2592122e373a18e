// JSON logs, one object per line on stdout, that never carry personal data.
//
//   klinik::log::Info("patient registered", {{"patient_id", id}, {"clinic_id", clinic}});
//
// Protection is layered: fields whose key names personal data (nik, name, phone, birth_date,
// address…) are replaced by "[redacted]"; every string value and the message are scrubbed of
// digit runs that look like a NIK, BPJS or phone number. Call redact::* explicitly when a value
// must be referred to (e.g. redact::Nik keeps the province code only).
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace klinik {
namespace redact {

// "3201014501900001" -> "32**************": the province code stays for triage.
std::string Nik(std::string_view nik);
// "Siti Aminah" -> "S***": enough to tell two log lines apart, not to identify a person.
std::string Name(std::string_view name);
// "+6281234567890" -> "+62*********90".
std::string Phone(std::string_view phone);
// Masks every run of 10 or more digits (NIK, BPJS, phone numbers) inside free text.
std::string Scrub(std::string_view text);
// True when a field of this name carries personal data and must never be logged verbatim.
bool IsPersonalField(std::string_view key);

}  // namespace redact

namespace log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using Field = std::pair<std::string, nlohmann::json>;
using Fields = std::vector<Field>;

// Process-wide settings; call once at start.
void SetService(std::string_view service);
void SetLevel(Level level);
Level ParseLevel(std::string_view text);  // throws std::invalid_argument
// Tests capture output here; nullptr restores stdout.
void SetSink(std::ostream* sink);

void Write(Level level, std::string_view message, const Fields& fields = {});
inline void Debug(std::string_view m, const Fields& f = {}) { Write(Level::kDebug, m, f); }
inline void Info(std::string_view m, const Fields& f = {}) { Write(Level::kInfo, m, f); }
inline void Warn(std::string_view m, const Fields& f = {}) { Write(Level::kWarn, m, f); }
inline void Error(std::string_view m, const Fields& f = {}) { Write(Level::kError, m, f); }

// The JSON line Write() would print, without printing it (for tests and for the devbroker).
std::string Format(Level level, std::string_view message, const Fields& fields);

}  // namespace log
}  // namespace klinik
