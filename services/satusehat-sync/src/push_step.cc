#include "push_step.h"

#include "klinik/event_types.h"
#include "klinik/log.h"
#include "klinik/storage.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/screening.pb.h"

namespace satusehat_sync {
namespace {

using nlohmann::json;

bool Is(const SourceFact& source, std::string_view ce_type) { return source.event_type == ce_type; }

// `reason` with what the answer says: its OperationOutcome text, else its start, scrubbed.
Problem ProblemOf(const HttpResponse& r, std::string reason) {
  Problem p{std::move(reason), fhir::OperationOutcomeDiagnostics(r.json)};
  if (p.diagnostics.empty())
    p.diagnostics = r.transport_failed ? r.error : klinik::redact::Scrub(r.body.substr(0, 300));
  return p;
}

// `result` resting on answer `r`.
PushOutcome Answered(const HttpResponse& r, PushOutcome::Result result) {
  PushOutcome o(std::move(result));
  o.http_status = r.status;
  o.request_id = r.request_id;
  if (Classify(r.transport_failed, r.status, r.json) == Verdict::kUnavailable) {
    o.server = ServerSignal::kDown;
  } else if (!r.transport_failed) {
    o.server = ServerSignal::kAnswered;
  }
  return o;
}

// What an HTTP answer that is not a success means for the job.
PushOutcome FromHttp(const HttpResponse& r) {
  Verdict v = Classify(r.transport_failed, r.status, r.json);
  Problem p = ProblemOf(r, ReasonCode(v));
  if (v == Verdict::kSuppressed) return Answered(r, push::Suppressed{std::move(p)});
  if (IsTransient(v)) return Answered(r, push::Transient{std::move(p), r.retry_after});
  return Answered(r, push::Permanent{std::move(p)});
}

template <typename T>
std::optional<T> Decode(const SourceFact& source) {
  T t;
  if (!t.ParseFromString(source.payload)) return std::nullopt;
  return t;
}

// Sends one job. Reads what it needs from the database in short transactions (or the claim's
// cache); never holds a transaction across an HTTP call.
class JobPush {
 public:
  JobPush(klinik::Database& db, const fhir::FhirSite& site, FhirClient& client,
          const JobRecord& job, ClaimCache& cache)
      : db_(db), site_(site), client_(client), job_(job), cache_(cache) {}

  PushOutcome Run() {
    auto source = Source(job_.source_event_id);
    if (!source) return PushOutcome::Permanent("SOURCE_MISSING", "the source fact is not stored");
    const std::string& k = job_.kind;
    if (k == kind::kPatient) return PatientLookup();
    if (k == kind::kEncounter || k == kind::kEncounterFinish) return Encounter(*source);
    if (k == kind::kObservation || k == kind::kCondition) return ScreeningPart(*source);
    if (k == kind::kMedication || k == kind::kMedicationDispense) return DispensePart(*source);
    if (k == kind::kServiceRequest) return Referral(*source, {});
    if (k == kind::kServiceRequestUpdate) return ReferralUpdate();
    if (k == kind::kEncounterWithdraw) return EncounterWithdraw(*source);
    return PushOutcome::Permanent("UNKNOWN_JOB_KIND", "job kind " + k);
  }

 private:
  // Patient IHS from the cache or a search by NIK; sets `stop_` when the job cannot go on.
  std::optional<std::string> PatientIhs() {
    auto nik_it = cache_.niks.find(job_.patient_id);
    if (nik_it == cache_.niks.end()) {
      nik_it = cache_.niks
                   .emplace(job_.patient_id, db_.Read([&](klinik::Transaction& tx) {
                     return store::PatientNik(tx, job_.patient_id);
                   }))
                   .first;
    }
    const std::optional<std::string>& nik = nik_it->second;
    if (!nik) {
      stop_ = PushOutcome::Waiting("PATIENT_UNKNOWN",
                                   "no PatientRegistered fact seen for this patient yet");
      return std::nullopt;
    }
    if (nik->empty()) {
      stop_ = PushOutcome::Waiting("PATIENT_NIK_MISSING",
                                   "the patient has no NIK of their own (newborn)");
      return std::nullopt;
    }
    return Ihs("patient", "Patient", *nik, "PATIENT_NOT_IN_INDEX");
  }

  std::optional<std::string> PractitionerIhs(const std::string& nik) {
    if (nik.empty()) {
      stop_ = PushOutcome::Permanent("PRACTITIONER_NIK_MISSING", "the fact names no health worker");
      return std::nullopt;
    }
    return Ihs("practitioner", "Practitioner", nik, "PRACTITIONER_NOT_IN_INDEX");
  }

  std::optional<std::string> Ihs(std::string_view who, const std::string& type,
                                 const std::string& nik, const char* not_found_reason) {
    const std::pair<std::string, std::string> key{std::string(who), nik};
    auto cached = ClaimCache::Get(cache_.ihs, key, [&] {
      return db_.Read([&](klinik::Transaction& tx) { return store::CachedIhs(tx, who, nik); });
    });
    if (cached) return cached;
    HttpResponse r = client_.Get(
        type + "?identifier=" + FhirClient::Escape(std::string(fhir::kNikSystem) + "|" + nik));
    answered_ = answered_ || !r.transport_failed;
    if (r.transport_failed || r.status != 200) {
      stop_ = FromHttp(r);
      stop_->attempted = true;
      return std::nullopt;
    }
    auto id = fhir::FirstSearchResultId(r.json);
    if (!id) {
      // Not (yet) in the national index: wait on the slow schedule, never fail.
      stop_ = Answered(r, push::Waiting{{not_found_reason, type + " search by NIK found nobody"}});
      return std::nullopt;
    }
    db_.InTransaction(
        [&](klinik::Transaction& tx) { store::CacheIhs(tx, who, nik, *id, klinik::Clock::now()); });
    cache_.ihs[key] = *id;
    return id;
  }

  std::optional<std::string> Synced(std::string_view k, const std::string& ref) {
    return ClaimCache::Get(cache_.synced, std::pair<std::string, std::string>{k, ref}, [&] {
      return db_.Read([&](klinik::Transaction& tx) { return store::SyncedId(tx, k, ref); });
    });
  }

  std::optional<SourceFact> Source(const std::string& source_event_id) {
    return ClaimCache::Get(cache_.sources, source_event_id, [&] {
      return db_.Read([&](klinik::Transaction& tx) { return store::Source(tx, source_event_id); });
    });
  }

  PushOutcome Stopped() {
    PushOutcome o = stop_ ? *stop_ : PushOutcome::Transient("INTERNAL", "resolution failed");
    if (answered_ && o.server == ServerSignal::kNone) o.server = ServerSignal::kAnswered;
    return o;
  }

  PushOutcome PatientLookup() {
    auto ihs = PatientIhs();
    if (!ihs) return Stopped();
    PushOutcome o = PushOutcome::Synced(*ihs);
    if (answered_) o.server = ServerSignal::kAnswered;
    return o;
  }

  PushOutcome Encounter(const SourceFact& source) {
    fhir::Visit visit;
    std::string practitioner_nik;
    std::vector<fhir::DiagnosisRef> diagnoses;
    if (Is(source, klinik::CeType<klinik::v1::ScreeningEvent>(
                       klinik::v1::ScreeningEvent::kScreeningCompleted))) {
      auto s = Decode<klinik::v1::ScreeningCompleted>(source);
      if (!s) return PushOutcome::Permanent("SOURCE_UNDECODABLE");
      visit = fhir::ScreeningVisit(*s);
      practitioner_nik = s->examiner_id();
      if (job_.kind == kind::kEncounterFinish) {
        for (const auto& f : fhir::Diagnoses(*s)) {
          auto id =
              Synced(kind::kCondition, fhir::ConditionReference(s->screening_id(), f.icd10()));
          if (!id)
            return PushOutcome::Transient("DEPENDENCY_NOT_SYNCED", "a Condition is not synced");
          diagnoses.push_back({*id, f.icd10(), f.display()});
        }
      }
    } else if (Is(source, klinik::CeType<klinik::v1::PharmacyEvent>(
                              klinik::v1::PharmacyEvent::kMedicationDispensed))) {
      auto d = Decode<klinik::v1::MedicationDispensed>(source);
      if (!d) return PushOutcome::Permanent("SOURCE_UNDECODABLE");
      visit = fhir::DispensingVisit(*d);
      practitioner_nik = d->dispensed_by();
    } else {
      return PushOutcome::Permanent("SOURCE_UNSUPPORTED", source.event_type);
    }
    auto patient = PatientIhs();
    if (!patient) return Stopped();
    auto practitioner = PractitionerIhs(practitioner_nik);
    if (!practitioner) return Stopped();
    fhir::PeopleRefs people{*patient, *practitioner};
    if (job_.kind == kind::kEncounter) {
      return Create("Encounter", "encounter", fhir::EncounterArrived(site_, visit, people));
    }
    auto encounter_id = Synced(kind::kEncounter, job_.local_reference);
    if (!encounter_id)
      return PushOutcome::Transient("DEPENDENCY_NOT_SYNCED", "the Encounter is not synced");
    return Update("Encounter", *encounter_id,
                  fhir::EncounterFinished(site_, visit, people, *encounter_id, diagnoses));
  }

  // Read, mark, write back: the Encounter SatuSehat holds is the one to withdraw, whatever
  // this build would map the screening to today.
  PushOutcome EncounterWithdraw(const SourceFact& source) {
    auto w = Decode<klinik::v1::ScreeningWithdrawn>(source);
    if (!w) return PushOutcome::Permanent("SOURCE_UNDECODABLE");
    auto encounter_id = Synced(kind::kEncounter, job_.local_reference);
    if (!encounter_id)
      return PushOutcome::Transient("DEPENDENCY_NOT_SYNCED", "the Encounter is not synced");
    HttpResponse r = client_.Get("Encounter/" + FhirClient::Escape(*encounter_id));
    answered_ = answered_ || !r.transport_failed;
    if (r.transport_failed || r.status != 200) {
      PushOutcome o = FromHttp(r);
      o.attempted = true;
      return o;
    }
    if (!r.json.is_object() || r.json.value("resourceType", "") != "Encounter")
      return PushOutcome::Permanent("MAPPING_FAILED", "SatuSehat answered no Encounter");
    return Update("Encounter", *encounter_id,
                  fhir::EncounterEnteredInError(r.json, klinik::FromTimestamp(w->withdrawn_at())));
  }

  PushOutcome ScreeningPart(const SourceFact& source) {
    auto s = Decode<klinik::v1::ScreeningCompleted>(source);
    if (!s) return PushOutcome::Permanent("SOURCE_UNDECODABLE");
    auto encounter_id = Synced(kind::kEncounter, s->screening_id());
    if (!encounter_id)
      return PushOutcome::Transient("DEPENDENCY_NOT_SYNCED", "the Encounter is not synced");
    auto patient = PatientIhs();
    if (!patient) return Stopped();
    if (job_.kind == kind::kObservation) {
      for (const auto& v : fhir::MeasuredValues(*s)) {
        if (v.loinc == job_.detail) {
          return Create("Observation", "observation",
                        fhir::Observation(site_, *s, v, *patient, *encounter_id));
        }
      }
      return PushOutcome::Permanent("MAPPING_FAILED", "no measured value for LOINC " + job_.detail);
    }
    for (const auto& f : fhir::Diagnoses(*s)) {
      if (f.icd10() == job_.detail) {
        return Create("Condition", "condition",
                      fhir::Condition(site_, *s, f, *patient, *encounter_id));
      }
    }
    return PushOutcome::Permanent("MAPPING_FAILED", "no diagnosis " + job_.detail);
  }

  PushOutcome DispensePart(const SourceFact& source) {
    auto d = Decode<klinik::v1::MedicationDispensed>(source);
    if (!d) return PushOutcome::Permanent("SOURCE_UNDECODABLE");
    const klinik::v1::DispensedLine* line = nullptr;
    for (const auto& l : d->lines()) {
      if (std::to_string(l.line_no()) == job_.detail) line = &l;
    }
    if (line == nullptr) return PushOutcome::Permanent("MAPPING_FAILED", "no line " + job_.detail);
    if (job_.kind == kind::kMedication) {
      return Create("Medication", "medication", fhir::Medication(site_, *d, *line));
    }
    auto encounter_id = Synced(kind::kEncounter, d->request_id());
    auto medication_id = Synced(kind::kMedication, job_.local_reference);
    if (!encounter_id || !medication_id) {
      return PushOutcome::Transient("DEPENDENCY_NOT_SYNCED",
                                    "the Encounter or Medication is not synced");
    }
    auto patient = PatientIhs();
    if (!patient) return Stopped();
    auto practitioner = PractitionerIhs(d->dispensed_by());
    if (!practitioner) return Stopped();
    return Create("MedicationDispense", "prescription-item",
                  fhir::MedicationDispense(site_, *d, *line, {*patient, *practitioner},
                                           *medication_id, *encounter_id));
  }

  // `update_of`: the ServiceRequest id when this is the PUT that ends it.
  PushOutcome Referral(const SourceFact& source, const std::string& update_of) {
    auto r = Decode<klinik::v1::ReferralCreated>(source);
    if (!r) return PushOutcome::Permanent("SOURCE_UNDECODABLE");
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
                    fhir::ServiceRequest(site_, *r, people, encounter_id, "active"));
    }
    return Update("ServiceRequest", update_of,
                  fhir::ServiceRequest(site_, *r, people, encounter_id, job_.detail, update_of));
  }

  PushOutcome ReferralUpdate() {
    auto created =
        db_.Read([&](klinik::Transaction& tx) -> std::optional<std::pair<JobRecord, SourceFact>> {
          auto j = store::Find(tx, kind::kServiceRequest, job_.local_reference);
          if (!j || j->status != status::kSynced) return std::nullopt;
          auto src = store::Source(tx, j->source_event_id);
          if (!src) return std::nullopt;
          return std::make_pair(*j, *src);
        });
    if (!created)
      return PushOutcome::Transient("DEPENDENCY_NOT_SYNCED", "the ServiceRequest is not synced");
    return Referral(created->second, created->first.satusehat_id);
  }

  // POST once. When an earlier send may have stored it, or SatuSehat says the identifier
  // exists (rule 20002), the stored resource is found by identifier and adopted.
  PushOutcome Create(const std::string& type, std::string_view identifier_kind, const json& body) {
    const std::string system = fhir::IdentifierSystem(site_, identifier_kind);
    const std::string value = IdentifierValue(body, system);
    if (job_.ambiguous) {
      // Adopted, or the search failed: either way no POST.
      if (std::optional<PushOutcome> found = Search(type, system, value)) return *found;
    }
    HttpResponse r = client_.Post(type, body);
    answered_ = answered_ || !r.transport_failed;
    Verdict v = Classify(r.transport_failed, r.status, r.json);
    if (v == Verdict::kSuccess) {
      const bool has_id = r.json.is_object() && r.json.contains("id") && r.json["id"].is_string();
      // Acknowledged without an id: we cannot reference it, and it may be stored.
      PushOutcome o = has_id ? Answered(r, push::Synced{r.json["id"].get<std::string>()})
                             : Answered(r, push::Transient{ProblemOf(r, "NO_ID_IN_ANSWER"),
                                                           r.retry_after, /*maybe_stored=*/true});
      o.attempted = true;
      return o;
    }
    PushOutcome o = FromHttp(r);
    o.attempted = true;
    if (push::Transient* t = o.transient()) t->maybe_stored = r.transport_failed && r.maybe_sent;
    if (v == Verdict::kInvalid && o.problem()->diagnostics.find("20002") != std::string::npos) {
      std::optional<PushOutcome> found = Search(type, system, value);
      if (found && found->synced()) return *found;
    }
    return o;
  }

  PushOutcome Update(const std::string& type, const std::string& id, const json& body) {
    HttpResponse r = client_.Put(type + "/" + id, body);
    answered_ = answered_ || !r.transport_failed;
    Verdict v = Classify(r.transport_failed, r.status, r.json);
    PushOutcome o = v == Verdict::kSuccess ? Answered(r, push::Synced{id}) : FromHttp(r);
    o.attempted = true;  // a PUT of the whole resource is idempotent: no search needed on retry
    return o;
  }

  // Synced with the found id; a transient/permanent outcome when the search failed; nullopt
  // when SatuSehat has no such resource.
  std::optional<PushOutcome> Search(const std::string& type, const std::string& system,
                                    const std::string& value) {
    HttpResponse r = client_.Get(type + "?identifier=" + FhirClient::Escape(system + "|" + value));
    answered_ = answered_ || !r.transport_failed;
    if (r.transport_failed || r.status != 200) {
      PushOutcome o = FromHttp(r);
      if (push::Transient* t = o.transient())
        t->maybe_stored = true;  // still unknown: search again
      o.attempted = true;
      return o;
    }
    auto id = fhir::FirstSearchResultId(r.json);
    if (!id) return std::nullopt;
    klinik::log::Info(
        "adopted a resource found by identifier",
        {{"job_id", job_.job_id}, {"resource_type", type}, {"x_request_id", r.request_id}});
    return Answered(r, push::Synced{*id});
  }

  static std::string IdentifierValue(const json& body, const std::string& system) {
    for (const auto& i : body.value("identifier", json::array())) {
      if (i.value("system", "") == system) return i.value("value", "");
    }
    return {};
  }

  klinik::Database& db_;
  const fhir::FhirSite& site_;
  FhirClient& client_;
  const JobRecord& job_;
  ClaimCache& cache_;
  std::optional<PushOutcome> stop_;
  bool answered_ = false;
};

}  // namespace

PushOutcome PushJob(klinik::Database& db, const fhir::FhirSite& site, FhirClient& client,
                    const JobRecord& job, ClaimCache& cache) {
  return JobPush(db, site, client, job, cache).Run();
}

}  // namespace satusehat_sync
