// hostile-records: the acceptance check of issue 14 (a record with arbitrary bytes must never
// crash or stall a consumer) against a running `make run`. It publishes records whose key,
// headers or value hold arbitrary bytes to the four intake topics and klinik.patients.v1 (what
// satusehat-sync consumes) — each followed by a valid RegisterPatient — and then proves from the
// topics alone that
//   - every valid registration is answered on klinik.patients.v1 (matched by request id),
//   - every hostile record is on klinik.deadletter.v1, written by the service that consumes its
//     topic, with dlq_origin_topic/partition/offset naming where it was written and the
//     original key, value and headers kept byte for byte (only the dead letter of a record
//     close to message.max.bytes may be cut, and must say so in dlq_truncated),
//   - no valid registration is dead-lettered.
// Whether the five processes are still alive is checked by tools/dev/hostile_records.sh, which
// drives this program (ports files, /healthz, run.sh's report of a dead process).
//
//   hostile-records --bootstrap 127.0.0.1:41297 [--timeout 60] [--valid-only]
//                   [--cases ff-header,binary-key] [--topics klinik.intake.registration.v1]
//
// Exit 0 when every expectation is met, 1 when one is not (each is listed), 2 on a bad flag.
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "klinik/cloudevents.h"
#include "klinik/kafka.h"
#include "klinik/log.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"

namespace {

using namespace std::chrono_literals;
namespace topics = klinik::topics;

constexpr std::string_view kUsage =
    "usage: hostile-records --bootstrap HOST:PORT [--timeout SECONDS] [--valid-only]\n"
    "                       [--cases NAME,…] [--topics TOPIC,…] [--huge-value-bytes N]\n"
    "\n"
    "Publishes hostile records (arbitrary bytes in key, headers and value), each followed by a\n"
    "valid RegisterPatient, then checks klinik.patients.v1 and klinik.deadletter.v1.\n"
    "\n"
    "  --bootstrap HOST:PORT  the Kafka broker (make run: run/devbroker.bootstrap)\n"
    "  --timeout SECONDS      how long each answer or dead letter may take (default 60)\n"
    "  --valid-only           publish only the valid registrations (checks the check itself)\n"
    "  --cases NAME,…         hostile cases (default all): ff-header, binary-traceparent,\n"
    "                         binary-ce-id, huge-ce-id, binary-key, huge-value\n"
    "  --topics TOPIC,…       where to send them (default all five: the four intake topics\n"
    "                         and klinik.patients.v1, which satusehat-sync consumes)\n"
    "  --huge-value-bytes N   size of the huge-value case (default 999000, so the record stays\n"
    "                         under librdkafka's message.max.bytes of 1000000)\n";

// Where a record is written, who consumes it there (the dead letter's dlq_service), and the
// ce_type its headers carry so that only the bytes under test are wrong.
struct Target {
  std::string_view topic;
  std::string_view service;
  std::string_view ce_type;
};
constexpr std::array<Target, 5> kTargets = {{
    {topics::kIntakeRegistration, "registration", "id.klinik.intake.register_patient.v1"},
    {topics::kIntakeScreening, "screening", "id.klinik.intake.submit_screening.v1"},
    {topics::kIntakePharmacy, "pharmacy", "id.klinik.intake.receive_stock.v1"},
    {topics::kIntakeReferral, "referral", "id.klinik.intake.request_referral.v1"},
    {topics::kPatients, "satusehat-sync", "id.klinik.patient.registered.v1"},
}};

// The hostile records of issue 14. `valid_payload`: on the registration intake the value is a
// valid RegisterPatient, so only the header is wrong and the service must judge the header
// itself; everywhere else the value is garbage.
struct Case {
  std::string_view name;
  std::string_view what;
  bool valid_payload;
};
constexpr std::array<Case, 6> kCases = {{
    {"ff-header", "garbage value and an extra header whose value is the byte 0xFF", false},
    {"binary-traceparent", "garbage value and a binary traceparent (NUL, 0xFF, 0x80 bytes)", false},
    {"binary-ce-id", "ce_id = bytes FF FE 00 80", true},
    {"huge-ce-id", "ce_id = 10240 x 'a'", true},
    {"binary-key", "key with NUL and 0xFF bytes and a garbage value", false},
    {"huge-value", "random-bytes value close to message.max.bytes", false},
}};

struct Options {
  std::string bootstrap;
  std::chrono::seconds timeout{60};
  bool valid_only = false;
  std::vector<const Case*> cases;
  std::vector<const Target*> targets;
  size_t huge_value_bytes = 999'000;
};

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<long> ParseLong(std::string_view text, long min, long max) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

// Options, or a one-line error naming the bad flag.
std::optional<Options> ParseOptions(const std::vector<std::string>& args, std::string* error) {
  Options o;
  std::string cases = "all", targets;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--valid-only") {
      o.valid_only = true;
      continue;
    }
    if (i + 1 >= args.size()) {
      *error = flag + ": unknown flag or missing value";
      return std::nullopt;
    }
    const std::string& value = args[++i];
    if (flag == "--bootstrap") {
      o.bootstrap = value;
    } else if (flag == "--timeout") {
      auto seconds = ParseLong(value, 1, 3600);
      if (!seconds) {
        *error = "--timeout: '" + value + "' is not a number of seconds in 1-3600";
        return std::nullopt;
      }
      o.timeout = std::chrono::seconds(*seconds);
    } else if (flag == "--huge-value-bytes") {
      auto bytes = ParseLong(value, 64, 1'000'000);
      if (!bytes) {
        *error = "--huge-value-bytes: '" + value + "' is not in 64-1000000";
        return std::nullopt;
      }
      o.huge_value_bytes = static_cast<size_t>(*bytes);
    } else if (flag == "--cases") {
      cases = value;
    } else if (flag == "--topics") {
      targets = value;
    } else {
      *error = flag + ": unknown flag";
      return std::nullopt;
    }
  }
  if (o.bootstrap.empty()) {
    *error = "--bootstrap: required (make run writes it to run/devbroker.bootstrap)";
    return std::nullopt;
  }
  if (cases == "all") {
    for (const Case& c : kCases) o.cases.push_back(&c);
  } else {
    for (const std::string& name : SplitList(cases)) {
      auto it =
          std::find_if(kCases.begin(), kCases.end(), [&](const Case& c) { return c.name == name; });
      if (it == kCases.end()) {
        *error = "--cases: unknown case '" + name + "'";
        return std::nullopt;
      }
      o.cases.push_back(&*it);
    }
  }
  // Default: every topic of kTargets, so each of the five services consumes hostile records.
  std::vector<std::string> names = SplitList(targets);
  if (targets.empty()) {
    for (const Target& t : kTargets) names.emplace_back(t.topic);
  }
  for (const std::string& name : names) {
    auto it = std::find_if(kTargets.begin(), kTargets.end(),
                           [&](const Target& t) { return t.topic == name; });
    if (it == kTargets.end()) {
      *error = "--topics: '" + name + "' is not one of the consumed topics this check knows";
      return std::nullopt;
    }
    o.targets.push_back(&*it);
  }
  if (o.cases.empty() || o.targets.empty()) {
    *error = "--cases/--topics: nothing to send";
    return std::nullopt;
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// The records

std::string Pad(int value, int width) {
  std::string s = std::to_string(value);
  return std::string(static_cast<size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') + s;
}

// Bytes no intake wrapper decodes: eleven 0xFF bytes are a varint longer than protobuf's
// ten-byte maximum, so parsing fails at the first tag whatever follows.
std::string Garbage(std::mt19937_64& rng, size_t size) {
  std::string out(std::min<size_t>(size, 11), '\xFF');
  out.reserve(size);
  while (out.size() < size) out += static_cast<char>(rng() & 0xFF);
  return out;
}

bool AnyWrapperDecodes(const std::string& value) {
  klinik::v1::RegistrationIntake registration;
  klinik::v1::ScreeningIntake screening;
  klinik::v1::PharmacyIntake pharmacy;
  klinik::v1::ReferralIntake referral;
  klinik::v1::PatientEvent patient;
  return registration.ParseFromString(value) || screening.ParseFromString(value) ||
         pharmacy.ParseFromString(value) || referral.ParseFromString(value) ||
         patient.ParseFromString(value);
}

// A resident of Kecamatan 320415 with a NIK that agrees with the birth date and sex and a
// random serial, so a second run against the same `make run` is answered too (as registered
// or, on a rare collision, as matched).
klinik::OutgoingMessage ValidRegistration(std::mt19937_64& rng, const std::string& request_id) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  bool female = pick(0, 1) == 1;
  int year = pick(1950, 2005), month = pick(1, 12), day = pick(1, 28);
  std::string nik = "320415" + Pad(day + (female ? 40 : 0), 2) + Pad(month, 2) +
                    Pad(year % 100, 2) + Pad(pick(1, 9999), 4);
  klinik::v1::RegistrationIntake intake;
  auto* reg = intake.mutable_register_patient();
  reg->set_request_id(request_id);
  reg->set_nik(nik);
  reg->set_full_name(female ? "Siti Hostile" : "Budi Hostile");
  reg->set_birth_date(Pad(year, 4) + "-" + Pad(month, 2) + "-" + Pad(day, 2));
  reg->set_sex(female ? klinik::v1::SEX_FEMALE : klinik::v1::SEX_MALE);
  reg->mutable_address()->set_village_code("32.04.15.2003");
  reg->set_clinic_id("klinik-desa-3204152003");
  klinik::OutgoingMessage m{
      std::string(topics::kIntakeRegistration), nik, intake.SerializeAsString(), {}};
  klinik::AppendCloudEventHeaders(
      klinik::NewCloudEvent("id.klinik.intake.register_patient.v1", "/hostile-records", request_id),
      m.headers);
  return m;
}

// The hostile record of `c` on `t`; its valid RegisterPatient (when the case has one) carries
// `request_id`.
klinik::OutgoingMessage HostileRecord(const Case& c, const Target& t, const Options& o,
                                      std::mt19937_64& rng, const std::string& request_id) {
  klinik::OutgoingMessage m;
  if (c.valid_payload && t.topic == topics::kIntakeRegistration) {
    m = ValidRegistration(rng, request_id);
    m.headers.clear();
  } else {
    m.topic = std::string(t.topic);
    m.key = request_id;
    m.value = Garbage(rng, c.name == "huge-value" ? o.huge_value_bytes : 64);
  }
  klinik::CloudEvent ce =
      klinik::NewCloudEvent(std::string(t.ce_type), "/hostile-records", request_id);
  if (c.name == "binary-traceparent") {
    ce.traceparent.clear();
    while (ce.traceparent.size() < 55) ce.traceparent.append("\xFF\x00\xFE\x80-", 5);
  } else if (c.name == "binary-ce-id") {
    ce.id = std::string("\xFF\xFE\x00\x80", 4);
  } else if (c.name == "huge-ce-id") {
    ce.id = std::string(10240, 'a');
  } else if (c.name == "binary-key") {
    m.key = std::string("\x00\xFFkey\x00\xFE\x80", 8);
  }
  klinik::AppendCloudEventHeaders(ce, m.headers);
  if (c.name == "ff-header") m.headers.emplace_back("x-hostile", "\xFF");
  return m;
}

// ---------------------------------------------------------------------------------------------
// What was sent and what came back

struct Sent {
  std::string label;  // e.g. "#03 binary-ce-id on klinik.intake.registration.v1"
  klinik::OutgoingMessage message;
  int32_t partition = -1;
  int64_t offset = -1;
  bool hostile = false;
  std::string service;     // hostile: who must dead-letter it
  std::string request_id;  // valid: the request to be answered; hostile: a payload's, if any
};

struct Answer {
  std::string kind;  // registered, matched, rejected
  std::string detail;
};

struct DeadLetter {
  std::string service, error, key, value;
  klinik::Headers headers;
};

using Coordinates = std::tuple<std::string, int32_t, int64_t>;

struct Observed {
  std::map<std::string, Answer> answers;           // by request id
  std::map<Coordinates, DeadLetter> dead_letters;  // by origin topic, partition, offset
  long undecodable_patient_events = 0;
};

// Bytes as text for a report line: printable ASCII as is, the rest as \xNN, cut at `max`.
std::string Printable(std::string_view bytes, size_t max = 60) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    auto u = static_cast<unsigned char>(bytes[i]);
    if (u >= 0x20 && u < 0x7F) {
      out += static_cast<char>(u);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", u);
      out += buf;
    }
  }
  if (bytes.size() > max) out += "…(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string FindHeaderOr(const klinik::Headers& headers, std::string_view name) {
  return klinik::FindHeader(headers, name).value_or("");
}

// What librdkafka counts against message.max.bytes, roughly: key, value and headers.
size_t RecordBytes(const klinik::OutgoingMessage& m) {
  size_t n = m.key.size() + m.value.size();
  for (const auto& [k, v] : m.headers) n += k.size() + v.size();
  return n;
}

// Records this large (within 10 % of message.max.bytes, 1000000) may have a dead letter that is
// cut: the dead letter's own headers can push a whole copy over the limit.
constexpr size_t kMayBeCutAbove = 900'000;

void Observe(const klinik::ConsumedMessage& m, const std::map<Coordinates, const Sent*>& sent,
             Observed& seen) {
  if (m.topic == topics::kPatients) {
    klinik::v1::PatientEvent e;
    if (!e.ParseFromString(m.value)) {
      ++seen.undecodable_patient_events;
      return;
    }
    if (e.has_patient_registered()) {
      seen.answers[e.patient_registered().request_id()] = {"registered",
                                                           e.patient_registered().patient_id()};
    } else if (e.has_registration_matched()) {
      seen.answers[e.registration_matched().request_id()] = {"matched",
                                                             e.registration_matched().patient_id()};
    } else if (e.has_registration_rejected()) {
      std::string reasons;
      for (const auto& r : e.registration_rejected().reasons()) {
        reasons += (reasons.empty() ? "" : ",") + r.code();
      }
      seen.answers[e.registration_rejected().request_id()] = {"rejected", reasons};
    }
    return;
  }
  if (m.topic != topics::kDeadLetter) return;
  auto topic = klinik::FindHeader(m.headers, "dlq_origin_topic");
  auto partition = klinik::FindHeader(m.headers, "dlq_origin_partition");
  auto offset = klinik::FindHeader(m.headers, "dlq_origin_offset");
  if (!topic || !partition || !offset) return;
  auto p = ParseLong(*partition, 0, std::numeric_limits<int32_t>::max());
  auto off = ParseLong(*offset, 0, std::numeric_limits<long>::max());
  if (!p || !off) return;
  Coordinates at{*topic, static_cast<int32_t>(*p), *off};
  if (!sent.contains(at) || seen.dead_letters.contains(at)) return;  // not ours, or a repeat
  seen.dead_letters[at] = {klinik::FindHeader(m.headers, "dlq_service").value_or(""),
                           klinik::FindHeader(m.headers, "dlq_error").value_or(""), m.key, m.value,
                           m.headers};
}

// Why `s` is not (yet) as it must be; empty when it is.
std::string Problem(const Sent& s, const Observed& seen) {
  auto dl = seen.dead_letters.find({s.message.topic, s.partition, s.offset});
  auto answer = s.request_id.empty() ? seen.answers.end() : seen.answers.find(s.request_id);
  if (!s.hostile) {
    if (dl != seen.dead_letters.end()) {
      return "the valid registration was dead-lettered by " + dl->second.service + ": " +
             Printable(dl->second.error, 200);
    }
    if (answer == seen.answers.end()) return "no answer on klinik.patients.v1";
    if (answer->second.kind == "rejected") {
      return "the valid registration was rejected: " + answer->second.detail;
    }
    return "";
  }
  if (dl == seen.dead_letters.end()) {
    if (answer != seen.answers.end()) {
      return "no dead letter: it was processed as a registration instead (" + answer->second.kind +
             ")";
    }
    return "no dead letter on klinik.deadletter.v1";
  }
  const DeadLetter& d = dl->second;
  if (d.service != s.service) return "dead-lettered by '" + d.service + "', not " + s.service;
  // Only a record close to message.max.bytes may have a dead letter that is cut to fit, and a
  // cut one says so: dlq_truncated lists what was cut (value, key, headers) and
  // dlq_original_value_bytes the original size; whatever it keeps is still the original bytes.
  std::vector<std::string> cut = SplitList(FindHeaderOr(d.headers, "dlq_truncated"));
  auto was_cut = [&](std::string_view part) {
    return std::find(cut.begin(), cut.end(), part) != cut.end();
  };
  if (!cut.empty() && RecordBytes(s.message) < kMayBeCutAbove) {
    return "the dead letter of a " + std::to_string(RecordBytes(s.message)) +
           "-byte record was cut (dlq_truncated=" +
           Printable(FindHeaderOr(d.headers, "dlq_truncated")) + ")";
  }
  if (was_cut("value")) {
    if (!std::string_view(s.message.value).starts_with(d.value) ||
        FindHeaderOr(d.headers, "dlq_original_value_bytes") !=
            std::to_string(s.message.value.size())) {
      return "the cut dead letter's value is not a prefix of the original, or "
             "dlq_original_value_bytes does not give the original size";
    }
  } else if (d.value != s.message.value) {
    return "the dead letter's value differs from the original (" + std::to_string(d.value.size()) +
           " bytes, sent " + std::to_string(s.message.value.size()) + ")";
  }
  if (was_cut("key") ? !d.key.empty() : d.key != s.message.key) {
    return "the dead letter's key differs from the original (" + Printable(d.key) + ")";
  }
  if (!was_cut("headers") &&
      (d.headers.size() < s.message.headers.size() ||
       !std::equal(s.message.headers.begin(), s.message.headers.end(), d.headers.begin()))) {
    return "the dead letter does not keep the original headers byte for byte";
  }
  return "";
}

std::string Status(const Sent& s, const Observed& seen) {
  if (!s.hostile) {
    const Answer& a = seen.answers.at(s.request_id);
    return "answered: " + a.kind + " " + a.detail;
  }
  const DeadLetter& d = seen.dead_letters.at({s.message.topic, s.partition, s.offset});
  std::string cut = FindHeaderOr(d.headers, "dlq_truncated");
  return "dead letter by " + d.service +
         (cut.empty() ? std::string()
                      : " (cut to fit: " + cut + "; value " + std::to_string(d.value.size()) +
                            " of " + std::to_string(s.message.value.size()) + " bytes)") +
         ": " + Printable(d.error, 90);
}

// ---------------------------------------------------------------------------------------------

int Run(const Options& o) {
  // The report is the output; the clients' own info lines (partitions assigned…) are noise.
  klinik::log::SetLevel(klinik::log::Level::kWarn);
  std::mt19937_64 rng{std::random_device{}()};
  const std::string run = klinik::NewUuid().substr(0, 8);
  std::cout << "hostile-records: run " << run << " against " << o.bootstrap
            << (o.valid_only ? " (valid registrations only)" : "") << "; each answer may take "
            << o.timeout.count() << " s\n";
  if (!o.valid_only) {
    for (const Case* c : o.cases) std::cout << "  case " << c->name << ": " << c->what << "\n";
  }

  klinik::KafkaSettings kafka;
  kafka.properties["bootstrap.servers"] = o.bootstrap;
  // The devbroker's mock cluster assigns partitions only with these (TOOLCHAIN.md).
  klinik::KafkaSettings consumer_settings = kafka;
  consumer_settings.properties["session.timeout.ms"] = "6000";
  consumer_settings.properties["heartbeat.interval.ms"] = "500";
  // From the beginning, so nothing written before the group is assigned is missed; older
  // answers and dead letters do not match this run's request ids and coordinates.
  consumer_settings.properties["auto.offset.reset"] = "earliest";
  klinik::Consumer consumer(consumer_settings, "hostile-records-" + run,
                            {std::string(topics::kPatients), std::string(topics::kDeadLetter)});
  kafka.properties["message.timeout.ms"] = "30000";
  klinik::Producer producer(kafka);

  // The plan: every case on every topic, each record followed by a valid registration.
  std::vector<Sent> plan;
  int step = 0;
  for (const Target* t : o.targets) {
    for (const Case* c : o.cases) {
      ++step;
      std::string id = "hostile-" + run + "-" + Pad(step, 2);
      std::string where = std::string(c->name) + " on " + std::string(t->topic);
      if (!o.valid_only) {
        Sent h{"#" + Pad(step, 2) + " " + where, HostileRecord(*c, *t, o, rng, id + "-bad")};
        h.hostile = true;
        h.service = std::string(t->service);
        if (c->valid_payload && t->topic == topics::kIntakeRegistration) {
          h.request_id = id + "-bad";
        } else if (AnyWrapperDecodes(h.message.value)) {
          std::cerr << "hostile-records: BUG: the garbage of " << where << " decodes\n";
          return 1;
        }
        plan.push_back(std::move(h));
      }
      Sent v{"#" + Pad(step, 2) + " valid registration after " + where, ValidRegistration(rng, id)};
      v.request_id = id;
      plan.push_back(std::move(v));
    }
  }

  std::map<Coordinates, const Sent*> by_coordinates;
  auto sent_at = std::chrono::steady_clock::now();
  for (Sent& s : plan) {
    klinik::DeliveryResult r = producer.SendSync(s.message, 30s);
    if (!r.ok) {
      std::cout << "FAIL: could not publish " << s.label << " to " << o.bootstrap << ": " << r.error
                << "\n";
      return 1;
    }
    s.partition = r.partition;
    s.offset = r.offset;
    by_coordinates[{s.message.topic, s.partition, s.offset}] = &s;
  }
  std::cout << "published " << plan.size() << " records in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - sent_at)
                   .count()
            << " ms; waiting for answers and dead letters\n";

  // Records went out within a few seconds, so "each within --timeout of being sent" is, to
  // within those seconds, one deadline after the last of them.
  Observed seen;
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
  auto all_met = [&] {
    return std::all_of(plan.begin(), plan.end(),
                       [&](const Sent& s) { return Problem(s, seen).empty(); });
  };
  while (!all_met() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& m : consumer.PollBatch(500, 200ms)) Observe(m, by_coordinates, seen);
  }
  consumer.Close();

  int failed = 0;
  for (const Sent& s : plan) {
    std::string problem = Problem(s, seen);
    std::string where =
        s.message.topic + "/" + std::to_string(s.partition) + "@" + std::to_string(s.offset);
    if (problem.empty()) {
      std::cout << "  ok    " << s.label << " [" << where << "]: " << Status(s, seen) << "\n";
    } else {
      ++failed;
      std::cout << "  FAIL  " << s.label << " [" << where << "]: " << problem << "\n";
    }
  }
  if (failed > 0) {
    std::cout << "FAIL: " << failed << " of " << plan.size() << " records not handled as required"
              << " within " << o.timeout.count() << " s\n";
    return 1;
  }
  std::cout << "PASS: " << plan.size() << " records, each answered or dead-lettered as required\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    std::cout << kUsage;
    return 0;
  }
  std::string error;
  std::optional<Options> options = ParseOptions(args, &error);
  if (!options) {
    std::cerr << "hostile-records: " << error << "\n";
    return 2;
  }
  try {
    return Run(*options);
  } catch (const std::exception& e) {
    std::cerr << "hostile-records: " << e.what() << "\n";
    return 1;
  }
}
