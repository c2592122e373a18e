// The push step: one claimed sync job becomes its FHIR resource and is sent to SatuSehat through
// a FhirClient; what that came to is a PushOutcome, which NextState (job_transition.h) turns
// into the job's next state.
//
// What the job references is resolved first: the patient's and health worker's IHS numbers (the
// NIK→IHS cache, else a search by NIK), the ids of the resources it waits for. Creating is never
// done twice: a job marked ambiguous (an earlier send may have reached the server) searches by
// its identifier before it POSTs and adopts what it finds; a 400 naming rule 20002 (duplicate
// identifier) searches and adopts too. Updates are full PUTs with the stored id.
//
//   ClaimCache cache;  // one per claim
//   PushOutcome outcome = PushJob(db, settings.site, client, job, cache);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "fhir_client.h"
#include "fhir_mapping.h"
#include "push_outcome.h"
#include "store.h"

namespace satusehat_sync {

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

// Sends `job`. Reads what it needs from `db` in short transactions (or from `cache`) and never
// holds a transaction across an HTTP call. An HTTP failure is an outcome; a database failure
// throws klinik::StorageError.
[[nodiscard]] PushOutcome PushJob(klinik::Database& db, const fhir::FhirSite& site,
                                  FhirClient& client, const JobRecord& job, ClaimCache& cache);

}  // namespace satusehat_sync
