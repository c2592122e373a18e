#include "sync_worker.h"

#include <google/protobuf/util/time_util.h>

#include <map>

#include "fact_types.h"
#include "fhir_mapping.h"
#include "klinik/log.h"
#include "klinik/metrics.h"
#include "klinik/outbox.h"
#include "klinik/storage.h"
#include "klinik/topics.h"
#include "klinik/v1/satusehat.pb.h"

namespace satusehat_sync {
namespace {

using Kind = PushOutcome::Kind;
using nlohmann::json;

using fact_types::kMedicationDispensed;
using fact_types::kScreeningCompleted;

PushOutcome Outcome(Kind kind, std::string reason, std::string diagnostics = {}) {
  PushOutcome o;
  o.kind = kind;
  o.reason = std::move(reason);
  o.diagnostics = std::move(diagnostics);
  return o;
}

// What an HTTP answer that is not a success means for the job.
PushOutcome FromHttp(const HttpResponse& r) {
  Verdict v = Classify(r.transport_failed, r.status, r.json);
  PushOutcome o;
  o.kind = IsTransient(v) ? Kind::kTransient : Kind::kPermanent;
  if (v == Verdict::kSuppressed) o.kind = Kind::kSuppressed;
  o.reason = ReasonCode(v);
  o.http_status = r.status;
  o.request_id = r.request_id;
  o.retry_after = r.retry_after;
  o.server_down = v == Verdict::kUnavailable;
  o.server_answered = !r.transport_failed;
  o.diagnostics = fhir::OperationOutcomeDiagnostics(r.json);
  if (o.diagnostics.empty())
    o.diagnostics = r.transport_failed ? r.error : klinik::redact::Scrub(r.body.substr(0, 300));
  return o;
}

template <typename T>
std::optional<T> Decode(const SourceFact& source) {
  T t;
  if (!t.ParseFromString(source.payload)) return std::nullopt;
  return t;
}

}  // namespace

// What the jobs of one claim read again and again — the jobs of one screening share its source
// fact, patient, IHS numbers and Encounter id — read once per claim. Cleared at every claim, so
// nothing in it is older than the claim; only what cannot change is kept (a source fact, a
// synced job's id, an IHS number) plus the patient's NIK.
struct ClaimCache {
  std::map<std::string, SourceFact> sources;
  std::map<std::string, std::optional<std::string>> niks;
  std::map<std::pair<std::string, std::string>, std::string> ihs;     // (who, nik)
  std::map<std::pair<std::string, std::string>, std::string> synced;  // (kind, reference)
  void Clear() {
    sources.clear();
    niks.clear();
    ihs.clear();
    synced.clear();
  }
  // map[key], or what `read` finds (kept when found, so a miss is asked again).
  template <typename Key, typename Value, typename Read>
  static std::optional<Value> Get(std::map<Key, Value>& map, const Key& key, Read&& read) {
    if (auto it = map.find(key); it != map.end()) return it->second;
    std::optional<Value> found = read();
    if (found) map.emplace(key, *found);
    return found;
  }
};

namespace {

// Sends one job. Reads what it needs from the database in short transactions (or the claim's
// cache); never holds a transaction across an HTTP call.
class JobPush {
 public:
  JobPush(klinik::Database& db, const SyncSettings& s, SatuSehatClient& client,
          const JobRecord& job, ClaimCache& cache)
      : db_(db), s_(s), client_(client), job_(job), cache_(cache) {}

  PushOutcome Run() {
    auto source = Source(job_.source_event_id);
    if (!source)
      return Outcome(Kind::kPermanent, "SOURCE_MISSING", "the source fact is not stored");
    const std::string& k = job_.kind;
    if (k == kind::kPatient) return PatientLookup();
    if (k == kind::kEncounter || k == kind::kEncounterFinish) return Encounter(*source);
    if (k == kind::kObservation || k == kind::kCondition) return ScreeningPart(*source);
    if (k == kind::kMedication || k == kind::kMedicationDispense) return DispensePart(*source);
    if (k == kind::kServiceRequest) return Referral(*source, {});
    if (k == kind::kServiceRequestUpdate) return ReferralUpdate();
    return Outcome(Kind::kPermanent, "UNKNOWN_JOB_KIND", "job kind " + k);
  }

 private:
  // Patient IHS from the cache or a search by NIK; sets `stop_` when the job cannot go on.
  std::optional<std::string> PatientIhs() {
    auto nik_it = cache_.niks.find(job_.patient_id);
    if (nik_it == cache_.niks.end()) {
      nik_it = cache_.niks
                   .emplace(job_.patient_id, db_.Read([&](klinik::Transaction& tx) {
                     return JobStore::PatientNik(tx, job_.patient_id);
                   }))
                   .first;
    }
    const std::optional<std::string>& nik = nik_it->second;
    if (!nik) {
      stop_ = Outcome(Kind::kWaiting, "PATIENT_UNKNOWN",
                      "no PatientRegistered fact seen for this patient yet");
      return std::nullopt;
    }
    if (nik->empty()) {
      stop_ = Outcome(Kind::kWaiting, "PATIENT_NIK_MISSING",
                      "the patient has no NIK of their own (newborn)");
      return std::nullopt;
    }
    return Ihs("patient", "Patient", *nik, "PATIENT_NOT_IN_INDEX");
  }

  std::optional<std::string> PractitionerIhs(const std::string& nik) {
    if (nik.empty()) {
      stop_ =
          Outcome(Kind::kPermanent, "PRACTITIONER_NIK_MISSING", "the fact names no health worker");
      return std::nullopt;
    }
    return Ihs("practitioner", "Practitioner", nik, "PRACTITIONER_NOT_IN_INDEX");
  }

  std::optional<std::string> Ihs(std::string_view who, const std::string& type,
                                 const std::string& nik, const char* not_found_reason) {
    const std::pair<std::string, std::string> key{std::string(who), nik};
    auto cached = ClaimCache::Get(cache_.ihs, key, [&] {
      return db_.Read([&](klinik::Transaction& tx) { return JobStore::CachedIhs(tx, who, nik); });
    });
    if (cached) return cached;
    HttpResponse r = client_.Get(
        type + "?identifier=" + SatuSehatClient::Escape(std::string(fhir::kNikSystem) + "|" + nik));
    answered_ = answered_ || !r.transport_failed;
    if (r.transport_failed || r.status != 200) {
      stop_ = FromHttp(r);
      stop_->sent = true;
      return std::nullopt;
    }
    auto id = fhir::FirstSearchResultId(r.json);
    if (!id) {
      // Not (yet) in the national index: wait on the slow schedule, never fail.
      stop_ = Outcome(Kind::kWaiting, not_found_reason, type + " search by NIK found nobody");
      stop_->server_answered = true;
      stop_->request_id = r.request_id;
      stop_->http_status = r.status;
      return std::nullopt;
    }
    db_.InTransaction([&](klinik::Transaction& tx) {
      JobStore::CacheIhs(tx, who, nik, *id, klinik::Clock::now());
    });
    cache_.ihs[key] = *id;
    return id;
  }

  std::optional<std::string> Synced(std::string_view k, const std::string& ref) {
    return ClaimCache::Get(cache_.synced, std::pair<std::string, std::string>{k, ref}, [&] {
      return db_.Read([&](klinik::Transaction& tx) { return JobStore::SyncedId(tx, k, ref); });
    });
  }

  std::optional<SourceFact> Source(const std::string& source_event_id) {
    return ClaimCache::Get(cache_.sources, source_event_id, [&] {
      return db_.Read(
          [&](klinik::Transaction& tx) { return JobStore::Source(tx, source_event_id); });
    });
  }

  PushOutcome Stopped() {
    PushOutcome o = stop_ ? *stop_ : Outcome(Kind::kTransient, "INTERNAL", "resolution failed");
    o.server_answered = o.server_answered || answered_;
    return o;
  }

  PushOutcome PatientLookup() {
    auto ihs = PatientIhs();
    if (!ihs) return Stopped();
    PushOutcome o = Outcome(Kind::kSynced, "");
    o.satusehat_id = *ihs;
    o.server_answered = answered_;
    return o;
  }

  PushOutcome Encounter(const SourceFact& source) {
    fhir::Visit visit;
    std::string practitioner_nik;
    std::vector<fhir::DiagnosisRef> diagnoses;
    if (source.event_type == kScreeningCompleted) {
      auto s = Decode<klinik::v1::ScreeningCompleted>(source);
      if (!s) return Outcome(Kind::kPermanent, "SOURCE_UNDECODABLE");
      visit = fhir::ScreeningVisit(*s);
      practitioner_nik = s->examiner_id();
      if (job_.kind == kind::kEncounterFinish) {
        for (const auto& f : fhir::Diagnoses(*s)) {
          auto id =
              Synced(kind::kCondition, fhir::ConditionReference(s->screening_id(), f.icd10()));
          if (!id)
            return Outcome(Kind::kTransient, "DEPENDENCY_NOT_SYNCED", "a Condition is not synced");
          diagnoses.push_back({*id, f.icd10(), f.display()});
        }
      }
    } else if (source.event_type == kMedicationDispensed) {
      auto d = Decode<klinik::v1::MedicationDispensed>(source);
      if (!d) return Outcome(Kind::kPermanent, "SOURCE_UNDECODABLE");
      visit = fhir::DispensingVisit(*d);
      practitioner_nik = d->dispensed_by();
    } else {
      return Outcome(Kind::kPermanent, "SOURCE_UNSUPPORTED", source.event_type);
    }
    auto patient = PatientIhs();
    if (!patient) return Stopped();
    auto practitioner = PractitionerIhs(practitioner_nik);
    if (!practitioner) return Stopped();
    fhir::PeopleRefs people{*patient, *practitioner};
    if (job_.kind == kind::kEncounter) {
      return Create("Encounter", "encounter", fhir::EncounterArrived(s_.site, visit, people));
    }
    auto encounter_id = Synced(kind::kEncounter, job_.local_reference);
    if (!encounter_id)
      return Outcome(Kind::kTransient, "DEPENDENCY_NOT_SYNCED", "the Encounter is not synced");
    return Update("Encounter", *encounter_id,
                  fhir::EncounterFinished(s_.site, visit, people, *encounter_id, diagnoses));
  }

  PushOutcome ScreeningPart(const SourceFact& source) {
    auto s = Decode<klinik::v1::ScreeningCompleted>(source);
    if (!s) return Outcome(Kind::kPermanent, "SOURCE_UNDECODABLE");
    auto encounter_id = Synced(kind::kEncounter, s->screening_id());
    if (!encounter_id)
      return Outcome(Kind::kTransient, "DEPENDENCY_NOT_SYNCED", "the Encounter is not synced");
    auto patient = PatientIhs();
    if (!patient) return Stopped();
    if (job_.kind == kind::kObservation) {
      for (const auto& v : fhir::MeasuredValues(*s)) {
        if (v.loinc == job_.detail) {
          return Create("Observation", "observation",
                        fhir::Observation(s_.site, *s, v, *patient, *encounter_id));
        }
      }
      return Outcome(Kind::kPermanent, "MAPPING_FAILED",
                     "no measured value for LOINC " + job_.detail);
    }
    for (const auto& f : fhir::Diagnoses(*s)) {
      if (f.icd10() == job_.detail) {
        return Create("Condition", "condition",
                      fhir::Condition(s_.site, *s, f, *patient, *encounter_id));
      }
    }
    return Outcome(Kind::kPermanent, "MAPPING_FAILED", "no diagnosis " + job_.detail);
  }

  PushOutcome DispensePart(const SourceFact& source) {
    auto d = Decode<klinik::v1::MedicationDispensed>(source);
    if (!d) return Outcome(Kind::kPermanent, "SOURCE_UNDECODABLE");
    const klinik::v1::DispensedLine* line = nullptr;
    for (const auto& l : d->lines()) {
      if (std::to_string(l.line_no()) == job_.detail) line = &l;
    }
    if (line == nullptr)
      return Outcome(Kind::kPermanent, "MAPPING_FAILED", "no line " + job_.detail);
    if (job_.kind == kind::kMedication) {
      return Create("Medication", "medication", fhir::Medication(s_.site, *d, *line));
    }
    auto encounter_id = Synced(kind::kEncounter, d->request_id());
    auto medication_id = Synced(kind::kMedication, job_.local_reference);
    if (!encounter_id || !medication_id) {
      return Outcome(Kind::kTransient, "DEPENDENCY_NOT_SYNCED",
                     "the Encounter or Medication is not synced");
    }
    auto patient = PatientIhs();
    if (!patient) return Stopped();
    auto practitioner = PractitionerIhs(d->dispensed_by());
    if (!practitioner) return Stopped();
    return Create("MedicationDispense", "prescription-item",
                  fhir::MedicationDispense(s_.site, *d, *line, {*patient, *practitioner},
                                           *medication_id, *encounter_id));
  }

  // `update_of`: the ServiceRequest id when this is the PUT that ends it.
  PushOutcome Referral(const SourceFact& source, const std::string& update_of) {
    auto r = Decode<klinik::v1::ReferralCreated>(source);
    if (!r) return Outcome(Kind::kPermanent, "SOURCE_UNDECODABLE");
    auto patient = PatientIhs();
    if (!patient) return Stopped();
    auto practitioner = PractitionerIhs(r->requested_by());
    if (!practitioner) return Stopped();
    // The screening's Encounter (the job waited for it); a referral without a screening has none.
    std::string encounter_id;
    if (!r->source_screening_id().empty()) {
      encounter_id = Synced(kind::kEncounter, r->source_screening_id()).value_or("");
    }
    fhir::PeopleRefs people{*patient, *practitioner};
    if (update_of.empty()) {
      return Create("ServiceRequest", "servicerequest",
                    fhir::ServiceRequest(s_.site, *r, people, encounter_id, "active"));
    }
    return Update("ServiceRequest", update_of,
                  fhir::ServiceRequest(s_.site, *r, people, encounter_id, job_.detail, update_of));
  }

  PushOutcome ReferralUpdate() {
    auto created =
        db_.Read([&](klinik::Transaction& tx) -> std::optional<std::pair<JobRecord, SourceFact>> {
          auto j = JobStore::Find(tx, kind::kServiceRequest, job_.local_reference);
          if (!j || j->status != status::kSynced) return std::nullopt;
          auto src = JobStore::Source(tx, j->source_event_id);
          if (!src) return std::nullopt;
          return std::make_pair(*j, *src);
        });
    if (!created)
      return Outcome(Kind::kTransient, "DEPENDENCY_NOT_SYNCED", "the ServiceRequest is not synced");
    return Referral(created->second, created->first.satusehat_id);
  }

  // POST once. When an earlier send may have stored it, or SatuSehat says the identifier
  // exists (rule 20002), the stored resource is found by identifier and adopted.
  PushOutcome Create(const std::string& type, std::string_view identifier_kind, const json& body) {
    const std::string system = fhir::IdentifierSystem(s_.site, identifier_kind);
    const std::string value = IdentifierValue(body, system);
    if (job_.ambiguous) {
      PushOutcome found = Search(type, system, value);
      if (found.reason != "NOT_FOUND_BY_IDENTIFIER") return found;  // adopted, or the search failed
    }
    HttpResponse r = client_.Post(type, body);
    answered_ = answered_ || !r.transport_failed;
    Verdict v = Classify(r.transport_failed, r.status, r.json);
    if (v == Verdict::kSuccess) {
      if (r.json.is_object() && r.json.contains("id") && r.json["id"].is_string()) {
        PushOutcome o = Outcome(Kind::kSynced, "");
        o.satusehat_id = r.json["id"].get<std::string>();
        o.http_status = r.status;
        o.request_id = r.request_id;
        o.sent = true;
        o.server_answered = true;
        return o;
      }
      // Acknowledged but without an id: we cannot reference it, and it may be stored.
      PushOutcome o = FromHttp(r);
      o.kind = Kind::kTransient;
      o.reason = "NO_ID_IN_ANSWER";
      o.sent = o.maybe_stored = true;
      return o;
    }
    PushOutcome o = FromHttp(r);
    o.sent = true;
    o.maybe_stored = r.transport_failed && r.maybe_sent;
    if (v == Verdict::kInvalid && o.diagnostics.find("20002") != std::string::npos) {
      PushOutcome found = Search(type, system, value);
      if (found.kind == Kind::kSynced) return found;
    }
    return o;
  }

  PushOutcome Update(const std::string& type, const std::string& id, const json& body) {
    HttpResponse r = client_.Put(type + "/" + id, body);
    answered_ = answered_ || !r.transport_failed;
    Verdict v = Classify(r.transport_failed, r.status, r.json);
    PushOutcome o = v == Verdict::kSuccess ? Outcome(Kind::kSynced, "") : FromHttp(r);
    if (v == Verdict::kSuccess) {
      o.satusehat_id = id;
      o.http_status = r.status;
      o.request_id = r.request_id;
      o.server_answered = true;
    }
    o.sent = true;  // a PUT of the whole resource is idempotent: no search needed on retry
    return o;
  }

  // Synced with the found id; a transient/permanent outcome when the search failed; reason
  // NOT_FOUND_BY_IDENTIFIER when SatuSehat has no such resource.
  PushOutcome Search(const std::string& type, const std::string& system, const std::string& value) {
    HttpResponse r =
        client_.Get(type + "?identifier=" + SatuSehatClient::Escape(system + "|" + value));
    answered_ = answered_ || !r.transport_failed;
    if (r.transport_failed || r.status != 200) {
      PushOutcome o = FromHttp(r);
      o.maybe_stored = true;  // still unknown: keep searching first
      o.sent = true;
      return o;
    }
    auto id = fhir::FirstSearchResultId(r.json);
    if (!id) return Outcome(Kind::kTransient, "NOT_FOUND_BY_IDENTIFIER");
    klinik::log::Info(
        "adopted a resource found by identifier",
        {{"job_id", job_.job_id}, {"resource_type", type}, {"x_request_id", r.request_id}});
    PushOutcome o = Outcome(Kind::kSynced, "");
    o.satusehat_id = *id;
    o.http_status = r.status;
    o.request_id = r.request_id;
    o.server_answered = true;
    return o;
  }

  static std::string IdentifierValue(const json& body, const std::string& system) {
    for (const auto& i : body.value("identifier", json::array())) {
      if (i.value("system", "") == system) return i.value("value", "");
    }
    return {};
  }

  klinik::Database& db_;
  const SyncSettings& s_;
  SatuSehatClient& client_;
  const JobRecord& job_;
  ClaimCache& cache_;
  std::optional<PushOutcome> stop_;
  bool answered_ = false;
};

google::protobuf::Timestamp Ts(klinik::TimePoint t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(klinik::ToUnixMillis(t));
}

}  // namespace

WorkerMetrics WorkerMetrics::Register(klinik::Metrics& metrics) {
  WorkerMetrics m;
  m.jobs = &metrics.AddGauge("klinik_sync_jobs", "SatuSehat sync jobs by status");
  m.push_seconds = &metrics
                        .AddHistogram("klinik_satusehat_push_seconds",
                                      "Time to send one sync job to SatuSehat, lookups included")
                        .Add({}, klinik::Metrics::LatencyBuckets());
  m.oldest_pending_age = &metrics
                              .AddGauge("klinik_sync_oldest_pending_age_seconds",
                                        "Age of the oldest pending or in-flight sync job")
                              .Add({});
  m.client = ClientMetrics::Register(metrics);
  return m;
}

SyncWorker::SyncWorker(klinik::Database& db, const SyncSettings& settings, TokenProvider& tokens,
                       WorkerMetrics metrics, std::string fact_source,
                       std::function<void()> wake_outbox, std::function<void()> wake_workers)
    : db_(db),
      settings_(settings),
      metrics_(metrics),
      client_(settings, tokens, metrics.client),
      fact_source_(std::move(fact_source)),
      wake_outbox_(std::move(wake_outbox)),
      wake_workers_(std::move(wake_workers)),
      cache_(std::make_unique<ClaimCache>()),
      retry_(settings.backoff_initial, settings.backoff_max),
      breaker_(settings.circuit_failures, settings.circuit_open),
      rng_(std::random_device{}()) {}

SyncWorker::~SyncWorker() = default;

bool SyncWorker::RunOnce(const std::atomic<bool>& stop) {
  bool did_work = false;
  std::vector<JobRecord> claimed;
  size_t next = 0;
  // Claimed jobs this run does not get to go back at once (stopping, circuit, Retry-After).
  auto give_back = [&] {
    JobStore::ReleaseClaims(db_, {claimed.begin() + static_cast<ptrdiff_t>(next), claimed.end()},
                            klinik::Clock::now());
  };
  try {
    while (!stop) {
      auto now = std::chrono::steady_clock::now();
      if (now < paused_until_ || !breaker_.Allow(now)) break;
      if (next == claimed.size()) {
        claimed = JobStore::ClaimDue(db_, klinik::Clock::now(), settings_.lease);
        next = 0;
        cache_->Clear();
        if (claimed.empty()) {
          breaker_.ReleaseProbe();
          break;
        }
      }
      Send(claimed[next++]);
      did_work = true;
    }
  } catch (const klinik::StorageError&) {
    // The unsent claims' leases run out and they are taken again (as ambiguous); give them
    // back now if the database allows.
    try {
      give_back();
    } catch (const klinik::StorageError&) {
    }
    throw;
  }
  give_back();
  return did_work;
}

void SyncWorker::Send(const JobRecord& job) {
  auto started = std::chrono::steady_clock::now();
  PushOutcome outcome;
  try {
    outcome = JobPush(db_, settings_, client_, job, *cache_).Run();
  } catch (const klinik::StorageError&) {
    throw;
  } catch (const std::exception& e) {
    outcome = Outcome(Kind::kTransient, "INTERNAL", e.what());
  }
  if (metrics_.push_seconds != nullptr) {
    metrics_.push_seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  if (outcome.server_down) {
    breaker_.RecordFailure(std::chrono::steady_clock::now());
  } else if (outcome.server_answered) {
    breaker_.RecordSuccess();
  } else {
    breaker_.ReleaseProbe();
  }
  if (outcome.http_status == 429 && outcome.retry_after) {
    paused_until_ = std::chrono::steady_clock::now() + *outcome.retry_after;
  }
  Record(job, outcome);
}

void SyncWorker::Record(const JobRecord& job, const PushOutcome& o) {
  const auto now = klinik::Clock::now();
  JobRecord j = job;
  j.http_status = o.http_status;
  j.request_id = o.request_id;
  j.next_attempt_at.reset();
  if (o.sent) ++j.attempts;
  bool publish_synced = false, publish_failed = false;
  switch (o.kind) {
    case Kind::kSynced:
      j.status = status::kSynced;
      j.satusehat_id = o.satusehat_id;
      j.last_error.clear();
      j.diagnostics.clear();
      j.ambiguous = false;
      publish_synced = true;
      break;
    case Kind::kSuppressed:
      j.status = status::kSuppressed;
      j.last_error = o.reason;
      j.diagnostics = o.diagnostics;
      break;
    case Kind::kWaiting:
      j.status = status::kWaitingForPatient;
      j.last_error = o.reason;
      j.diagnostics = o.diagnostics;
      j.next_attempt_at = klinik::ToUnixMillis(now) + settings_.patient_retry.count();
      break;
    case Kind::kPermanent:
      j.status = status::kFailed;
      j.last_error = o.reason;
      j.diagnostics = o.diagnostics;
      publish_failed = true;
      break;
    case Kind::kTransient: {
      j.ambiguous = j.ambiguous || o.maybe_stored;
      j.last_error = o.reason;
      j.diagnostics = o.diagnostics;
      if (o.sent && j.attempts >= settings_.max_attempts) {
        j.status = status::kFailed;
        j.last_error = "RETRIES_EXHAUSTED";
        j.diagnostics = o.reason + (o.diagnostics.empty() ? "" : ": " + o.diagnostics);
        publish_failed = true;
        break;
      }
      j.status = status::kPending;
      std::uniform_real_distribution<double> jitter(0.0, 1.0);
      Millis delay = retry_.Delay(std::max(j.attempts, 1), jitter(rng_), o.retry_after);
      j.next_attempt_at = klinik::ToUnixMillis(now) + delay.count();
      break;
    }
  }
  int64_t released = 0;
  bool saved = db_.InTransaction([&](klinik::Transaction& tx) {
    released = 0;
    if (!JobStore::Save(tx, j, now)) return false;
    if (publish_synced) released = JobStore::ReleaseDependents(tx, j, now);
    klinik::OutboxWriter out(tx, fact_source_);
    klinik::v1::SatuSehatEvent fact;
    if (publish_synced) {
      auto* s = fact.mutable_resource_synced();
      s->set_job_id(j.job_id);
      s->set_source_event_id(j.source_event_id);
      s->set_patient_id(j.patient_id);
      s->set_local_reference(j.local_reference);
      s->set_resource_type(j.resource_type);
      s->set_satusehat_id(j.satusehat_id);
      *s->mutable_synced_at() = Ts(now);
      s->set_action(j.action);
      out.Publish(klinik::topics::kSatuSehat, j.patient_id,
                  "id.klinik.satusehat.resource_synced.v1", j.patient_id, fact);
    } else if (publish_failed) {
      (void)JobStore::MarkDependentsBlocked(tx, j, now);
      auto* f = fact.mutable_sync_failed();
      f->set_job_id(j.job_id);
      f->set_source_event_id(j.source_event_id);
      f->set_patient_id(j.patient_id);
      f->set_resource_type(j.resource_type);
      f->set_reason(j.last_error);
      f->set_http_status(j.http_status);
      f->set_diagnostics(j.diagnostics);
      f->set_satusehat_request_id(j.request_id);
      f->set_attempts(std::max(j.attempts, 1));
      *f->mutable_failed_at() = Ts(now);
      out.Publish(klinik::topics::kSatuSehat, j.patient_id, "id.klinik.satusehat.sync_failed.v1",
                  j.patient_id, fact);
    }
    return true;
  });
  klinik::log::Fields fields = {{"job_id", j.job_id},           {"kind", j.kind},
                                {"status", j.status},           {"attempts", j.attempts},
                                {"http_status", j.http_status}, {"x_request_id", j.request_id},
                                {"reason", j.last_error}};
  if (!saved) {
    klinik::log::Warn("sync job changed while it was sent; result dropped", fields);
  } else if (publish_failed) {
    fields.push_back({"diagnostics", j.diagnostics});
    klinik::log::Error("sync job failed", fields);
  } else if (o.kind == Kind::kSynced) {
    klinik::log::Debug("sync job synced", fields);
  } else {
    klinik::log::Info("sync job not done yet", fields);
  }
  if (saved && (publish_synced || publish_failed)) wake_outbox_();
  if (saved && released > 0) wake_workers_();
}

bool JobGauges::Run(std::chrono::milliseconds sweep_interval) {
  auto steady = std::chrono::steady_clock::now();
  int64_t released = 0;
  if (steady >= swept_at_) {
    swept_at_ = steady + sweep_interval;
    released = db_.InTransaction(
        [](klinik::Transaction& tx) { return JobStore::ReleaseReady(tx, klinik::Clock::now()); });
    if (released > 0) klinik::log::Info("waiting sync jobs released", {{"jobs", released}});
  }
  auto [counts, oldest] = db_.Read([](klinik::Transaction& tx) {
    return std::make_pair(JobStore::CountByStatus(tx), JobStore::OldestPendingCreatedAt(tx));
  });
  if (metrics_.jobs != nullptr) {
    for (std::string_view s : {status::kPending, status::kWaitingForPatient, status::kInFlight,
                               status::kSynced, status::kFailed, status::kSuppressed}) {
      int64_t n = 0;
      for (const auto& [name, count] : counts) {
        if (name == s) n = count;
      }
      metrics_.jobs->Add({{"status", std::string(s)}}).Set(static_cast<double>(n));
    }
  }
  if (metrics_.oldest_pending_age != nullptr) {
    double age =
        oldest ? static_cast<double>(klinik::ToUnixMillis(klinik::Clock::now()) - *oldest) / 1000.0
               : 0.0;
    metrics_.oldest_pending_age->Set(std::max(age, 0.0));
  }
  return released > 0;
}

}  // namespace satusehat_sync
