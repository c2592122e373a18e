// Unit tests of the platform's pure parts: configuration, log redaction, CloudEvents headers,
// time and id helpers. No I/O.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <sstream>

#include "klinik/cloudevents.h"
#include "klinik/config.h"
#include "klinik/log.h"
#include "klinik/outbox.h"
#include "klinik/time_util.h"

namespace klinik {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Config, ReadsTypedValuesAndDefaults) {
  Config c({{"KLINIK_BATCH_SIZE", "250"},
            {"KLINIK_RATE", "2.5"},
            {"KLINIK_ON", "yes"},
            {"KLINIK_WAIT", "72h"}});
  EXPECT_EQ(c.Int("KLINIK_BATCH_SIZE", 1, 1, 1000), 250);
  EXPECT_EQ(c.Int("KLINIK_MISSING", 7, 1, 1000), 7);
  EXPECT_DOUBLE_EQ(c.Double("KLINIK_RATE", 1, 0, 10), 2.5);
  EXPECT_TRUE(c.Bool("KLINIK_ON", false));
  EXPECT_EQ(c.Duration("KLINIK_WAIT", std::chrono::seconds(1)), std::chrono::hours(72));
}

struct BadValue {
  std::map<std::string, std::string> env;
  std::function<void(const Config&)> read;
  std::string must_name;
};

class ConfigRejects : public ::testing::TestWithParam<BadValue> {};

TEST_P(ConfigRejects, BadValueWithOneLineNamingTheVariable) {
  Config c(GetParam().env);
  try {
    GetParam().read(c);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    std::string what = e.what();
    if (!GetParam().env.empty()) {
      EXPECT_THAT(what, HasSubstr(GetParam().env.begin()->first + ": "));
    }
    EXPECT_THAT(what, HasSubstr(GetParam().must_name));
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Values, ConfigRejects,
    ::testing::Values(BadValue{{{"KLINIK_BATCH_SIZE", "many"}},
                               [](const Config& c) { (void)c.Int("KLINIK_BATCH_SIZE", 1, 1, 9); },
                               "KLINIK_BATCH_SIZE"},
                      BadValue{{{"KLINIK_BATCH_SIZE", "0"}},
                               [](const Config& c) { (void)c.Int("KLINIK_BATCH_SIZE", 1, 1, 9); },
                               "between 1 and 9"},
                      BadValue{{{"KLINIK_BATCH_SIZE", "12abc"}},
                               [](const Config& c) { (void)c.Int("KLINIK_BATCH_SIZE", 1, 1, 99); },
                               "KLINIK_BATCH_SIZE"},
                      BadValue{{{"KLINIK_RATE", "fast"}},
                               [](const Config& c) { (void)c.Double("KLINIK_RATE", 1, 0, 9); },
                               "KLINIK_RATE"},
                      BadValue{{{"KLINIK_ON", "maybe"}},
                               [](const Config& c) { (void)c.Bool("KLINIK_ON", true); },
                               "KLINIK_ON"},
                      BadValue{{{"KLINIK_WAIT", "10"}},
                               [](const Config& c) { (void)c.Duration("KLINIK_WAIT", {}); },
                               "with a unit"},
                      BadValue{{{"KLINIK_WAIT", "10parsecs"}},
                               [](const Config& c) { (void)c.Duration("KLINIK_WAIT", {}); },
                               "KLINIK_WAIT"},
                      BadValue{{},
                               [](const Config& c) { (void)c.RequiredString("KLINIK_ORG_ID"); },
                               "KLINIK_ORG_ID: is required"},
                      BadValue{{},
                               [](const Config& c) { (void)c.Secret("KLINIK_CLIENT_SECRET"); },
                               "KLINIK_CLIENT_SECRET_FILE"},
                      BadValue{{{"KLINIK_CLIENT_SECRET_FILE", "/nonexistent/secret"}},
                               [](const Config& c) { (void)c.Secret("KLINIK_CLIENT_SECRET"); },
                               "cannot read"}),
    [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(Config, SecretValuesAreNeverEchoed) {
  Config c(std::map<std::string, std::string>{{"KLINIK_CLIENT_SECRET", "hunter2hunter2"}});
  try {
    (void)c.Int("KLINIK_CLIENT_SECRET", 1, 1, 2);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), Not(HasSubstr("hunter2")));
  }
  EXPECT_THAT(c.Describe(), Not(HasSubstr("hunter2")));
}

TEST(Config, FlagsOverrideEnvironmentAndUnknownFlagsAreRefused) {
  setenv("KLINIK_BATCH_SIZE", "10", 1);
  std::vector<std::string> args = {"svc", "--batch-size=20", "--log-level", "debug",
                                   "--batch-sise=3"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  Config c = Config::FromProcess(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(c.Int("KLINIK_BATCH_SIZE", 1, 1, 100), 20);
  EXPECT_EQ(c.String("KLINIK_LOG_LEVEL", "info"), "debug");
  try {
    c.RejectUnknownFlags();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("--batch-sise"));
  }
  unsetenv("KLINIK_BATCH_SIZE");
}

TEST(Config, KafkaPropertiesPassThrough) {
  Config c({{"KLINIK_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"},
            {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", "k:9093"},
            {"KLINIK_DATABASE_URL", "sqlite:///x"}});
  auto props = c.KafkaProperties();
  EXPECT_EQ(props.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(props.at("bootstrap.servers"), "k:9093");
  EXPECT_EQ(props.size(), 2u);
}

TEST(Redact, MasksPersonalData) {
  EXPECT_EQ(redact::Nik("3201014501900001"), "32**************");
  EXPECT_EQ(redact::Name("Siti Aminah"), "S***");
  EXPECT_EQ(redact::Phone("+6281234567890"), "+62*********90");
  EXPECT_EQ(redact::Scrub("nik 3201014501900001 and hp 081234567890 ok 12345"),
            "nik **************** and hp ************ ok 12345");
}

TEST(Log, NeverPrintsNikNamesOrPhones) {
  std::ostringstream sink;
  log::SetSink(&sink);
  log::Info("registered 3201014501900001", {{"nik", "3201014501900001"},
                                            {"full_name", "Siti Aminah"},
                                            {"phone", "081234567890"},
                                            {"note", "called 081234567890"},
                                            {"patient_id", "5f0c-uuid"},
                                            {"count", 3}});
  log::SetSink(nullptr);
  std::string line = sink.str();
  EXPECT_THAT(line, Not(HasSubstr("3201014501900001")));
  EXPECT_THAT(line, Not(HasSubstr("Siti")));
  EXPECT_THAT(line, Not(HasSubstr("081234567890")));
  EXPECT_THAT(line, HasSubstr("\"patient_id\":\"5f0c-uuid\""));
  EXPECT_THAT(line, HasSubstr("\"count\":3"));
  auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["level"], "info");
  EXPECT_EQ(json["full_name"], "[redacted]");
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
}

TEST(Log, LevelFilters) {
  std::ostringstream sink;
  log::SetSink(&sink);
  log::SetLevel(log::Level::kWarn);
  log::Info("hidden");
  log::Warn("shown");
  log::SetLevel(log::Level::kInfo);
  log::SetSink(nullptr);
  EXPECT_THAT(sink.str(), Not(HasSubstr("hidden")));
  EXPECT_THAT(sink.str(), HasSubstr("shown"));
}

TEST(CloudEvents, HeadersRoundTrip) {
  CloudEvent e =
      NewCloudEvent("id.klinik.patient.registered.v1", "/klinik/registration", "patient-1");
  Headers h;
  AppendCloudEventHeaders(e, h);
  EXPECT_EQ(FindHeader(h, "ce_specversion"), "1.0");
  EXPECT_EQ(FindHeader(h, "content-type"), "application/protobuf");
  std::string error;
  auto back = ParseCloudEventHeaders(h, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->id, e.id);
  EXPECT_EQ(back->type, e.type);
  EXPECT_EQ(back->source, e.source);
  EXPECT_EQ(back->subject, "patient-1");
  EXPECT_EQ(back->time, e.time);
  EXPECT_EQ(back->traceparent, e.traceparent);
  EXPECT_TRUE(IsUuid(back->id));
  EXPECT_TRUE(ParseRfc3339(back->time));
}

TEST(CloudEvents, MissingOrBadAttributesAreReported) {
  Headers h = {{"ce_specversion", "1.0"}, {"ce_source", "/x"}, {"ce_type", "t"}};
  std::string error;
  EXPECT_FALSE(ParseCloudEventHeaders(h, &error));
  EXPECT_THAT(error, HasSubstr("ce_id"));
  h.emplace_back("ce_id", "abc");
  h.emplace_back("ce_time", "yesterday");
  EXPECT_FALSE(ParseCloudEventHeaders(h, &error));
  EXPECT_THAT(error, HasSubstr("ce_time"));
  Headers v2 = {{"ce_specversion", "0.3"}, {"ce_id", "a"}, {"ce_source", "/x"}, {"ce_type", "t"}};
  EXPECT_FALSE(ParseCloudEventHeaders(v2, &error));
}

TEST(CloudEvents, TraceIdIsKeptAcrossHops) {
  CloudEvent first = NewCloudEvent("t", "/a", "s");
  CloudEvent second = NewCloudEvent("t", "/b", "s", first.traceparent);
  EXPECT_EQ(first.traceparent.substr(3, 32), second.traceparent.substr(3, 32));
  EXPECT_NE(first.traceparent, second.traceparent);
}

TEST(Time, Rfc3339) {
  auto t = ParseRfc3339("2025-07-21T08:30:00+07:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t), "2025-07-21T01:30:00Z");
  EXPECT_EQ(FormatFhirDateTime(*t), "2025-07-21T01:30:00+00:00");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2025-07-21T01:30:00.250Z"), true),
            "2025-07-21T01:30:00.250Z");
  EXPECT_FALSE(ParseRfc3339("2025-07-21 01:30:00"));
  EXPECT_FALSE(ParseRfc3339("2025-13-21T01:30:00Z"));
}

TEST(Time, CivilDates) {
  EXPECT_TRUE(ParseCivilDate("2024-02-29"));
  EXPECT_FALSE(ParseCivilDate("2025-02-29"));
  EXPECT_FALSE(ParseCivilDate("2025-2-1"));
  EXPECT_EQ(DaysBetween(*ParseCivilDate("2025-12-31"), *ParseCivilDate("2026-01-30")), 30);
  EXPECT_EQ(FormatCivilDate(AddDays(*ParseCivilDate("2024-02-28"), 1)), "2024-02-29");
}

// Found by fuzz/rfc3339 and fuzz/cloudevents_headers (as ce_time): a date past 2262 overflowed
// TimePoint's 64-bit nanoseconds and came back as an instant in the 19th century.
TEST(Time, Rfc3339OutsideTheRepresentableYearsIsRefused) {
  EXPECT_FALSE(ParseRfc3339("2825-07-21T01:30:00.123Z"));
  EXPECT_FALSE(ParseRfc3339("9999-12-31T23:59:59Z"));
  EXPECT_FALSE(ParseRfc3339("1500-01-01T00:00:00Z"));
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("2261-12-31T23:59:59Z")), "2261-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("1678-01-01T00:00:00Z")), "1678-01-01T00:00:00Z");
}

// Found by fuzz/screening_intake, fuzz/pharmacy_intake and fuzz/referral_intake: an app's
// Timestamp past 2262 overflowed on conversion; any seconds and nanos now saturate.
TEST(Time, UnixTimesSaturateAtTheRepresentableYears) {
  EXPECT_EQ(FormatRfc3339(FromUnixMillis(253402300799000)), "2261-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(FromUnixTime(253402300799, 999999999)), "2261-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(FromUnixTime(std::numeric_limits<int64_t>::max(), -1)),
            "2261-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(FromUnixTime(std::numeric_limits<int64_t>::min(), 0)),
            "1678-01-01T00:00:00Z");
  EXPECT_EQ(FromUnixTime(1768446000, 250'000'000), FromUnixMillis(1768446000250));
}

// Found by fuzz/duration: "171735283183385792h" overflowed into a negative duration.
TEST(Config, DurationsLongerThanACenturyAreRefused) {
  EXPECT_THROW((void)ParseDuration("171735283183385792h"), std::invalid_argument);
  EXPECT_THROW((void)ParseDuration("36501d"), std::invalid_argument);
  EXPECT_EQ(ParseDuration("36500d"), std::chrono::hours(24 * 36500));
}

// Hostile envelopes (issue 14): header values are bytes; anything a producer can send is either
// a valid event or a clear contract error, never an exception.
Headers ValidHeaders() {
  Headers h;
  AppendCloudEventHeaders(NewCloudEvent("id.klinik.test.v1", "/test", "p1"), h);
  return h;
}

void Set(Headers& h, const std::string& name, const std::string& value) {
  for (auto& [k, v] : h) {
    if (k == name) v = value;
  }
}

TEST(CloudEventsHostile, ABinaryExtraHeaderIsFineAndABinaryTraceparentIsDropped) {
  Headers h = ValidHeaders();
  h.emplace_back("x-binary", std::string("\xff\x00\xfe", 3));
  Set(h, "traceparent", std::string("\xff\xfe\x00garbage", 10));
  std::string error;
  auto ce = ParseCloudEventHeaders(h, &error);
  ASSERT_TRUE(ce) << error;
  EXPECT_EQ(ce->traceparent, "") << "a malformed traceparent starts a new trace";
  EXPECT_EQ(ChildTraceparent(ce->traceparent).size(), 55u);
}

TEST(CloudEventsHostile, BinaryLongDuplicatedOrControlCharacterCeIdIsAContractError) {
  struct Case {
    std::string ce_id;
    std::string must_say;
  };
  for (const Case& c : {Case{std::string("\xff\xfe\x00\x80", 4), "not UTF-8"},
                        Case{std::string(10240, 'a'), "longer than 256 bytes"},
                        Case{std::string("id\x01x"), "control character"},
                        Case{std::string("a\0b", 3), "control character"}}) {
    Headers h = ValidHeaders();
    Set(h, "ce_id", c.ce_id);
    std::string error;
    EXPECT_FALSE(ParseCloudEventHeaders(h, &error));
    EXPECT_THAT(error, HasSubstr("ce_id"));
    EXPECT_THAT(error, HasSubstr(c.must_say));
  }
  Headers twice = ValidHeaders();
  twice.emplace_back("ce_id", NewUuid());
  std::string error;
  EXPECT_FALSE(ParseCloudEventHeaders(twice, &error));
  EXPECT_THAT(error, HasSubstr("more than once"));
  Headers binary_type = ValidHeaders();
  Set(binary_type, "ce_type", "\xc0\xaf");  // an overlong '/'
  EXPECT_FALSE(ParseCloudEventHeaders(binary_type, &error));
  EXPECT_THAT(error, HasSubstr("ce_type is not UTF-8"));
}

TEST(CloudEventsHostile, Utf8ValidationFollowsRfc3629) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("Puskesmas Ciawi"));
  EXPECT_TRUE(IsUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x8f\xa5"));  // é € 🏥
  EXPECT_FALSE(IsUtf8("\xff"));
  EXPECT_FALSE(IsUtf8("\xc3"));              // cut short
  EXPECT_FALSE(IsUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsUtf8("\xe2\x82"));
}

TEST(OutboxBytes, HeadersWithEveryByteRoundTrip) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  Headers h = {{"plain", "value"}, {all, all}, {"", ""}, {"big", std::string(300000, '\xff')}};
  Headers back;
  ASSERT_TRUE(DecodeHeaders(EncodeHeaders(h), &back));
  EXPECT_EQ(back, h);
  ASSERT_TRUE(DecodeHeaders(EncodeHeaders({}), &back));
  EXPECT_TRUE(back.empty());
}

TEST(OutboxBytes, CorruptHeaderBytesAreRefusedNotThrown) {
  std::string good = EncodeHeaders({{"ce_id", "x"}, {"k", "v"}});
  Headers back;
  EXPECT_FALSE(DecodeHeaders("", &back));
  EXPECT_FALSE(DecodeHeaders(std::string("\x02", 1), &back)) << "unknown format";
  EXPECT_FALSE(DecodeHeaders(good.substr(0, good.size() - 1), &back)) << "cut short";
  EXPECT_TRUE(back.empty());
  EXPECT_FALSE(DecodeHeaders(std::string("\x01\xff\xff\xff\xff\x0f", 6), &back)) << "huge size";
}

TEST(DeadLetterFit, A999KbValueWithHeadersIsCutToTheProducerLimitWithAHeaderSayingSo) {
  OutgoingMessage dl{"klinik.deadletter.v1", "key", std::string(999 * 1024, 'x'), {}};
  dl.headers = ValidHeaders();
  dl.headers.emplace_back("dlq_error", "value is not a klinik.v1.RegistrationIntake");
  ASSERT_TRUE(FitDeadLetter(dl, kDefaultMessageMaxBytes));
  size_t total = dl.key.size() + dl.value.size();
  for (const auto& [k, v] : dl.headers) total += k.size() + v.size() + 10;
  EXPECT_LE(total, kDefaultMessageMaxBytes);
  EXPECT_GT(dl.value.size(), 900000u) << "only what does not fit is cut";
  EXPECT_EQ(dl.key, "key");
  EXPECT_EQ(FindHeader(dl.headers, "dlq_truncated"), "value");
  EXPECT_EQ(FindHeader(dl.headers, "dlq_original_value_bytes"), std::to_string(999 * 1024));
  EXPECT_TRUE(FindHeader(dl.headers, "ce_id")) << "the original's headers are kept";

  OutgoingMessage small{"klinik.deadletter.v1", "key", "value", ValidHeaders()};
  EXPECT_FALSE(FitDeadLetter(small, kDefaultMessageMaxBytes));
  EXPECT_FALSE(FindHeader(small.headers, "dlq_truncated"));
}

TEST(DeadLetterFit, AHugeKeyAndHugeHeadersAreDroppedKeepingWhereItCameFrom) {
  OutgoingMessage dl{"klinik.deadletter.v1", std::string(600000, 'k'), "v", {}};
  dl.headers = {{"x-huge", std::string(1100000, 'h')}, {"dlq_origin_offset", "42"}};
  ASSERT_TRUE(FitDeadLetter(dl, kDefaultMessageMaxBytes));
  EXPECT_TRUE(dl.key.empty());
  EXPECT_FALSE(FindHeader(dl.headers, "x-huge"));
  EXPECT_EQ(FindHeader(dl.headers, "dlq_origin_offset"), "42");
  EXPECT_EQ(FindHeader(dl.headers, "dlq_truncated"), "value,key,headers");
}

TEST(KafkaErrors, RefusalsAreClassedPermanentTransientOrFatal) {
  // librdkafka's codes: MSG_SIZE_TOO_LARGE 10, UNKNOWN_TOPIC_OR_PART 3, _UNKNOWN_TOPIC -188,
  // _MSG_TIMED_OUT -192, _QUEUE_FULL -184, _FATAL -150, _TRANSPORT -195.
  EXPECT_EQ(ClassifySendError(10), SendErrorClass::kPermanent);
  EXPECT_EQ(ClassifySendError(3), SendErrorClass::kTransient) << "a topic still propagating";
  EXPECT_EQ(ClassifySendError(-188), SendErrorClass::kPermanent);
  EXPECT_EQ(ClassifySendError(-192), SendErrorClass::kTransient);
  EXPECT_EQ(ClassifySendError(-184), SendErrorClass::kTransient);
  EXPECT_EQ(ClassifySendError(-195), SendErrorClass::kTransient);
  EXPECT_EQ(ClassifySendError(-150), SendErrorClass::kFatal);
  EXPECT_EQ(ClassifySendError(0), SendErrorClass::kNone);
}

// Left by the fuzzing of issue 14: pharmacy's gRPC date ranges reach these with any year
// ParseCivilDate takes (up to 9999), where a TimePoint's nanoseconds overflow.
TEST(Time, CivilDatesPast2262NeitherOverflowNorWrap) {
  EXPECT_EQ(StartOfDay({9999, 12, 31}), FromUnixMillis(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(StartOfDay({1, 1, 1}), FromUnixMillis(std::numeric_limits<int64_t>::min()));
  EXPECT_GT(StartOfDay({9999, 12, 31}), StartOfDay({2261, 12, 30})) << "no wrap into the past";
  EXPECT_EQ(StartOfDay({2026, 1, 15}), *ParseRfc3339("2026-01-15T00:00:00Z"));
  EXPECT_EQ(AddDays({9999, 12, 31}, 1), (CivilDate{10000, 1, 1}));
  EXPECT_EQ(AddDays({2024, 2, 28}, 1), (CivilDate{2024, 2, 29}));
  EXPECT_EQ(AddDays({2026, 1, 1}, -1), (CivilDate{2025, 12, 31}));
  CivilDate far = AddDays({2026, 1, 1}, std::numeric_limits<int64_t>::max());
  EXPECT_GT(far.year, 9999);
  EXPECT_EQ(DaysBetween({2026, 1, 1}, AddDays({2026, 1, 1}, 5000000)), 3652425)
      << "bounded to ten thousand years";
}

// Found by fuzz/rfc3339: the year bound was checked on the local year, so an instant in 2262
// UTC was accepted, and the text it formats to was refused.
TEST(Time, Rfc3339BoundsTheInstantNotTheLocalYear) {
  EXPECT_FALSE(ParseRfc3339("2261-12-31T23:59:60-03:30"));
  EXPECT_FALSE(ParseRfc3339("1678-01-01T00:00:00+14:00"));
  auto last = ParseRfc3339("2261-12-31T20:29:59.999-03:30");
  ASSERT_TRUE(last);
  EXPECT_EQ(ParseRfc3339(FormatRfc3339(*last, true)), last);
  EXPECT_TRUE(ParseRfc3339("1678-01-01T14:00:00+14:00"));
}

// --- protobuf Timestamps, the clinic's UTC offset, positive durations ---

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

google::protobuf::Timestamp Ts(int64_t seconds, int32_t nanos) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

TEST(Timestamp, ConvertsExactlyWithNanosAlwaysPositive) {
  struct Case {
    const char* rfc3339;
    int64_t seconds;
    int32_t nanos;
  };
  for (const Case& c : std::vector<Case>{{"2026-11-18T17:00:00.123456789Z", 1795021200, 123456789},
                                         {"1970-01-01T00:00:00Z", 0, 0},
                                         {"1969-12-31T23:59:59.999Z", -1, 999000000},
                                         {"1678-01-01T00:00:00Z", -9214560000, 0}}) {
    TimePoint t = *ParseRfc3339(c.rfc3339);
    google::protobuf::Timestamp ts = ToTimestamp(t);
    EXPECT_EQ(ts.seconds(), c.seconds) << c.rfc3339;
    EXPECT_EQ(ts.nanos(), c.nanos) << c.rfc3339;
    EXPECT_EQ(FromTimestamp(ts), t) << c.rfc3339;
  }
}

TEST(Timestamp, ToTheMillisecondFloors) {
  for (const char* text : {"2026-11-18T17:00:00.123456789Z", "1969-12-31T23:59:59.9999Z"}) {
    TimePoint t = *ParseRfc3339(text);
    EXPECT_EQ(FromTimestamp(ToTimestampMillis(t)), std::chrono::floor<milliseconds>(t)) << text;
  }
  google::protobuf::Timestamp before_epoch =
      ToTimestampMillis(*ParseRfc3339("1969-12-31T23:59:59.9999Z"));
  EXPECT_EQ(before_epoch.seconds(), -1);
  EXPECT_EQ(before_epoch.nanos(), 999000000);
}

TEST(Timestamp, WhatNoClockHoldsSaturatesAndUnsetIsNullopt) {
  EXPECT_EQ(FromTimestamp(Ts(253402300799, 0)), ParseRfc3339("2261-12-31T23:59:59.999Z"));
  EXPECT_EQ(FromTimestamp(Ts(std::numeric_limits<int64_t>::min(), 0)),
            ParseRfc3339("1678-01-01T00:00:00Z"));
  EXPECT_EQ(FromTimestamp(Ts(std::numeric_limits<int64_t>::max(), 999999999)),
            ParseRfc3339("2261-12-31T23:59:59.999Z"));
  EXPECT_FALSE(FromTimestampIfSet(google::protobuf::Timestamp()).has_value());
  EXPECT_EQ(FromTimestampIfSet(Ts(0, 1)), FromUnixTime(0, 1));
  EXPECT_EQ(FromTimestampIfSet(Ts(1795021200, 0)), ParseRfc3339("2026-11-18T17:00:00Z"));
}

TEST(UtcOffset, OffsetsAndIndonesianZoneNamesParse) {
  struct Case {
    const char* text;
    int minutes;
  };
  for (const Case& c : std::vector<Case>{{"+07:00", 420},
                                         {"+08:00", 480},
                                         {"+09:00", 540},
                                         {"WIB", 420},
                                         {"WITA", 480},
                                         {"WIT", 540},
                                         {"wita", 480},
                                         {"+8", 480},
                                         {"+07", 420},
                                         {"+7:30", 450},
                                         {"-03:30", -210},
                                         {"Z", 0},
                                         {"-00:00", 0},
                                         {"+14:00", 840},
                                         {"-12:00", -720}}) {
    EXPECT_EQ(ParseUtcOffset(c.text), minutes(c.minutes)) << c.text;
  }
}

TEST(UtcOffset, AnythingElseIsRefused) {
  for (const char* bad :
       {"", "07:00", "+15:00", "-12:30", "+14:01", "+07:60", "+07:0", "+007:00", "+0700", "+0700x",
        "+", "+:30", "WITT", "WI", "UTC", "Asia/Jakarta", " +07:00", "+07:00 ", "+-7"}) {
    EXPECT_FALSE(ParseUtcOffset(bad).has_value()) << bad;
  }
}

TEST(Config, UtcOffsetReadsTheSettingOrItsDefault) {
  Config c({{"KLINIK_LOCAL_UTC_OFFSET", "WITA"}, {"KLINIK_OTHER_OFFSET", "+05:30"}});
  EXPECT_EQ(c.UtcOffset("KLINIK_LOCAL_UTC_OFFSET", hours(7)), hours(8));
  EXPECT_EQ(c.UtcOffset("KLINIK_OTHER_OFFSET", hours(7)), minutes(330));
  EXPECT_EQ(c.UtcOffset("KLINIK_UNSET_OFFSET", hours(7)), hours(7));
}

TEST(Config, PositiveDurationReadsTheSettingOrItsDefault) {
  Config c(std::map<std::string, std::string>{{"KLINIK_POLL_INTERVAL", "250ms"}});
  EXPECT_EQ(c.PositiveDuration("KLINIK_POLL_INTERVAL", hours(1)), milliseconds(250));
  EXPECT_EQ(c.PositiveDuration("KLINIK_UNSET_INTERVAL", hours(1)), hours(1));
}

auto ReadOffset = [](const Config& c) { (void)c.UtcOffset("KLINIK_LOCAL_UTC_OFFSET", hours(7)); };
auto ReadInterval = [](const Config& c) { (void)c.PositiveDuration("KLINIK_INTERVAL", hours(1)); };

INSTANTIATE_TEST_SUITE_P(
    OffsetsAndDurations, ConfigRejects,
    ::testing::Values(BadValue{{{"KLINIK_LOCAL_UTC_OFFSET", "+15:00"}}, ReadOffset, "'+15:00'"},
                      BadValue{{{"KLINIK_LOCAL_UTC_OFFSET", "Asia/Jakarta"}}, ReadOffset, "WIB"},
                      BadValue{{{"KLINIK_INTERVAL", "0s"}}, ReadInterval, "more than 0ms"},
                      BadValue{{{"KLINIK_INTERVAL", "0ms"}}, ReadInterval, "'0ms'"},
                      BadValue{
                          {{"KLINIK_INTERVAL", "soon"}}, ReadInterval, "expected a duration"}));

}  // namespace
}  // namespace klinik
