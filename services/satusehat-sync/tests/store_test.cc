// The job store against both real databases: claims in due order a few at a time, jobs that
// wait for their dependencies are not due until the last one is synced (also when two are
// synced at once on PostgreSQL), claims given back, the sweep, and the migration of a store
// written before dependency release existed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "store.h"
#include "test_infra.h"

namespace satusehat_sync {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr auto kLease = 5min;

PlannedJob Job(std::string_view k, std::string ref, std::vector<JobKey> deps = {}) {
  return {{std::string(k), std::move(ref)}, "Thing", "create", "", std::move(deps)};
}

JobKey Key(std::string_view k, std::string ref) { return {std::string(k), std::move(ref)}; }

class JobStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = klinik::testing::FreshDatabase(GetParam());
    db_ = klinik::Database::Open(url_, 4);
    db_->Migrate("satusehat-sync", store::Migrations());
  }

  klinik::TimePoint Now() { return klinik::Clock::now(); }

  void Add(const std::string& source, const std::vector<PlannedJob>& jobs) {
    db_->InTransaction([&](klinik::Transaction& tx) {
      store::AddJobs(tx, source, "id.klinik.test.v1", "patient-1", "payload", jobs, Now());
    });
  }

  // Kinds and references of what one claim takes, in order.
  std::vector<std::string> ClaimRefs(std::vector<JobRecord>* claimed = nullptr) {
    std::vector<JobRecord> jobs = store::ClaimDue(*db_, Now(), kLease);
    std::vector<std::string> refs;
    for (const JobRecord& j : jobs) refs.push_back(j.kind + ":" + j.local_reference);
    if (claimed != nullptr) *claimed = jobs;
    return refs;
  }

  // What SyncWorker::Record does for a synced job.
  int64_t MarkSynced(klinik::Transaction& tx, JobRecord job) {
    job.status = status::kSynced;
    job.satusehat_id = "ss-" + job.local_reference;
    job.next_attempt_at.reset();
    EXPECT_TRUE(store::Save(tx, job, Now()));
    return store::ReleaseDependents(tx, job, Now());
  }

  std::string StatusOf(std::string_view k, const std::string& ref) {
    return db_->Read([&](klinik::Transaction& tx) {
      auto j = store::Find(tx, k, ref);
      return j ? j->status : std::string("none");
    });
  }

  std::string url_;
  std::unique_ptr<klinik::Database> db_;
};

TEST_P(JobStoreTest, ClaimsTakeAFewDueJobsInOrderAndNeverTheSameTwice) {
  std::vector<PlannedJob> jobs;
  for (int i = 0; i < 11; ++i) jobs.push_back(Job(kind::kPatient, "p" + std::to_string(i)));
  Add("src-1", jobs);

  std::vector<std::string> first = ClaimRefs();
  ASSERT_EQ(first.size(), store::kClaimBatch);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i], "patient:p" + std::to_string(i));
  EXPECT_THAT(ClaimRefs(), ElementsAre("patient:p8", "patient:p9", "patient:p10"));
  EXPECT_THAT(ClaimRefs(), IsEmpty());
  EXPECT_EQ(StatusOf(kind::kPatient, "p0"), status::kInFlight);
}

// A screening fact can arrive before its patient's registration (another topic): the job that
// found no registration waits, and is due again as soon as the registration is remembered.
TEST_P(JobStoreTest, AJobWaitingForItsPatientsRegistrationIsDueOnceItArrives) {
  Add("src-1", {Job(kind::kEncounter, "s1")});
  std::vector<JobRecord> claimed;
  ASSERT_THAT(ClaimRefs(&claimed), ElementsAre("encounter:s1"));
  JobRecord job = claimed[0];
  job.status = status::kWaitingForPatient;
  job.last_error = "PATIENT_UNKNOWN";
  job.next_attempt_at = klinik::ToUnixMillis(Now() + std::chrono::hours(1));
  db_->InTransaction([&](klinik::Transaction& tx) { ASSERT_TRUE(store::Save(tx, job, Now())); });
  EXPECT_THAT(ClaimRefs(), IsEmpty());

  db_->InTransaction([&](klinik::Transaction& tx) {
    store::RememberPatient(tx, "patient-1", "3201010101900001");
  });
  EXPECT_THAT(ClaimRefs(), ElementsAre("encounter:s1"));
}

TEST_P(JobStoreTest, ConcurrentClaimsSplitTheDueJobs) {
  std::vector<PlannedJob> jobs;
  for (int i = 0; i < 40; ++i) jobs.push_back(Job(kind::kPatient, "p" + std::to_string(i)));
  Add("src-1", jobs);
  std::vector<std::future<std::vector<std::string>>> workers;
  for (int w = 0; w < 4; ++w) {
    workers.push_back(std::async(std::launch::async, [&] {
      std::vector<std::string> mine;
      for (auto refs = ClaimRefs(); !refs.empty(); refs = ClaimRefs()) {
        mine.insert(mine.end(), refs.begin(), refs.end());
      }
      return mine;
    }));
  }
  std::multiset<std::string> all;
  for (auto& w : workers) {
    for (const auto& r : w.get()) all.insert(r);
  }
  EXPECT_EQ(all.size(), 40u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 40u) << "a job claimed twice";
}

TEST_P(JobStoreTest, ADependentIsDueOnlyOnceEveryDependencyIsSynced) {
  const JobKey encounter = Key(kind::kEncounter, "scr-1");
  const JobKey condition = Key(kind::kCondition, "scr-1-E11");
  Add("src-1", {Job(kind::kEncounter, "scr-1"), Job(kind::kCondition, "scr-1-E11", {encounter}),
                Job(kind::kEncounterFinish, "scr-1", {encounter, condition})});

  std::vector<JobRecord> claimed;
  ASSERT_THAT(ClaimRefs(&claimed), ElementsAre("encounter:scr-1"));
  EXPECT_EQ(db_->InTransaction([&](klinik::Transaction& tx) { return MarkSynced(tx, claimed[0]); }),
            1)
      << "the Condition waits for the Encounter only";
  ASSERT_THAT(ClaimRefs(&claimed), ElementsAre("condition:scr-1-E11"));
  EXPECT_EQ(db_->InTransaction([&](klinik::Transaction& tx) { return MarkSynced(tx, claimed[0]); }),
            1);
  EXPECT_THAT(ClaimRefs(), ElementsAre("encounter_finish:scr-1"));
}

// Under a backlog a screening that has started finishes before newer ones start: a released
// job is due as of its creation, ahead of jobs planned after it.
TEST_P(JobStoreTest, AReleasedJobGoesAheadOfJobsPlannedAfterIt) {
  const klinik::TimePoint t0 = Now() - 1h;
  auto add_at = [&](klinik::TimePoint at, const std::string& source,
                    const std::vector<PlannedJob>& jobs) {
    db_->InTransaction([&](klinik::Transaction& tx) {
      store::AddJobs(tx, source, "id.klinik.test.v1", "patient-1", "payload", jobs, at);
    });
  };
  add_at(
      t0, "scr-a",
      {Job(kind::kEncounter, "a"), Job(kind::kObservation, "a-x", {Key(kind::kEncounter, "a")})});
  std::vector<JobRecord> claimed;
  ASSERT_THAT(ClaimRefs(&claimed), ElementsAre("encounter:a"));
  std::vector<PlannedJob> newer;
  for (size_t i = 0; i < store::kClaimBatch; ++i) {
    newer.push_back(Job(kind::kEncounter, "b" + std::to_string(i)));
  }
  add_at(t0 + 1s, "scr-b", newer);
  db_->InTransaction([&](klinik::Transaction& tx) { MarkSynced(tx, claimed[0]); });
  std::vector<std::string> next = ClaimRefs();
  ASSERT_EQ(next.size(), store::kClaimBatch);
  EXPECT_EQ(next.front(), "observation:a-x") << "a full claim of newer jobs went first";
}

TEST_P(JobStoreTest, AJobPlannedAfterItsDependencyWasSyncedIsDueAtOnce) {
  Add("scr-fact", {Job(kind::kEncounter, "scr-1")});
  std::vector<JobRecord> claimed;
  ASSERT_THAT(ClaimRefs(&claimed), ElementsAre("encounter:scr-1"));
  db_->InTransaction([&](klinik::Transaction& tx) { MarkSynced(tx, claimed[0]); });

  Add("ref-fact", {Job(kind::kServiceRequest, "ref-1", {Key(kind::kEncounter, "scr-1")}),
                   Job(kind::kServiceRequest, "ref-2", {Key(kind::kEncounter, "scr-2")})});
  EXPECT_THAT(ClaimRefs(), ElementsAre("service_request:ref-1"))
      << "ref-2 waits for an Encounter not planned yet";
}

TEST_P(JobStoreTest, UnsentClaimsGoBackAsTheyWere) {
  Add("src-1", {Job(kind::kPatient, "p0"), Job(kind::kPatient, "p1")});
  std::vector<JobRecord> claimed;
  ASSERT_EQ(ClaimRefs(&claimed).size(), 2u);
  EXPECT_EQ(claimed[0].claimed_from, status::kPending);
  store::ReleaseClaims(*db_, claimed, Now());
  EXPECT_EQ(StatusOf(kind::kPatient, "p0"), status::kPending);
  ASSERT_THAT(ClaimRefs(&claimed), ElementsAre("patient:p0", "patient:p1"));
  for (const JobRecord& j : claimed) EXPECT_FALSE(j.ambiguous) << "never sent: not ambiguous";
}

TEST_P(JobStoreTest, TheSweepReleasesAJobWhoseReleaseWasMissed) {
  const JobKey encounter = Key(kind::kEncounter, "scr-1");
  Add("src-1", {Job(kind::kEncounter, "scr-1"), Job(kind::kObservation, "scr-1-x", {encounter})});
  // The dependency synced without ReleaseDependents (the race the sweep is for).
  db_->InTransaction([&](klinik::Transaction& tx) {
    tx.Execute("UPDATE sync_jobs SET status = 'synced', next_attempt_at = NULL WHERE kind = $1",
               {std::string(kind::kEncounter)});
  });
  EXPECT_THAT(ClaimRefs(), IsEmpty());
  EXPECT_EQ(
      db_->InTransaction([&](klinik::Transaction& tx) { return store::ReleaseReady(tx, Now()); }),
      1);
  EXPECT_THAT(ClaimRefs(), ElementsAre("observation:scr-1-x"));
}

TEST_P(JobStoreTest, ARequeuedJobWhoseDependencyIsNotSyncedWaitsForIt) {
  const JobKey encounter = Key(kind::kEncounter, "scr-1");
  Add("src-1", {Job(kind::kEncounter, "scr-1"), Job(kind::kObservation, "scr-1-x", {encounter})});
  db_->InTransaction([&](klinik::Transaction& tx) {
    tx.Execute("UPDATE sync_jobs SET status = 'failed', next_attempt_at = NULL");
  });
  std::string obs_id = db_->Read([&](klinik::Transaction& tx) {
    return store::Find(tx, kind::kObservation, "scr-1-x")->job_id;
  });
  std::string enc_id = db_->Read(
      [&](klinik::Transaction& tx) { return store::Find(tx, kind::kEncounter, "scr-1")->job_id; });
  db_->InTransaction([&](klinik::Transaction& tx) {
    EXPECT_TRUE(store::Requeue(tx, obs_id, Now()));
    EXPECT_TRUE(store::Requeue(tx, enc_id, Now()));
  });
  std::vector<JobRecord> claimed;
  ASSERT_THAT(ClaimRefs(&claimed), ElementsAre("encounter:scr-1"));
  db_->InTransaction([&](klinik::Transaction& tx) { MarkSynced(tx, claimed[0]); });
  EXPECT_THAT(ClaimRefs(), ElementsAre("observation:scr-1-x"));
}

// Concurrent writers: PostgreSQL only (SQLite has one writer at a time).
class JobStoreConcurrencyTest : public JobStoreTest {};

// Two dependencies synced by two workers at the same time: whichever commits second must see
// the first and release the dependent. Without the lock each sees the other still in flight.
TEST_P(JobStoreConcurrencyTest, TwoDependenciesSyncedAtOnceStillReleaseTheirDependent) {
  const JobKey a = Key(kind::kMedication, "rx-1-1");
  const JobKey b = Key(kind::kMedication, "rx-1-2");
  Add("src-1", {Job(kind::kMedication, "rx-1-1"), Job(kind::kMedication, "rx-1-2"),
                Job(kind::kEncounterFinish, "rx-1", {a, b})});
  std::vector<JobRecord> claimed;
  ASSERT_THAT(ClaimRefs(&claimed), ElementsAre("medication:rx-1-1", "medication:rx-1-2"));

  std::promise<void> first_released, may_commit;
  auto first = std::async(std::launch::async, [&] {
    db_->InTransaction([&](klinik::Transaction& tx) {
      MarkSynced(tx, claimed[0]);
      first_released.set_value();
      may_commit.get_future().wait();
    });
  });
  first_released.get_future().wait();
  std::atomic<bool> second_done{false};
  auto second = std::async(std::launch::async, [&] {
    int64_t n =
        db_->InTransaction([&](klinik::Transaction& tx) { return MarkSynced(tx, claimed[1]); });
    second_done = true;
    return n;
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(second_done) << "the second release must wait for the first to commit";
  may_commit.set_value();
  first.get();
  EXPECT_EQ(second.get(), 1);
  EXPECT_THAT(ClaimRefs(), ElementsAre("encounter_finish:rx-1"));
}

// A store written before dependency release: its waiting dependents are converted, so they are
// neither lost nor scanned by every claim.
TEST_P(JobStoreTest, MigrationTwoConvertsWaitingDependents) {
  url_ = klinik::testing::FreshDatabase(GetParam());
  db_ = klinik::Database::Open(url_, 2);
  db_->Migrate("satusehat-sync", {store::Migrations().at(0)});
  db_->InTransaction([&](klinik::Transaction& tx) {
    for (const char* sql :
         {"INSERT INTO sync_jobs (job_id, source_event_id, source_event_type, patient_id, kind, "
          "resource_type, action, local_reference, detail, status, next_attempt_at, created_at, "
          "updated_at) VALUES ('e', 's', 't', 'p', 'encounter', 'Encounter', 'create', 'scr-1', "
          "'', 'pending', 1, 1, 1)",
          "INSERT INTO sync_jobs (job_id, source_event_id, source_event_type, patient_id, kind, "
          "resource_type, action, local_reference, detail, status, next_attempt_at, created_at, "
          "updated_at) VALUES ('o', 's', 't', 'p', 'observation', 'Observation', 'create', "
          "'scr-1-x', '', 'pending', 1, 1, 1)",
          "INSERT INTO sync_job_deps (job_id, dep_kind, dep_local_reference) VALUES ('o', "
          "'encounter', 'scr-1')"}) {
      tx.Execute(sql);
    }
  });
  db_->Migrate("satusehat-sync", store::Migrations());
  std::vector<JobRecord> claimed;
  ASSERT_THAT(ClaimRefs(&claimed), ElementsAre("encounter:scr-1"));
  auto observation = db_->Read(
      [&](klinik::Transaction& tx) { return store::Find(tx, kind::kObservation, "scr-1-x"); });
  ASSERT_TRUE(observation.has_value());
  EXPECT_EQ(observation->status, status::kPending);
  EXPECT_FALSE(observation->next_attempt_at.has_value());
  db_->InTransaction([&](klinik::Transaction& tx) { MarkSynced(tx, claimed[0]); });
  EXPECT_THAT(ClaimRefs(), ElementsAre("observation:scr-1-x"));
}

INSTANTIATE_TEST_SUITE_P(Backends, JobStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Backends, JobStoreConcurrencyTest, ::testing::Values("postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace satusehat_sync
