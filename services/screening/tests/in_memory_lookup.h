// An in-memory PatientLookup for handler and gRPC tests: patients by id and NIK, and a switch
// that makes every lookup answer "registration unavailable".
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "patient_lookup.h"

namespace screening {

class InMemoryLookup final : public PatientLookup {
 public:
  void Add(const PatientInfo& patient, const std::string& nik = {}) {
    std::lock_guard lock(mutex_);
    by_id_[patient.patient_id] = patient;
    if (!nik.empty()) by_nik_[nik] = patient;
  }
  void SetUnavailable(bool unavailable) { unavailable_ = unavailable; }
  void SetBadRecord(bool bad) { bad_record_ = bad; }
  [[nodiscard]] int calls() const { return calls_; }
  [[nodiscard]] int batches() const { return batches_; }

  LookupResult ByPatientId(std::string_view id) override { return Find(by_id_, std::string(id)); }
  LookupResult ByNik(std::string_view nik) override { return Find(by_nik_, std::string(nik)); }
  std::vector<LookupResult> LookupMany(const std::vector<PatientKey>& keys) override {
    ++batches_;
    return PatientLookup::LookupMany(keys);
  }

 private:
  LookupResult Find(const std::map<std::string, PatientInfo>& map, const std::string& key) {
    ++calls_;
    if (unavailable_) return {LookupStatus::kUnavailable, {}, "registration UNAVAILABLE (test)"};
    if (bad_record_) return {LookupStatus::kBadRecord, {}, "bad record (test)"};
    std::lock_guard lock(mutex_);
    auto it = map.find(key);
    if (it == map.end()) return {LookupStatus::kNotFound, {}, "NOT_FOUND"};
    return {LookupStatus::kFound, it->second, {}};
  }

  std::mutex mutex_;
  std::map<std::string, PatientInfo> by_id_;
  std::map<std::string, PatientInfo> by_nik_;
  std::atomic<bool> unavailable_{false};
  std::atomic<bool> bad_record_{false};
  std::atomic<int> calls_{0};
  std::atomic<int> batches_{0};
};

}  // namespace screening
