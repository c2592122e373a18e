#include "bench_runner.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "event_generator.h"
#include "klinik/cloudevents.h"
#include "klinik/kafka.h"
#include "klinik/service_manifest.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/satusehat.pb.h"
#include "klinik/v1/screening.pb.h"
#include "probes.h"
#include "rate_sender.h"
#include "test_infra.h"

namespace bench {
namespace {

namespace topics = klinik::topics;
namespace kt = klinik::testing;
using json = nlohmann::json;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr const char* kOrgId = "10000004";

double Since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

void Say(const std::string& line) { std::cerr << "bench: " << line << std::endl; }

std::string BinaryOf(const std::string& service) {
  for (const auto& entry : klinik::manifest::kServices) {
    if (entry.name == service) return kt::BinaryPath(std::string(entry.binary));
  }
  throw std::invalid_argument(service + " is not in services/services.json");
}

// One service process: started on its database, found through its ports file.
class Service {
 public:
  Service(std::string name, std::map<std::string, std::string> env) : name_(std::move(name)) {
    process_ = std::make_unique<kt::ChildProcess>(BinaryOf(name_), std::vector<std::string>{}, env);
    if (!process_->WaitForPorts(60s, &grpc_port_, &http_port_))
      throw std::runtime_error(name_ + " did not start: " + process_->Output());
    int status = 0;
    if (!kt::WaitUntil(
            [&] {
              kt::HttpGet(http_port_, "/readyz", &status);
              return status == 200;
            },
            60s)) {
      throw std::runtime_error(name_ + " never became ready: " + process_->Output());
    }
  }
  ~Service() { Stop(); }

  void Stop() {
    if (!process_ || !process_->Running()) return;
    process_->Signal(SIGTERM);
    if (process_->Wait(25s) < 0) process_->Signal(SIGKILL);
  }
  [[nodiscard]] std::string Metrics() const {
    int status = 0;
    return kt::HttpGet(http_port_, "/metrics", &status);
  }
  [[nodiscard]] ProcSample Proc() const { return ReadProc(process_->pid()); }
  [[nodiscard]] std::string grpc_target() const {
    return "127.0.0.1:" + std::to_string(grpc_port_);
  }
  [[nodiscard]] bool Running() const { return process_->Running(); }
  // True once the consumer group gave this process its partitions (its log says so).
  [[nodiscard]] bool Assigned() const {
    return process_->Output().find("partitions assigned") != std::string::npos;
  }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::unique_ptr<kt::ChildProcess> process_;
  int grpc_port_ = 0;
  int http_port_ = 0;
};

// Consumed events that count as processed (a retry is not: it comes again).
double Consumed(const std::string& metrics) {
  double all = SumMetric(metrics, "klinik_events_consumed_total");
  return all - SumMetric(metrics, "klinik_events_consumed_total", {{"outcome", "retry"}});
}

using Patients = std::vector<std::pair<std::string, int64_t>>;  // patient id, resident index

// One end-to-end screening's way through the pipeline: fact timestamps, Unix ms.
struct Trace {
  int64_t sent_ms = 0;
  int64_t completed_ms = -1;
  int64_t referral_ms = -1;
  int64_t last_sync_ms = -1;
  bool finished = false;  // the Encounter's finishing update was synced
  bool rejected = false;
};

// What the end-to-end observer thread learns from the fact topics; the runs read it under
// `mutex`.
struct E2eFacts {
  std::mutex mutex;
  std::map<std::string, Trace> traces;                    // by screening id
  std::map<std::string, std::string> patient_of_request;  // registration request → patient id
  std::atomic<bool> stop{false};
  std::atomic<bool> observing{false};  // the observer has its partitions
};

// Files one fact into the traces of the screenings it belongs to (`facts.mutex` held).
void RecordFact(const klinik::ConsumedMessage& m, E2eFacts& facts) {
  auto& traces = facts.traces;
  if (m.topic == topics::kPatients) {
    klinik::v1::PatientEvent e;
    if (e.ParseFromString(m.value) && e.has_patient_registered())
      facts.patient_of_request[e.patient_registered().request_id()] =
          e.patient_registered().patient_id();
  } else if (m.topic == topics::kScreenings) {
    klinik::v1::ScreeningEvent e;
    if (!e.ParseFromString(m.value)) return;
    std::string id = e.has_screening_completed() ? e.screening_completed().screening_id()
                                                 : e.screening_rejected().screening_id();
    auto it = traces.find(id);
    if (it == traces.end()) return;
    it->second.completed_ms = m.timestamp_ms;
    it->second.rejected = e.has_screening_rejected();
  } else if (m.topic == topics::kReferrals) {
    klinik::v1::ReferralEvent e;
    if (!e.ParseFromString(m.value) || !e.has_referral_created()) return;
    auto it = traces.find(e.referral_created().source_screening_id());
    if (it != traces.end()) it->second.referral_ms = m.timestamp_ms;
  } else {
    klinik::v1::SatuSehatEvent e;
    if (!e.ParseFromString(m.value) || !e.has_resource_synced()) return;
    const auto& r = e.resource_synced();
    auto it = traces.find(r.local_reference().substr(0, 36));
    if (it == traces.end()) return;
    it->second.last_sync_ms = std::max(it->second.last_sync_ms, m.timestamp_ms);
    if (r.resource_type() == "Encounter" && r.action() == "update") it->second.finished = true;
  }
}

// Latencies from sending to each fact, in ms, over one run's screenings.
struct Latencies {
  std::vector<double> completed, referred, synced;
  int64_t rejected = 0, referrals = 0;
};

Latencies LatenciesOf(E2eFacts& facts, const std::vector<std::string>& ids) {
  Latencies l;
  std::lock_guard lock(facts.mutex);
  for (const auto& id : ids) {
    const Trace& t = facts.traces[id];
    if (t.rejected) ++l.rejected;
    if (t.completed_ms >= 0 && !t.rejected)
      l.completed.push_back(static_cast<double>(t.completed_ms - t.sent_ms));
    if (t.referral_ms >= 0) {
      ++l.referrals;
      l.referred.push_back(static_cast<double>(t.referral_ms - t.sent_ms));
    }
    if (t.finished) l.synced.push_back(static_cast<double>(t.last_sync_ms - t.sent_ms));
  }
  return l;
}

// Screenings sent but not yet through the pipeline (final fact or rejection): the backlog as
// the pipeline's users feel it, independent of any gauge.
int64_t Outstanding(E2eFacts& facts, const std::vector<std::string>& sent_ids) {
  std::lock_guard lock(facts.mutex);
  int64_t n = 0;
  for (const auto& id : sent_ids) n += !facts.traces[id].finished && !facts.traces[id].rejected;
  return n;
}

// Sync jobs not done yet (pending or in flight), from satusehat-sync's metrics page.
double PendingSyncJobs(const std::string& metrics) {
  return SumMetric(metrics, "klinik_sync_jobs", {{"status", "pending"}}) +
         SumMetric(metrics, "klinik_sync_jobs", {{"status", "in_flight"}});
}

// Each service's lag (consumer lag + outbox backlog, + pending sync jobs for satusehat-sync)
// and their total.
json Backlog(const std::vector<Service*>& services) {
  json b = json::object();
  double total = 0;
  for (Service* s : services) {
    std::string m = s->Metrics();
    double lag = SumMetric(m, "klinik_consumer_lag") + SumMetric(m, "klinik_outbox_backlog");
    if (s->name() == "satusehat-sync") lag += PendingSyncJobs(m);
    b[s->name()] = lag;
    total += lag;
  }
  b["total"] = total;
  return b;
}

json Memory(const std::vector<Service*>& services) {
  json rss = json::object();
  for (Service* s : services) {
    ProcSample p = s->Proc();
    rss[s->name()] = {{"rss_mib", p.rss_mib}, {"peak_rss_mib", p.peak_rss_mib}};
  }
  return rss;
}

class Pass {
 public:
  explicit Pass(PassOptions options)
      : o_(std::move(options)),
        people_({.size = std::max(o_.registrations, o_.e2e_patients) * 2}) {}

  json Run() {
    auto started = Steady::now();
    Say("pass " + o_.backend + ": starting Kafka and PostgreSQL");
    kafka_.properties["bootstrap.servers"] = kt::KafkaBootstrap();
    kafka_.properties["client.id"] = "klinik-bench";
    (void)kt::FreshPostgresDatabase();  // starts PostgreSQL (version in the report)
    std::vector<std::string> all;
    for (const auto& spec : topics::kAll) {
      std::string e = klinik::CreateTopics(kafka_, {std::string(spec.name)}, spec.partitions, 30s);
      if (!e.empty()) throw std::runtime_error("CreateTopics: " + e);
    }
    kt::CreateTopics({"bench.idle"}, 1);
    StartSandbox();
    out_["backend"] = o_.backend;
    out_["options"] = {{"hop_messages", o_.hop_messages}, {"registrations", o_.registrations},
                       {"screenings", o_.screenings},     {"pharmacy", o_.pharmacy},
                       {"cap_seconds", o_.cap_seconds},   {"e2e_rates", o_.e2e_rates},
                       {"e2e_seconds", o_.e2e_seconds},   {"e2e_patients", o_.e2e_patients}};
    out_["infra_seconds"] = Since(started);
    out_["raw_hop"] = RawHop();
    out_["idle"] = Idle();
    ServicesChain();
    out_["e2e"] = EndToEnd();
    out_["pass_seconds"] = Since(started);
    return out_;
  }

 private:
  // ---- infrastructure -------------------------------------------------------------------

  std::string NewDatabase() {
    return o_.backend == "sqlite" ? kt::FreshSqliteDatabase() : kt::FreshPostgresDatabase();
  }

  void StartSandbox() {
    std::string dir = kt::TempDir();
    secret_file_ = dir + "/secret";
    std::ofstream(secret_file_) << "bench-secret";
    std::string ports = dir + "/sandbox.json";
    sandbox_ = std::make_unique<kt::ChildProcess>(
        kt::BinaryPath("tools/satusehat-sandbox/satusehat-sandbox"),
        std::vector<std::string>{"--listen", "127.0.0.1:0", "--ports-file", ports, "--org-id",
                                 kOrgId, "--client-id", "bench-client", "--client-secret",
                                 "bench-secret", "--log-level", "warn"},
        std::map<std::string, std::string>{{"KLINIK_PORTS_FILE", ports}});
    if (!kt::WaitUntil([&] { return std::ifstream(ports).good(); }, 30s))
      throw std::runtime_error("sandbox did not start: " + sandbox_->Output());
    int port = json::parse(std::ifstream(ports)).at("http").get<int>();
    sandbox_url_ = "http://127.0.0.1:" + std::to_string(port);
    json seed = json::array();
    seed.push_back({{"kind", "practitioner"}, {"nik", loadgen::kExaminerNik}, {"ihs", "N1"}});
    std::string response;
    kt::HttpRequest("POST", sandbox_url_ + "/_sandbox/seed", seed.dump(), &response);
  }

  // Seeds the national patient index with residents [first, first + count).
  void SeedResidents(int64_t first, int64_t count) {
    for (int64_t start = first; start < first + count; start += 5000) {
      json seed = json::array();
      for (int64_t i = start; i < std::min(first + count, start + 5000); ++i)
        seed.push_back({{"kind", "patient"},
                        {"nik", people_.at(i).nik},
                        {"ihs", "P" + std::to_string(10000000 + i)}});
      std::string response;
      if (kt::HttpRequest("POST", sandbox_url_ + "/_sandbox/seed", seed.dump(), &response) / 100 !=
          2)
        throw std::runtime_error("sandbox seed failed: " + response);
    }
  }

  json SandboxStats() {
    std::string response;
    if (kt::HttpRequest("GET", sandbox_url_ + "/_sandbox/stats", "", &response) != 200) return {};
    return json::parse(response, nullptr, false);
  }
  int64_t SandboxResources() {
    json j = SandboxStats();
    int64_t n = 0;
    if (j.is_object() && j.contains("resources_by_type"))
      for (auto& [k, v] : j["resources_by_type"].items()) n += v.get<int64_t>();
    return n;
  }

  std::map<std::string, std::string> EnvFor(const std::string& service, const std::string& db,
                                            const std::string& group_suffix) {
    std::map<std::string, std::string> env = {
        {"KLINIK_DATABASE_URL", db},
        {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", kafka_.properties.at("bootstrap.servers")},
        {"KLINIK_CONSUMER_GROUP", "klinik-" + service + group_suffix},
        {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_SHUTDOWN_TIMEOUT", "20s"},
    };
    if (service == "screening" && registration_)
      env["KLINIK_REGISTRATION_ADDRESS"] = registration_->grpc_target();
    if (service == "screening" && !registration_)
      env["KLINIK_REGISTRATION_ADDRESS"] = "127.0.0.1:1";
    if (service == "referral") env["KLINIK_DEFAULT_PUSKESMAS_ID"] = "puskesmas-bench";
    if (service == "satusehat-sync") {
      env["KLINIK_SATUSEHAT_AUTH_URL"] = sandbox_url_ + "/oauth2/v1";
      env["KLINIK_SATUSEHAT_FHIR_URL"] = sandbox_url_ + "/fhir-r4/v1";
      env["KLINIK_SATUSEHAT_ORG_ID"] = kOrgId;
      env["KLINIK_SATUSEHAT_CLIENT_ID"] = "bench-client";
      env["KLINIK_SATUSEHAT_CLIENT_SECRET_FILE"] = secret_file_;
      env["KLINIK_SATUSEHAT_LOCATION_ID"] = "loc-bench";
      // The sandbox answers at once; the rate limit must not be what is measured.
      env["KLINIK_SATUSEHAT_RATE"] = "10000";
      env["KLINIK_SYNC_WORKERS"] = "4";
      env["KLINIK_SYNC_POLL_INTERVAL"] = "100ms";
      env["KLINIK_SYNC_PATIENT_RETRY"] = "2s";
    }
    return env;
  }

  // ---- 1. raw hop -----------------------------------------------------------------------

  json RawHop() {
    Say("raw hop: " + std::to_string(o_.hop_messages) + " messages");
    std::string in = kt::UniqueName("bench.hop.in"), out = kt::UniqueName("bench.hop.out");
    for (const auto& t : {in, out}) {
      std::string e = klinik::CreateTopics(kafka_, {t}, 12, 30s);
      if (!e.empty()) throw std::runtime_error("CreateTopics: " + e);
    }
    // The real events, in the proportions of a clinic day: registrations, screenings, pharmacy.
    std::mt19937_64 rng(5);
    loadgen::PharmacyStream pharmacy({}, 50, 5);
    double bytes = 0;
    loadgen::RateSender preload(kafka_, 0);
    for (int64_t i = 0; i < o_.hop_messages; ++i) {
      klinik::OutgoingMessage m;
      loadgen::Resident r = people_.at(i % people_.size());
      if (i % 3 == 0) m = loadgen::RegistrationMessage(r);
      if (i % 3 == 1) m = loadgen::ScreeningMessage({klinik::NewUuid(), r}, klinik::NewUuid(), rng);
      if (i % 3 == 2) m = pharmacy.Next();
      m.topic = in;
      bytes += static_cast<double>(m.value.size() + m.key.size());
      for (const auto& [k, v] : m.headers) bytes += static_cast<double>(k.size() + v.size());
      preload.Send(m);
    }
    loadgen::SendSummary pre = preload.Finish();

    // What the EventProcessor does minus the database: batches of 500, 100 ms poll, offsets
    // committed per batch; the producer settings are the outbox relay's (klinik::Producer).
    klinik::Consumer consumer(kafka_, kt::UniqueName("bench-hop"), {in});
    klinik::Producer producer(kafka_);
    auto delivered = std::make_shared<std::atomic<int64_t>>(0);
    int64_t forwarded = 0;
    Steady::time_point first{};
    auto deadline = Steady::now() + 120s;
    while (*delivered < pre.delivered && Steady::now() < deadline) {
      auto batch = consumer.PollBatch(500, 100ms);
      if (!batch.empty() && forwarded == 0) first = Steady::now();
      std::map<klinik::TopicPartition, int64_t> next;
      for (auto& m : batch) {
        std::string error;
        while (!producer.Send(
            {out, m.key, m.value, m.headers},
            [delivered](const klinik::DeliveryResult& r) {
              if (r.ok) ++*delivered;
            },
            &error)) {
          producer.Poll(10ms);
        }
        next[{m.topic, m.partition}] = m.offset + 1;
        ++forwarded;
      }
      (void)consumer.Commit(next);
      producer.Poll(0ms);
    }
    producer.Flush(30s);
    double seconds = Since(first);
    consumer.Close();
    double rate = seconds > 0 ? static_cast<double>(*delivered) / seconds : 0;
    hop_rate_ = rate;
    Say("raw hop: " + std::to_string(static_cast<int64_t>(rate)) + " events/s");
    return {
        {"messages", pre.delivered},
        {"forwarded", static_cast<int64_t>(*delivered)},
        {"seconds", seconds},
        {"events_per_second", rate},
        {"avg_message_bytes", bytes / std::max<double>(1, static_cast<double>(o_.hop_messages))},
        {"preload_events_per_second", pre.events_per_second()}};
  }

  // ---- 4a. idle memory ------------------------------------------------------------------

  json Idle() {
    Say("idle memory of every service");
    for (const auto& entry : klinik::manifest::kServices)
      dbs_[std::string(entry.name)] = NewDatabase();
    std::vector<std::unique_ptr<Service>> running;
    for (const auto& entry : klinik::manifest::kServices) {
      std::string s(entry.name);
      running.push_back(std::make_unique<Service>(s, EnvFor(s, dbs_[s], "-bench")));
    }
    std::this_thread::sleep_for(5s);
    json out = json::object();
    for (auto& s : running) {
      ProcSample p = s->Proc();
      out[s->name()] = {{"rss_mib", p.rss_mib}, {"peak_rss_mib", p.peak_rss_mib}};
    }
    for (auto& s : running) s->Stop();
    return out;
  }

  // ---- 2. per service -------------------------------------------------------------------

  struct Measured {
    json figures;
    bool drained = false;
  };

  // Watches a running service work through `expected` events: from the first sample with
  // events consumed to the first with all consumed and the outbox empty (facts published).
  // `min_produced`: facts the service must have published before the window closes (0 when
  // the number is not known in advance).
  Measured Measure(Service& s, double expected, double min_produced,
                   const std::string& unit = "events") {
    Steady::time_point t1{};
    double c1 = 0, cpu1 = 0, c_end = 0, cpu_end = 0;
    Steady::time_point t_end{};
    bool started = false, drained = false;
    auto deadline = Steady::now() + std::chrono::duration_cast<Steady::duration>(
                                        std::chrono::duration<double>(o_.cap_seconds + 30));
    Steady::time_point cap{};
    double last = -1, last_produced = -1;
    auto last_progress = Steady::now();
    std::string metrics;
    while (Steady::now() < deadline) {
      metrics = s.Metrics();
      ProcSample p = s.Proc();
      double c = Consumed(metrics);
      double backlog = SumMetric(metrics, "klinik_outbox_backlog");
      // The backlog gauge lags the relay: the facts are out when nothing more is produced.
      double produced = SumMetric(metrics, "klinik_events_produced_total");
      bool relay_idle = backlog == 0 && produced >= min_produced && produced == last_produced;
      last_produced = produced;
      auto now = Steady::now();
      if (!started && c > 0) {
        started = true;
        t1 = now;
        c1 = c;
        cpu1 = p.cpu_seconds;
        cap = now + std::chrono::duration_cast<Steady::duration>(
                        std::chrono::duration<double>(o_.cap_seconds));
      }
      if (c != last) last_progress = now;
      last = c;
      if (started) {
        t_end = now;
        c_end = c;
        cpu_end = p.cpu_seconds;
        if (c >= expected && relay_idle) {
          drained = true;
          break;
        }
        if (now > cap) break;
      }
      if (now - last_progress > 20s) break;  // stuck: report what happened
      std::this_thread::sleep_for(100ms);
    }
    ProcSample p = s.Proc();
    double seconds = std::chrono::duration<double>(t_end - t1).count();
    double n = c_end - c1;
    Measured m;
    m.drained = drained;
    m.figures = {{"expected_" + unit, expected},
                 {"consumed_" + unit, c_end},
                 {"drained", drained},
                 {"seconds", seconds},
                 {"events_per_second", seconds > 0 ? n / seconds : 0},
                 {"cpu_seconds_per_1000", n > 0 ? (cpu_end - cpu1) / n * 1000 : 0},
                 {"rss_mib_loaded", p.rss_mib},
                 {"peak_rss_mib", p.peak_rss_mib},
                 {"outcomes", MetricByLabel(metrics, "klinik_events_consumed_total", "outcome")},
                 {"dead_letters", SumMetric(metrics, "klinik_dead_letters_total")}};
    if (hop_rate_ > 0) m.figures["ratio_to_raw_hop"] = (seconds > 0 ? n / seconds : 0) / hop_rate_;
    Say(s.name() + ": " +
        std::to_string(static_cast<int64_t>(m.figures["events_per_second"].get<double>())) +
        " events/s" + (drained ? "" : " (backlog not drained within the cap)"));
    return m;
  }

  double Produced(const std::string& metrics, std::string_view topic) {
    return SumMetric(metrics, "klinik_events_produced_total",
                     {{"topic", std::string(topic)}, {"outcome", "ok"}});
  }

  void Preload(const std::string& what, int64_t n,
               const std::function<klinik::OutgoingMessage(int64_t)>& make, json& figures) {
    loadgen::RateSender sender(kafka_, 0);
    for (int64_t i = 0; i < n; ++i) sender.Send(make(i));
    loadgen::SendSummary s = sender.Finish();
    figures["preloaded"] = s.delivered;
    figures["preload_events_per_second"] = s.events_per_second();
    Say(what + ": pre-loaded " + std::to_string(s.delivered));
  }

  // What one service did in the chain: its figures, and the facts it published (the input
  // of the services after it).
  struct ChainStep {
    json figures;
    double produced = 0;
  };

  // Each service alone on its pre-loaded intake, in pipeline order, so each consumes the facts
  // the one before it published; satusehat-sync last, on all of them.
  void ServicesChain() {
    json services = json::object();
    ChainStep registration = MeasureRegistration();
    services["registration"] = registration.figures;
    Patients patients = RegisteredPatients(registration.figures);
    ChainStep screening = MeasureScreening(patients);
    services["screening"] = screening.figures;
    registration_.reset();
    ChainStep referral = MeasureReferral(screening.produced);
    services["referral"] = referral.figures;
    ChainStep pharmacy = MeasurePharmacy(patients);
    services["pharmacy"] = pharmacy.figures;
    SeedResidents(0, o_.registrations);
    services["satusehat-sync"] = MeasureSync(registration.produced + screening.produced +
                                             referral.produced + pharmacy.produced);
    services_ = services;
    out_["services"] = services;
  }

  // Registration: new residents at the front desks of many villages. Leaves registration_
  // running for screening's lookups (no longer consuming when it did not drain its backlog).
  ChainStep MeasureRegistration() {
    json pre;
    Preload(
        "registration", o_.registrations,
        [&](int64_t i) { return loadgen::RegistrationMessage(people_.at(i)); }, pre);
    registration_ = std::make_unique<Service>(
        "registration", EnvFor("registration", dbs_["registration"], "-bench"));
    Measured reg = Measure(*registration_, static_cast<double>(o_.registrations),
                           static_cast<double>(o_.registrations));
    std::string metrics = registration_->Metrics();
    if (!reg.drained) {
      // Stop consuming (screening needs registration only for lookups now).
      registration_.reset();
      auto env = EnvFor("registration", dbs_["registration"], "-bench");
      env["KLINIK_REGISTRATION_INTAKE_TOPIC"] = "bench.idle";
      registration_ = std::make_unique<Service>("registration", env);
    }
    reg.figures.update(pre);
    return {reg.figures, Produced(metrics, topics::kPatients)};
  }

  // Patient ids of the registered residents, from the facts; throws when there are none (with
  // registration's figures, which say why).
  Patients RegisteredPatients(const json& registration_figures) {
    Patients patients;
    for (const auto& m : kt::ReadTopic(std::string(topics::kPatients),
                                       static_cast<size_t>(o_.registrations), 60s)) {
      klinik::v1::PatientEvent e;
      if (!e.ParseFromString(m.value) || !e.has_patient_registered()) continue;
      int64_t index = people_.IndexOfRequest(e.patient_registered().request_id());
      if (index >= 0) patients.emplace_back(e.patient_registered().patient_id(), index);
    }
    if (patients.empty())
      throw std::runtime_error("registration produced no PatientRegistered facts: " +
                               registration_figures.dump());
    return patients;
  }

  // Screening: birthday screenings of the registered residents (looked up over gRPC).
  ChainStep MeasureScreening(const Patients& patients) {
    std::mt19937_64 rng(11);
    return PreloadThenMeasure("screening", o_.screenings, topics::kScreenings, [&](int64_t i) {
      const auto& [pid, index] = patients[static_cast<size_t>(i) % patients.size()];
      return loadgen::ScreeningMessage({pid, people_.at(index)}, klinik::NewUuid(), rng);
    });
  }

  // `n` requests made by `make` preloaded on the service's intake topic, then the service
  // started and measured until it has worked through them; `facts_topic` is what it produces.
  ChainStep PreloadThenMeasure(const std::string& service, int64_t n, std::string_view facts_topic,
                               const std::function<klinik::OutgoingMessage(int64_t)>& make) {
    json pre;
    Preload(service, n, make, pre);
    Service s(service, EnvFor(service, dbs_[service], "-bench"));
    Measured m = Measure(s, static_cast<double>(n), static_cast<double>(n));
    double produced = Produced(s.Metrics(), facts_topic);
    m.figures.update(pre);
    return {m.figures, produced};
  }

  // Referral: every ScreeningCompleted; those recommending a referral create one.
  ChainStep MeasureReferral(double screening_facts) {
    Service referral("referral", EnvFor("referral", dbs_["referral"], "-bench"));
    Measured m = Measure(referral, screening_facts, 1);
    std::string metrics = referral.Metrics();
    double produced = Produced(metrics, topics::kReferrals);
    m.figures["referrals_created"] =
        SumMetric(metrics, "klinik_referral_transitions_total", {{"transition", "created"}});
    return {m.figures, produced};
  }

  // Pharmacy: deliveries and dispenses at 50 clinics, dispenses for the registered patients.
  ChainStep MeasurePharmacy(const Patients& patients) {
    std::vector<std::string> ids;
    for (const auto& p : patients) ids.push_back(p.first);
    loadgen::PharmacyStream stream(ids, 50, 13);
    return PreloadThenMeasure("pharmacy", o_.pharmacy, topics::kPharmacy,
                              [&](int64_t) { return stream.Next(); });
  }

  // SatuSehat sync: every fact of the four fact topics (`facts`), pushed to the sandbox.
  json MeasureSync(double facts) {
    int64_t resources_before = SandboxResources();
    int64_t requests_before = SandboxStats().value("requests_total", int64_t{0});
    Service sync("satusehat-sync", EnvFor("satusehat-sync", dbs_["satusehat-sync"], "-bench"));
    auto push_started = Steady::now();
    Measured m = Measure(sync, facts, 0, "facts");
    // FHIR pushes go on after the facts are in: time them over a fixed window.
    double window = std::max(0.0, o_.sync_push_seconds - Since(push_started));
    std::this_thread::sleep_for(std::chrono::duration<double>(window));
    double push_seconds = Since(push_started);
    int64_t pushed = SandboxResources() - resources_before;
    std::string metrics = sync.Metrics();
    m.figures["fhir_resources_pushed"] = pushed;
    m.figures["fhir_push_seconds"] = push_seconds;
    m.figures["fhir_resources_per_second"] = pushed / push_seconds;
    int64_t requests = SandboxStats().value("requests_total", int64_t{0}) - requests_before;
    m.figures["fhir_requests_per_second"] = requests / push_seconds;
    double synced = SumMetric(metrics, "klinik_sync_jobs", {{"status", "synced"}});
    m.figures["jobs_synced_per_second"] = synced / push_seconds;
    m.figures["jobs_by_status"] = MetricByLabel(metrics, "klinik_sync_jobs", "status");
    m.figures["sandbox_resources_by_type"] =
        SandboxStats().value("resources_by_type", json::object());
    m.figures["sandbox_requests_by_status"] =
        SandboxStats().value("requests_by_status", json::object());
    ProcSample p = sync.Proc();
    m.figures["peak_rss_mib"] = p.peak_rss_mib;
    Say("satusehat-sync: " + std::to_string(pushed) + " FHIR resources in " +
        std::to_string(static_cast<int>(push_seconds)) + " s");
    return m.figures;
  }

  // ---- 3. end to end --------------------------------------------------------------------

  static json Percentiles(std::vector<double> v, size_t total) {
    json j = {{"count", v.size()}, {"of", total}};
    if (v.empty()) return j;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) {
      size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
      return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
    };
    j["p50_ms"] = at(0.50);
    j["p95_ms"] = at(0.95);
    j["p99_ms"] = at(0.99);
    j["max_ms"] = v.back();
    return j;
  }

  // The highest screening rate the per-service figures say the pipeline can keep up with.
  double EstimatedMaxRate() {
    auto rate = [&](const char* s) {
      return services_.contains(s) ? services_[s].value("events_per_second", 0.0) : 0.0;
    };
    double screenings = rate("screening");
    double referral = rate("referral");
    const json& sync = services_.value("satusehat-sync", json::object());
    double facts = sync.value("events_per_second", 0.0);
    double jobs = sync.value("jobs_synced_per_second", 0.0);
    // A screening makes about 10 sync jobs (Encounter, ~7 Observations, Conditions, finish)
    // and 1.5 facts for sync (ScreeningCompleted, ReferralCreated + ReferralSent for 30%).
    double limit = std::min({screenings, referral, facts / 1.6, jobs / 10});
    return std::max(5.0, std::floor(limit * 0.8 / 5) * 5);
  }

  // One end-to-end rate: a requested rate held for `seconds`. A search step (rate 0 in the
  // options) starts at the estimate and, when not sustained, retries at half the rate.
  struct Step {
    double rate;
    double seconds;
    bool search;
    int attempt;
  };

  // The running pipeline the end-to-end runs drive: registration_ and `chain`, the observer
  // of their facts, the registered patients and the screenings' random draws.
  struct Pipeline {
    std::vector<std::unique_ptr<Service>> chain;  // screening, referral, satusehat-sync
    std::vector<Service*> all;                    // registration and the chain
    E2eFacts facts;
    std::thread observer;
    Patients patients;
    std::mt19937_64 rng{17};
    size_t next_patient = 0;
    Service& sync() { return *chain.back(); }
  };

  json EndToEnd() {
    Pipeline p;
    StartPipeline(p);
    p.observer = std::thread([&] { ObserveEndToEnd(p.facts); });
    kt::WaitUntil([&] { return p.facts.observing.load(); }, 60s);
    std::this_thread::sleep_for(1s);
    RegisterEndToEndPatients(p);

    json out = json::array();
    std::deque<Step> steps = PlannedSteps();
    while (!steps.empty()) {
      Step step = steps.front();
      steps.pop_front();
      if (step.attempt > 1) {
        Say("end to end: waiting for the pipeline to drain before the next try");
        kt::WaitUntil([&] { return PendingSyncJobs(p.sync().Metrics()) == 0; }, 120s);
      }
      json run = RunAtRate(p, step);
      if (step.search && !run["sustained"].get<bool>() && step.attempt < 4 && step.rate > 5) {
        steps.push_front({std::max(5.0, std::floor(step.rate / 2 / 5) * 5), step.seconds, true,
                          step.attempt + 1});
      }
      out.push_back(run);
    }
    p.facts.stop = true;
    p.observer.join();
    for (auto& s : p.chain) s->Stop();
    registration_.reset();
    return out;
  }

  // Fresh databases and consumer groups that start at the end of the topics, so the earlier
  // scenarios' facts are not part of this one; returns once every service has its partitions.
  void StartPipeline(Pipeline& p) {
    std::string suffix = "-e2e-" + klinik::NewUuid().substr(0, 6);
    auto env = [&](const std::string& s) {
      auto e = EnvFor(s, NewDatabase(), suffix);
      e["KLINIK_KAFKA_AUTO_OFFSET_RESET"] = "latest";
      return e;
    };
    Say("end to end: starting registration, screening, referral, satusehat-sync");
    registration_ = std::make_unique<Service>("registration", env("registration"));
    p.chain.push_back(std::make_unique<Service>("screening", env("screening")));
    p.chain.push_back(std::make_unique<Service>("referral", env("referral")));
    p.chain.push_back(std::make_unique<Service>("satusehat-sync", env("satusehat-sync")));
    p.all = {registration_.get(), p.chain[0].get(), p.chain[1].get(), p.chain[2].get()};
    kt::WaitUntil(
        [&] {
          bool all = registration_->Assigned();
          for (auto& s : p.chain) all = all && s->Assigned();
          return all;
        },
        60s);
  }

  // The observer thread: every fact of the pipeline into `facts`, until facts.stop.
  void ObserveEndToEnd(E2eFacts& facts) {
    klinik::KafkaSettings settings = kafka_;
    settings.properties["auto.offset.reset"] = "latest";
    klinik::Consumer c(settings, kt::UniqueName("bench-e2e-observer"),
                       {std::string(topics::kPatients), std::string(topics::kScreenings),
                        std::string(topics::kReferrals), std::string(topics::kSatuSehat)});
    while (!facts.stop) {
      auto batch = c.PollBatch(1000, 100ms);
      if (!facts.observing && !c.Assignment().empty()) facts.observing = true;
      std::lock_guard lock(facts.mutex);
      for (const auto& m : batch) RecordFact(m, facts);
    }
    c.Close();
  }

  // The patients the screenings are for, registered now through the intake topic, known to
  // the national index and taken in by sync, so the runs start without a backlog.
  void RegisterEndToEndPatients(Pipeline& p) {
    int64_t first = o_.registrations;  // residents the earlier scenarios did not use
    SeedResidents(first, o_.e2e_patients);
    {
      loadgen::RateSender sender(kafka_, 0);
      for (int64_t i = 0; i < o_.e2e_patients; ++i)
        sender.Send(loadgen::RegistrationMessage(people_.at(first + i)));
      sender.Finish();
    }
    kt::WaitUntil(
        [&] {
          std::lock_guard lock(p.facts.mutex);
          return static_cast<int64_t>(p.facts.patient_of_request.size()) >= o_.e2e_patients;
        },
        120s);
    {
      std::lock_guard lock(p.facts.mutex);
      for (const auto& [req, pid] : p.facts.patient_of_request) {
        int64_t index = people_.IndexOfRequest(req);
        if (index >= 0) p.patients.emplace_back(pid, index);
      }
    }
    if (p.patients.empty()) throw std::runtime_error("end to end: no patient was registered");
    // Let sync take in the PatientRegistered facts before screenings refer to them...
    Service& sync = p.sync();
    kt::WaitUntil(
        [&] { return Consumed(sync.Metrics()) >= static_cast<double>(p.patients.size()); }, 60s);
    // ...and look them up in the national index.
    std::this_thread::sleep_for(1500ms);
    kt::WaitUntil([&] { return PendingSyncJobs(sync.Metrics()) == 0; }, 120s);
    out_["e2e_setup"] = {{"patients", p.patients.size()},
                         {"sync_jobs_pending_at_start", PendingSyncJobs(sync.Metrics())}};
  }

  // A rate of 0 searches for the highest sustainable one: the estimate first, then half of
  // the last rate that was not sustained (at most 4 tries), each after the pipeline drained.
  std::deque<Step> PlannedSteps() {
    std::deque<Step> steps;
    for (size_t r = 0; r < o_.e2e_rates.size(); ++r) {
      double seconds = r < o_.e2e_seconds.size() ? o_.e2e_seconds[r] : 30;
      bool search = o_.e2e_rates[r] <= 0;
      steps.push_back({search ? EstimatedMaxRate() : o_.e2e_rates[r], seconds, search, 1});
    }
    return steps;
  }

  // What sending one run's screenings saw.
  struct Sent {
    std::vector<std::string> ids;
    loadgen::SendSummary summary;
    double seconds = 0;
    json backlog_mid;  // halfway through sending
    int64_t outstanding_mid = 0;
  };

  // Sends rate × seconds screenings at `rate`, round robin over the patients, each traced
  // from its ce_time.
  Sent SendScreenings(Pipeline& p, double rate, double seconds) {
    Sent sent;
    int64_t planned = static_cast<int64_t>(rate * seconds);
    loadgen::RateSender sender(kafka_, rate);
    auto started = Steady::now();
    for (int64_t i = 0; i < planned; ++i) {
      const auto& [pid, index] = p.patients[p.next_patient++ % p.patients.size()];
      std::string id = klinik::NewUuid();
      klinik::OutgoingMessage m = loadgen::ScreeningMessage({pid, people_.at(index)}, id, p.rng);
      auto ce_time = klinik::FindHeader(m.headers, "ce_time");
      auto t = klinik::ParseRfc3339(ce_time.value_or(""));
      {
        std::lock_guard lock(p.facts.mutex);
        p.facts.traces[id].sent_ms =
            t ? klinik::ToUnixMillis(*t) : klinik::ToUnixMillis(klinik::Clock::now());
      }
      sent.ids.push_back(id);
      sender.Send(m);
      if (sent.backlog_mid.is_null() && i >= planned / 2) {
        sent.backlog_mid = Backlog(p.all);
        sent.outstanding_mid = Outstanding(p.facts, sent.ids);
      }
    }
    sent.summary = sender.Finish();
    sent.seconds = Since(started);
    return sent;
  }

  // Waits, at most drain_seconds, until every screening of the run is rejected or finished (an
  // unsustainable rate is reported as such).
  void WaitForDrain(E2eFacts& facts, const std::vector<std::string>& ids) {
    kt::WaitUntil(
        [&] {
          std::lock_guard lock(facts.mutex);
          for (const auto& id : ids) {
            const Trace& t = facts.traces[id];
            if (!t.rejected && !t.finished) return false;
          }
          return true;
        },
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::duration<double>(o_.drain_seconds)));
  }

  // One run at step.rate: its latencies, backlogs, memory and whether the rate was sustained.
  json RunAtRate(Pipeline& p, const Step& step) {
    double rate = step.rate;
    Say("end to end: " + std::to_string(static_cast<int>(rate)) + " screenings/s for " +
        std::to_string(static_cast<int>(step.seconds)) + " s");
    json start = Backlog(p.all);
    Sent sent = SendScreenings(p, rate, step.seconds);
    const std::vector<std::string>& ids = sent.ids;
    int64_t outstanding_end = Outstanding(p.facts, ids);
    std::this_thread::sleep_for(2500ms);  // lag gauges refresh every 2 s
    json end = Backlog(p.all);
    WaitForDrain(p.facts, ids);
    json after_drain = Backlog(p.all);
    Latencies l = LatenciesOf(p.facts, ids);
    json run = {{"rate_requested", rate},
                {"estimated_max", step.search && step.attempt == 1},
                {"search_attempt", step.search ? step.attempt : 0},
                {"seconds", step.seconds},
                {"sent", sent.summary.delivered},
                {"rate_achieved", sent.summary.delivered / sent.seconds},
                {"rejected", l.rejected},
                {"to_screening_completed", Percentiles(l.completed, ids.size())},
                {"to_referral_created", Percentiles(l.referred, static_cast<size_t>(l.referrals))},
                {"to_final_resource_synced", Percentiles(l.synced, ids.size())},
                {"backlog_start", start},
                {"backlog_mid", sent.backlog_mid},
                {"backlog_end", end},
                {"backlog_after_drain", after_drain}};
    double growth = static_cast<double>(outstanding_end - sent.outstanding_mid);
    run["outstanding_mid"] = sent.outstanding_mid;
    run["outstanding_end"] = outstanding_end;
    run["backlog_growth"] = growth;
    bool all_synced = l.synced.size() + static_cast<size_t>(l.rejected) >= ids.size() * 99 / 100;
    run["sustained"] =
        run["rate_achieved"].get<double>() >= 0.95 * rate && growth <= rate && all_synced;
    run["memory"] = Memory(p.all);
    Say("end to end at " + std::to_string(static_cast<int>(rate)) + "/s: final fact p99 " +
        (l.synced.empty() ? std::string("n/a")
                          : std::to_string(static_cast<int64_t>(
                                run["to_final_resource_synced"]["p99_ms"].get<double>()))) +
        " ms, " + std::to_string(l.synced.size()) + "/" + std::to_string(ids.size()) + " synced");
    return run;
  }

  PassOptions o_;
  loadgen::Population people_;
  klinik::KafkaSettings kafka_;
  std::unique_ptr<kt::ChildProcess> sandbox_;
  std::string sandbox_url_, secret_file_;
  std::map<std::string, std::string> dbs_;
  std::unique_ptr<Service> registration_;
  double hop_rate_ = 0;
  json services_;
  json out_;
};

}  // namespace

json RunPass(const PassOptions& options) { return Pass(options).Run(); }

}  // namespace bench
