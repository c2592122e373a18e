#include "klinik/time_util.h"

#include <uuid/uuid.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace klinik {
namespace {

using namespace std::chrono;

bool ParseInt(std::string_view text, int& out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

// The first and last millisecond of kFirstYear..kLastYear.
constexpr sys_days kFirstDay = year(kFirstYear) / January / 1;
constexpr sys_days kEndDay = year(kLastYear + 1) / January / 1;
constexpr int64_t kFirstMillis = duration_cast<milliseconds>(kFirstDay.time_since_epoch()).count();
constexpr int64_t kLastMillis = duration_cast<milliseconds>(kEndDay.time_since_epoch()).count() - 1;

}  // namespace

std::string FormatRfc3339(TimePoint t, bool millis) {
  auto secs = floor<seconds>(t);
  auto day = floor<days>(secs);
  year_month_day ymd(day);
  hh_mm_ss hms(secs - day);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lld", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                        long(hms.minutes().count()), static_cast<long long>(hms.seconds().count()));
  std::string out(buf, static_cast<size_t>(n));
  if (millis) {
    auto ms = duration_cast<milliseconds>(t - secs).count();
    std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(ms));
    out += buf;
  }
  return out + "Z";
}

std::string FormatFhirDateTime(TimePoint t) {
  std::string s = FormatRfc3339(t, false);
  s.pop_back();
  return s + "+00:00";
}

std::optional<TimePoint> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|±hh:mm]
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto date = ParseCivilDate(s.substr(0, 10));
  // Outside these years the instant would overflow a TimePoint (time_util.h).
  if (!date || date->year < kFirstYear || date->year > kLastYear) return std::nullopt;
  int hh, mm, ss;
  if (!ParseInt(s.substr(11, 2), hh) || !ParseInt(s.substr(14, 2), mm) ||
      !ParseInt(s.substr(17, 2), ss) || hh > 23 || mm > 59 || ss > 60) {
    return std::nullopt;
  }
  size_t i = 19;
  nanoseconds frac{0};
  if (i < s.size() && s[i] == '.') {
    size_t j = ++i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i) return std::nullopt;
    std::string digits(s.substr(i, std::min<size_t>(j - i, 9)));
    digits.resize(9, '0');
    frac = nanoseconds(std::stoll(digits));
    i = j;
  }
  if (i >= s.size()) return std::nullopt;
  minutes offset{0};
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
  } else if ((s[i] == '+' || s[i] == '-') && s.size() == i + 6 && s[i + 3] == ':') {
    int oh, om;
    if (!ParseInt(s.substr(i + 1, 2), oh) || !ParseInt(s.substr(i + 4, 2), om)) return std::nullopt;
    offset = hours(oh) + minutes(om);
    if (s[i] == '-') offset = -offset;
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  TimePoint t = StartOfDay(*date) + hours(hh) + minutes(mm) + seconds(ss);
  TimePoint instant = time_point_cast<Clock::duration>(t - offset + frac);
  // The bound is on the instant, not the text's local year: "2261-12-31T23:59:60-03:30" is in
  // 2262 UTC, which formats back to text this parser refuses (found by fuzz/rfc3339).
  if (instant < TimePoint(kFirstDay) || instant >= TimePoint(kEndDay)) return std::nullopt;
  return instant;
}

std::optional<CivilDate> ParseCivilDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int y, m, d;
  if (!ParseInt(s.substr(0, 4), y) || !ParseInt(s.substr(5, 2), m) ||
      !ParseInt(s.substr(8, 2), d)) {
    return std::nullopt;
  }
  year_month_day ymd{year(y), month(static_cast<unsigned>(m)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  return CivilDate{y, static_cast<unsigned>(m), static_cast<unsigned>(d)};
}

std::string FormatCivilDate(const CivilDate& d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", d.year, d.month, d.day);
  return buf;
}

CivilDate ToCivilDate(TimePoint t) {
  year_month_day ymd(floor<days>(t));
  return {int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day())};
}

static sys_days ToSysDays(const CivilDate& d) {
  return sys_days(year_month_day{year(d.year), month(d.month), day(d.day)});
}

int64_t DaysBetween(const CivilDate& from, const CivilDate& to) {
  return (ToSysDays(to) - ToSysDays(from)).count();
}

CivilDate AddDays(const CivilDate& date, int64_t n) {
  // Counted in days, never through a TimePoint (whose nanoseconds end in 2262), and bounded to
  // ten thousand years either way so the result stays a year std::chrono can name.
  constexpr int64_t kMaxShift = 3'652'425;
  year_month_day ymd(ToSysDays(date) + days(std::clamp(n, -kMaxShift, kMaxShift)));
  return {int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day())};
}

TimePoint StartOfDay(const CivilDate& date) {
  // A date outside what a TimePoint holds (ParseCivilDate takes years up to 9999) saturates, as
  // FromUnixMillis does, instead of overflowing.
  constexpr int64_t kMillisPerDay = 86'400'000;
  int64_t day = ToSysDays(date).time_since_epoch().count();
  day = std::clamp(day, kFirstMillis / kMillisPerDay - 1, kLastMillis / kMillisPerDay + 1);
  return FromUnixMillis(day * kMillisPerDay);
}

int64_t ToUnixMillis(TimePoint t) {
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}
TimePoint FromUnixMillis(int64_t ms) {
  ms = std::clamp(ms, kFirstMillis, kLastMillis);
  return TimePoint(duration_cast<Clock::duration>(milliseconds(ms)));
}

TimePoint FromUnixTime(int64_t secs, int32_t nanos) {
  // Whole seconds are bounded before anything is multiplied, so nothing can overflow.
  if (secs < kFirstMillis / 1000) return FromUnixMillis(kFirstMillis);
  if (secs > kLastMillis / 1000) return FromUnixMillis(kLastMillis);
  TimePoint t = TimePoint(seconds(secs)) + nanoseconds(nanos);
  return std::clamp(t, FromUnixMillis(kFirstMillis), FromUnixMillis(kLastMillis));
}

google::protobuf::Timestamp ToTimestamp(TimePoint t) {
  auto since = t.time_since_epoch();
  auto secs = floor<seconds>(since);
  google::protobuf::Timestamp out;
  out.set_seconds(secs.count());
  out.set_nanos(static_cast<int32_t>(duration_cast<nanoseconds>(since - secs).count()));
  return out;
}

google::protobuf::Timestamp ToTimestampMillis(TimePoint t) {
  return ToTimestamp(floor<milliseconds>(t));
}

TimePoint FromTimestamp(const google::protobuf::Timestamp& t) {
  return FromUnixTime(t.seconds(), t.nanos());
}

std::optional<TimePoint> FromTimestampIfSet(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return std::nullopt;
  return FromTimestamp(t);
}

std::optional<minutes> ParseUtcOffset(std::string_view text) {
  std::string upper(text.substr(0, 5));
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (text.size() <= 4) {
    if (upper == "Z") return minutes(0);
    if (upper == "WIB") return hours(7);
    if (upper == "WITA") return hours(8);
    if (upper == "WIT") return hours(9);
  }
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  std::string_view body = text.substr(1);
  int h = 0, m = 0;
  if (size_t colon = body.find(':'); colon != std::string_view::npos) {
    if (colon == 0 || colon > 2 || body.size() - colon - 1 != 2 ||
        !ParseInt(body.substr(0, colon), h) || !ParseInt(body.substr(colon + 1), m) || m >= 60) {
      return std::nullopt;
    }
  } else if (body.size() > 2 || !ParseInt(body, h)) {
    return std::nullopt;
  }
  int total = h * 60 + m;
  if (text[0] == '-') total = -total;
  if (total < -12 * 60 || total > 14 * 60) return std::nullopt;
  return minutes(total);
}

std::string NewUuid() {
  uuid_t raw;
  uuid_generate_random(raw);
  char text[37];
  uuid_unparse_lower(raw, text);
  return text;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  std::string copy(text);
  uuid_t raw;
  return uuid_parse(copy.c_str(), raw) == 0;
}

}  // namespace klinik
