#include "report.h"

#include <sqlite3.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <regex>
#include <sstream>

#include <google/protobuf/stubs/common.h>
#include <grpcpp/grpcpp.h>
#include <librdkafka/rdkafkacpp.h>

namespace bench {
namespace {

using json = nlohmann::json;

std::string Run(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    std::array<char, 256> buf;
    while (fgets(buf.data(), buf.size(), p)) out += buf.data();
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string FirstMatch(const std::string& file, const std::string& pattern) {
  std::ifstream in(file);
  std::regex re(pattern);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, re)) return m[1];
  }
  return "";
}

std::string Num(const json& v, int decimals = 0) {
  if (!v.is_number()) return "–";
  std::ostringstream s;
  s << std::fixed << std::setprecision(decimals) << v.get<double>();
  return s.str();
}

std::string Pct(double v) { return Num(v * 100, 1) + " %"; }

}  // namespace

json Environment(const std::string& source_dir) {
  utsname u{};
  uname(&u);
  std::string commit = Run("git -C '" + source_dir + "' rev-parse --short HEAD 2>/dev/null");
  if (!Run("git -C '" + source_dir + "' status --porcelain --untracked-files=no 2>/dev/null")
           .empty())
    commit += " (with uncommitted changes)";
  double mem_kib = std::stod("0" + FirstMatch("/proc/meminfo", "MemTotal:\\s+(\\d+)"));
  return {{"machine",
           {{"cores", sysconf(_SC_NPROCESSORS_ONLN)},
            {"cpu_model", FirstMatch("/proc/cpuinfo", "model name\\s*:\\s*(.*)")},
            {"ram_gib", mem_kib / 1024 / 1024},
            {"kernel", std::string(u.release)}}},
          {"versions",
           {{"git_commit", commit},
            {"gxx", __VERSION__},
            {"librdkafka", RdKafka::version_str()},
            {"kafka", FirstMatch(source_dir + "/tests/infra/kafka/pom.xml",
                                 "<kafka.version>([^<]+)</kafka.version>")},
            {"sqlite", sqlite3_libversion()},
            {"protobuf", google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)},
            {"grpc", grpc::Version()}}}};
}

json Targets(const std::vector<json>& passes) {
  json out = json::array();
  for (const json& p : passes) {
    std::string backend = p.value("backend", "?");
    double hop = p["raw_hop"].value("events_per_second", 0.0);
    for (auto& [name, s] : p["services"].items()) {
      if (backend != "postgres") continue;
      double ratio = hop > 0 ? s.value("events_per_second", 0.0) / hop : 0;
      out.push_back({{"target", name + " sustains >= 50% of the raw hop (PostgreSQL)"},
                     {"value", Pct(ratio)},
                     {"met", ratio >= 0.5}});
    }
    for (auto& [name, s] : p["idle"].items()) {
      double rss = s.value("rss_mib", 0.0);
      out.push_back({{"target", name + " idle RSS < 64 MiB (" + backend + ")"},
                     {"value", Num(rss, 1) + " MiB"},
                     {"met", rss < 64}});
    }
    for (const json& run : p["e2e"]) {
      if (run.value("rate_requested", 0.0) != 1000) continue;
      const json& f = run["to_final_resource_synced"];
      bool p99_ok = f.contains("p99_ms") && f.value("count", 0) == f.value("of", -1) &&
                    f["p99_ms"].get<double>() < 250;
      out.push_back(
          {{"target", "end to end 1,000 screenings/s: p99 < 250 ms (" + backend + ")"},
           {"value", f.contains("p99_ms") ? Num(f["p99_ms"]) + " ms over " + Num(f["count"]) + "/" +
                                                Num(f["of"]) + " synced"
                                          : "none synced"},
           {"met", p99_ok}});
      double growth = run.value("backlog_growth", 0.0);
      out.push_back(
          {{"target", "end to end 1,000 screenings/s: no backlog growth (" + backend + ")"},
           {"value", Num(growth) + " (end minus middle)"},
           {"met", growth <= 1000}});
    }
  }
  return out;
}

namespace {

// Title, and the machine and versions the passes ran on.
void WriteEnvironment(std::ostream& md, const json& r) {
  const json& env = r["environment"];
  md << "# KlinikDesa benchmark — " << r.value("date", "") << "\n\n"
     << "Written by `make bench` (bench/README.md says how each figure is measured). Absolute "
        "numbers on a shared machine are noisy; the ratios to the raw hop of the same pass are "
        "what to compare between runs.\n\n"
     << "## Machine and versions\n\n| | |\n|---|---|\n";
  for (auto& [k, v] : env["machine"].items())
    md << "| " << k << " | "
       << (v.is_string() ? v.get<std::string>() : Num(v, k == "ram_gib" ? 1 : 0)) << " |\n";
  for (auto& [k, v] : env["versions"].items())
    md << "| " << k << " | " << (v.is_string() ? v.get<std::string>() : v.dump()) << " |\n";
  if (!r["passes"].empty() && r["passes"][0].contains("pg_server_version"))
    md << "| postgresql server | " << r["passes"][0]["pg_server_version"].get<std::string>()
       << " |\n";
  md << "| total wall time of the passes | " << Num(r.value("seconds", 0.0)) << " s |\n";
}

void WriteTargets(std::ostream& md, const json& targets) {
  md << "\n## Targets\n\n| target | value | met |\n|---|---|---|\n";
  for (const json& t : targets)
    md << "| " << t["target"].get<std::string>() << " | " << t["value"].get<std::string>() << " | "
       << (t["met"].get<bool>() ? "met" : "**not met**") << " |\n";
}

// One service's row of a pass's table (`hop`: the pass's raw hop, `idle`: its idle memory).
void WriteServiceRow(std::ostream& md, const std::string& name, const json& s, const json& hop,
                     const json& idle) {
  std::string outcomes;
  for (auto& [k, v] : s["outcomes"].items()) outcomes += k + " " + Num(v) + ", ";
  if (!outcomes.empty()) outcomes.resize(outcomes.size() - 2);
  double ratio = hop.value("events_per_second", 0.0) > 0
                     ? s.value("events_per_second", 0.0) / hop["events_per_second"].get<double>()
                     : 0;
  json events = s.contains("consumed_events") ? s["consumed_events"] : s["consumed_facts"];
  md << "| " << name << " | " << Num(s["events_per_second"]) << " | " << Pct(ratio) << " | "
     << Num(events) << " | " << (s.value("drained", false) ? "yes" : "no") << " | "
     << Num(s["seconds"], 1) << " | " << Num(s["cpu_seconds_per_1000"], 2) << " | "
     << Num(idle.value(name, json::object())["rss_mib"], 1) << " | " << Num(s["rss_mib_loaded"], 1)
     << " | " << Num(s["peak_rss_mib"], 1) << " | " << outcomes << " |\n";
}

// A pass's raw hop and per-service figures, with satusehat-sync's pushes and referral's count.
void WriteServices(std::ostream& md, const json& p) {
  const json& hop = p["raw_hop"];
  md << "Raw hop (pass-through consumer → producer, " << Num(hop["messages"]) << " messages of "
     << Num(hop["avg_message_bytes"]) << " bytes on average with headers): **"
     << Num(hop["events_per_second"]) << " events/s** (" << Num(hop["seconds"], 1)
     << " s). Pre-loading with klinik-loadgen ran at " << Num(hop["preload_events_per_second"])
     << " events/s.\n\n"
     << "| service | events/s | ratio to raw hop | events | drained | seconds | CPU s / 1,000 "
        "events | RSS idle MiB | RSS loaded MiB | peak RSS MiB | outcomes |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (auto& [name, s] : p["services"].items()) WriteServiceRow(md, name, s, hop, p["idle"]);
  if (p["services"].contains("satusehat-sync")) {
    const json& s = p["services"]["satusehat-sync"];
    md << "\nsatusehat-sync pushed " << Num(s["fhir_resources_pushed"]) << " FHIR resources in "
       << Num(s["fhir_push_seconds"], 1) << " s: **" << Num(s["fhir_resources_per_second"])
       << " resources/s** (sandbox, zero latency), " << Num(s["jobs_synced_per_second"], 1)
       << " sync jobs done/s, " << Num(s["fhir_requests_per_second"], 1)
       << " HTTP requests/s. By type: " << s["sandbox_resources_by_type"].dump()
       << "; jobs by status at the end: " << s["jobs_by_status"].dump() << ".\n";
  }
  if (p["services"].contains("referral"))
    md << "\nreferral created " << Num(p["services"]["referral"]["referrals_created"])
       << " referrals from the screenings.\n";
}

// p50 / p95 / p99 / max of a latency summary.
std::string Four(const json& q) {
  return Num(q["p50_ms"]) + " / " + Num(q["p95_ms"]) + " / " + Num(q["p99_ms"]) + " / " +
         Num(q["max_ms"]);
}

void WriteEndToEndRow(std::ostream& md, const json& run) {
  const json& ref = run["to_referral_created"];
  const json& fin = run["to_final_resource_synced"];
  md << "| " << Num(run["rate_requested"])
     << (run.value("estimated_max", false) ? " (est. max)"
         : run.value("search_attempt", 0) > 1
             ? " (search, try " + std::to_string(run.value("search_attempt", 0)) + ")"
             : "")
     << " | " << Num(run["rate_achieved"]) << " | " << Num(run["sent"]) << " | "
     << Four(run["to_screening_completed"]) << " | " << Num(ref["p50_ms"]) << " / "
     << Num(ref["p99_ms"]) << " (" << Num(ref["count"]) << ") | " << Four(fin) << " | "
     << Num(fin["count"]) << "/" << Num(fin["of"]) << " | " << Num(run["outstanding_mid"]) << " → "
     << Num(run["outstanding_end"]) << " (" << Num(run["backlog_growth"]) << ") | "
     << Num(run.value("backlog_start", json::object())["total"]) << " / "
     << Num(run["backlog_mid"]["total"]) << " / " << Num(run["backlog_end"]["total"]) << " | "
     << (run.value("sustained", false) ? "yes" : "**no**") << " |\n";
}

// A pass's end-to-end runs: latencies and backlogs, then each run's memory.
void WriteEndToEnd(std::ostream& md, const json& p) {
  md << "\n### End to end (screening → referral → satusehat-sync)\n\n"
     << "Latency from the intake's `ce_time` to the fact's Kafka timestamp, in ms. \"final\" is "
        "the last `ResourceSynced` of the screening (its Encounter finished). Outstanding = "
        "screenings sent but not yet through (no final fact, not rejected). lag+jobs = "
        "Σ `klinik_consumer_lag` + `klinik_outbox_backlog` + sync's pending and in-flight "
        "jobs (the lag gauge counts a whole partition until the consumer fetched from it, so "
        "its start value is too high).\n\n"
     << "| rate/s requested | achieved | sent | completed p50/p95/p99/max | referral p50/p99 | "
        "final p50/p95/p99/max | synced | outstanding mid → end (growth) | lag+jobs start / mid "
        "/ end | sustained |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const json& run : p["e2e"]) WriteEndToEndRow(md, run);
  for (const json& run : p["e2e"]) {
    md << "\nMemory at the end of " << Num(run["rate_requested"]) << "/s (RSS / peak MiB):";
    for (auto& [name, m] : run["memory"].items())
      md << " " << name << " " << Num(m["rss_mib"], 1) << " / " << Num(m["peak_rss_mib"], 1) << ";";
    md << "\n";
  }
}

}  // namespace

std::string Markdown(const json& r) {
  std::ostringstream md;
  WriteEnvironment(md, r);
  WriteTargets(md, r["targets"]);
  for (const json& p : r["passes"]) {
    md << "\n## Pass: " << p.value("backend", "?") << "\n\n";
    WriteServices(md, p);
    WriteEndToEnd(md, p);
  }
  return md.str();
}

}  // namespace bench
