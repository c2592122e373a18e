// Scenarios of the whole system: every service as its own process on real Kafka and
// PostgreSQL, with the SatuSehat sandbox, driven only through intake topics and the sandbox.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "klinik/cloudevents.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"
#include "system.h"

namespace klinik::integration {
namespace {

using namespace std::chrono_literals;
namespace v1 = klinik::v1;

constexpr const char* kExaminerNik = "3204154107850002";
constexpr const char* kDoctorNik = "3204150101800003";  // staff ids are NIKs

void Now(google::protobuf::Timestamp* ts) {
  int64_t ms = ToUnixMillis(Clock::now());
  ts->set_seconds(ms / 1000);
}

// A valid NIK unique to this run: district 32.04.15, born 1970-03-12 (male) or 52 (female).
std::string UniqueNik(bool female) {
  static int counter = 0;
  int serial = 1 + (std::stoi(NewUuid().substr(0, 4), nullptr, 16) % 9000) + counter++;
  char buf[32];
  std::snprintf(buf, sizeof buf, "320415%02d0370%04d", female ? 52 : 12,
                serial % 10000 == 0 ? 1 : serial % 10000);
  return buf;
}

std::string Register(System& sys, const std::string& nik, bool female) {
  v1::RegistrationIntake intake;
  auto* r = intake.mutable_register_patient();
  r->set_request_id("it-reg-" + NewUuid());
  r->set_nik(nik);
  r->set_full_name("Warga Uji");
  r->set_birth_date("1970-03-12");
  r->set_sex(female ? v1::SEX_FEMALE : v1::SEX_MALE);
  r->mutable_address()->set_village_code("32.04.15.2003");
  r->set_clinic_id("klinik-it");
  sys.Publish(topics::kIntakeRegistration, nik, "id.klinik.intake.register_patient.v1", intake);
  auto facts = ReadFacts<v1::PatientEvent>(
      std::string(topics::kPatients), 1,
      [&](const v1::PatientEvent& e) {
        return e.patient_registered().request_id() == r->request_id();
      },
      60s);
  if (facts.empty()) return "";
  return facts[0].patient_registered().patient_id();
}

TEST(System, HypertensiveResidentIsReferredTreatedAndSyncedOnce) {
  System sys;
  std::string nik = UniqueNik(false);
  std::string ihs = "P" + std::to_string(10000000000LL + std::stoll(nik.substr(12)));
  sys.SeedPatient(nik, ihs);
  sys.SeedPractitioner(kExaminerNik, "N10000001");
  std::string patient_id = Register(sys, nik, false);
  ASSERT_FALSE(patient_id.empty()) << sys.Output("registration");

  v1::ScreeningIntake screening;
  auto* s = screening.mutable_submit_screening();
  s->set_request_id("it-scr-" + NewUuid());
  s->set_patient_id(patient_id);
  s->set_clinic_id("klinik-it");
  s->set_examiner_id(kExaminerNik);
  Now(s->mutable_measured_at());
  s->mutable_measurements()->set_systolic_mmhg(168);
  s->mutable_measurements()->set_diastolic_mmhg(102);
  s->mutable_measurements()->set_heart_rate_bpm(80);
  s->mutable_measurements()->set_weight_kg(70);
  s->mutable_measurements()->set_height_cm(165);
  sys.Publish(topics::kIntakeScreening, patient_id, "id.klinik.intake.submit_screening.v1",
              screening);
  auto completed = ReadFacts<v1::ScreeningEvent>(
      std::string(topics::kScreenings), 1,
      [&](const v1::ScreeningEvent& e) {
        return e.screening_completed().request_id() == s->request_id();
      },
      60s);
  ASSERT_EQ(completed.size(), 1u) << sys.Output("screening");
  const auto& sc = completed[0].screening_completed();
  EXPECT_EQ(sc.classification().bp_category(), v1::BP_CATEGORY_HYPERTENSION_GRADE_2);
  EXPECT_TRUE(sc.referral_recommended());

  auto created = ReadFacts<v1::ReferralEvent>(
      std::string(topics::kReferrals), 1,
      [&](const v1::ReferralEvent& e) { return e.referral_created().patient_id() == patient_id; },
      60s);
  ASSERT_EQ(created.size(), 1u) << sys.Output("referral");
  std::string referral_id = created[0].referral_created().referral_id();

  auto respond = [&](auto setter, const std::string& ce_type) {
    v1::ReferralIntake intake;
    setter(intake);
    sys.Publish(topics::kIntakeReferral, patient_id, ce_type, intake);
  };
  respond(
      [&](v1::ReferralIntake& i) {
        auto* a = i.mutable_accept_referral();
        a->set_request_id("it-acc-" + referral_id);
        a->set_referral_id(referral_id);
        a->set_patient_id(patient_id);
        a->set_acted_by(kDoctorNik);
        Now(a->mutable_acted_at());
      },
      "id.klinik.intake.accept_referral.v1");
  respond(
      [&](v1::ReferralIntake& i) {
        auto* a = i.mutable_record_attendance();
        a->set_request_id("it-att-" + referral_id);
        a->set_referral_id(referral_id);
        a->set_patient_id(patient_id);
        a->set_acted_by(kDoctorNik);
        Now(a->mutable_acted_at());
      },
      "id.klinik.intake.record_attendance.v1");
  respond(
      [&](v1::ReferralIntake& i) {
        auto* a = i.mutable_complete_referral();
        a->set_request_id("it-cmp-" + referral_id);
        a->set_referral_id(referral_id);
        a->set_patient_id(patient_id);
        a->set_back_referral_notes("Amlodipine 5 mg started");
        a->set_follow_up_instructions("BP check monthly at the village clinic");
        a->set_acted_by(kDoctorNik);
        Now(a->mutable_acted_at());
      },
      "id.klinik.intake.complete_referral.v1");
  auto done = ReadFacts<v1::ReferralEvent>(
      std::string(topics::kReferrals), 1,
      [&](const v1::ReferralEvent& e) {
        return e.referral_completed().referral_id() == referral_id;
      },
      60s);
  ASSERT_EQ(done.size(), 1u) << sys.Output("referral");

  // SatuSehat: exactly one Encounter for this patient, finished, with its Observations and the
  // hypertension Condition referencing it, and one ServiceRequest for the referral.
  std::string subject = "Patient/" + ihs;
  auto of_patient = [&](const std::string& type) {
    std::vector<nlohmann::json> out;
    auto all = sys.SandboxResources(type);
    if (!all.is_object()) return out;
    for (const auto& r : all["resources"]) {
      if (r.contains("subject") && r["subject"].value("reference", "") == subject) out.push_back(r);
    }
    return out;
  };
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        auto enc = of_patient("Encounter");
        auto sr = of_patient("ServiceRequest");
        return enc.size() == 1 && enc[0].value("status", "") == "finished" &&
               of_patient("Condition").size() >= 1 && of_patient("Observation").size() >= 4 &&
               sr.size() == 1 && sr[0].value("status", "") == "completed";
      },
      90s))
      << sys.Output("satusehat-sync");
  std::string encounter_ref = "Encounter/" + of_patient("Encounter")[0]["id"].get<std::string>();
  for (const auto& o : of_patient("Observation"))
    EXPECT_EQ(o["encounter"]["reference"], encounter_ref);
  for (const auto& c : of_patient("Condition"))
    EXPECT_EQ(c["encounter"]["reference"], encounter_ref);
  bool has_i10 = false;
  for (const auto& c : of_patient("Condition")) {
    for (const auto& coding : c["code"]["coding"])
      has_i10 = has_i10 || coding.value("code", "") == "I10";
  }
  EXPECT_TRUE(has_i10);
  EXPECT_EQ(of_patient("Encounter").size(), 1u) << "no duplicate Encounter";
  EXPECT_EQ(of_patient("ServiceRequest").size(), 1u) << "no duplicate ServiceRequest";
}

TEST(System, StockIsDispensedFefoAlertsFireOnceAndDispensesReachSatuSehat) {
  System sys;
  std::string clinic = "klinik-it-" + NewUuid().substr(0, 8);
  sys.SeedPractitioner(kExaminerNik, "N10000001");
  std::vector<std::string> patients, ihs;
  for (int i = 0; i < 3; ++i) {
    std::string nik = UniqueNik(i % 2 == 0);
    ihs.push_back("P" + std::to_string(20000000000LL + std::stoll(nik.substr(12)) * 10 + i));
    sys.SeedPatient(nik, ihs.back());
    patients.push_back(Register(sys, nik, i % 2 == 0));
    ASSERT_FALSE(patients.back().empty()) << sys.Output("registration");
  }
  auto pharmacy = [&](v1::PharmacyIntake intake, const std::string& ce_type) {
    sys.Publish(topics::kIntakePharmacy, clinic, ce_type, intake);
  };
  CivilDate today = ToCivilDate(Clock::now());
  v1::PharmacyIntake level;
  level.mutable_set_reorder_level()->set_request_id("it-lvl-" + clinic);
  level.mutable_set_reorder_level()->set_clinic_id(clinic);
  level.mutable_set_reorder_level()->set_item_code("93001001");
  level.mutable_set_reorder_level()->set_reorder_level(15);
  Now(level.mutable_set_reorder_level()->mutable_set_at());
  pharmacy(level, "id.klinik.intake.set_reorder_level.v1");
  // Two lots; the later-expiring one arrives first, so FEFO and arrival order disagree.
  for (auto [lot, days] : {std::pair{"LATE-B", 200}, std::pair{"EARLY-A", 100}}) {
    v1::PharmacyIntake receive;
    auto* r = receive.mutable_receive_stock();
    r->set_request_id("it-rcv-" + clinic + lot);
    r->set_clinic_id(clinic);
    r->set_item_code("93001001");
    r->set_item_name("Amlodipine 5 mg tablet");
    r->set_lot_number(lot);
    r->set_expiry_date(FormatCivilDate(AddDays(today, days)));
    r->set_quantity(20);
    r->set_unit("TAB");
    r->set_supplier("PT Kimia Farma");
    r->set_delivery_note_ref("SJ-1");
    Now(r->mutable_received_at());
    pharmacy(receive, "id.klinik.intake.receive_stock.v1");
  }
  // 12 + 12 + 12 + 4 units to three patients, then one more than is left.
  std::vector<std::string> requests;
  std::vector<std::pair<int, long>> plan = {{0, 12}, {1, 12}, {2, 12}, {0, 4}, {1, 1}};
  for (size_t i = 0; i < plan.size(); ++i) {
    v1::PharmacyIntake dispense;
    auto* d = dispense.mutable_dispense_medication();
    d->set_request_id("it-rx-" + clinic + "-" + std::to_string(i));
    d->set_clinic_id(clinic);
    d->set_patient_id(patients[static_cast<size_t>(plan[i].first)]);
    d->set_prescription_id("RX-" + clinic + "-" + std::to_string(i));
    d->set_dispensed_by(kExaminerNik);
    Now(d->mutable_dispensed_at());
    auto* line = d->add_lines();
    line->set_line_no(1);
    line->set_item_code("93001001");
    line->set_quantity(plan[i].second);
    line->set_dosage_text("1 x 1");
    requests.push_back(d->request_id());
    pharmacy(dispense, "id.klinik.intake.dispense_medication.v1");
  }
  auto facts = ReadFacts<v1::PharmacyEvent>(
      std::string(topics::kPharmacy), 7,
      [&](const v1::PharmacyEvent& e) {
        return e.medication_dispensed().clinic_id() == clinic ||
               e.dispense_rejected().clinic_id() == clinic || e.stock_low().clinic_id() == clinic ||
               e.stock_out().clinic_id() == clinic;
      },
      90s);
  std::vector<v1::MedicationDispensed> dispensed;
  int low = 0, out = 0, rejected = 0;
  for (const auto& f : facts) {
    if (f.has_medication_dispensed()) dispensed.push_back(f.medication_dispensed());
    low += f.has_stock_low();
    out += f.has_stock_out();
    if (f.has_dispense_rejected()) {
      ++rejected;
      EXPECT_EQ(f.dispense_rejected().request_id(), requests.back());
      EXPECT_EQ(f.dispense_rejected().reasons(0).code(), "INSUFFICIENT_STOCK");
    }
  }
  ASSERT_EQ(dispensed.size(), 4u) << sys.Output("pharmacy");
  EXPECT_EQ(low, 1) << "StockLow once per crossing";
  EXPECT_EQ(out, 1) << "StockOut once";
  EXPECT_EQ(rejected, 1);
  // FEFO: the early lot is used up first, even though it arrived second.
  std::map<std::string, std::vector<std::pair<std::string, long>>> by_request;
  for (const auto& d : dispensed) {
    for (const auto& a : d.lines(0).allocations())
      by_request[d.request_id()].emplace_back(a.lot_number(), a.quantity());
  }
  EXPECT_EQ(by_request[requests[0]], (std::vector<std::pair<std::string, long>>{{"EARLY-A", 12}}));
  EXPECT_EQ(by_request[requests[1]],
            (std::vector<std::pair<std::string, long>>{{"EARLY-A", 8}, {"LATE-B", 4}}));
  EXPECT_EQ(by_request[requests[2]], (std::vector<std::pair<std::string, long>>{{"LATE-B", 12}}));
  EXPECT_EQ(by_request[requests[3]], (std::vector<std::pair<std::string, long>>{{"LATE-B", 4}}));

  // Every dispense reaches SatuSehat once, as a MedicationDispense of the right patient.
  std::set<std::string> subjects(ihs.begin(), ihs.end());
  size_t ours = 0;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        ours = 0;
        auto all = sys.SandboxResources("MedicationDispense");
        if (!all.is_object()) return false;
        for (const auto& r : all["resources"]) {
          std::string ref = r["subject"].value("reference", "");
          if (ref.rfind("Patient/", 0) == 0 && subjects.count(ref.substr(8))) ++ours;
        }
        return ours >= 4;
      },
      90s))
      << sys.Output("satusehat-sync");
  EXPECT_EQ(ours, 4u);
}

TEST(System, EachServiceKilledMidStreamEndsLikeAnUninterruptedRun) {
  System sys;
  sys.SeedPractitioner(kExaminerNik, "N10000001");
  constexpr int kResidents = 12;
  std::vector<std::string> niks, ihs;
  for (int i = 0; i < kResidents; ++i) {
    niks.push_back(UniqueNik(i % 2 == 1));
    ihs.push_back("P" +
                  std::to_string(30000000000LL + std::stoll(niks.back().substr(12)) * 100 + i));
    sys.SeedPatient(niks.back(), ihs.back());
  }
  // Register everyone while registration is killed once in the middle.
  std::vector<std::string> reg_requests;
  for (int i = 0; i < kResidents; ++i) {
    v1::RegistrationIntake intake;
    auto* r = intake.mutable_register_patient();
    r->set_request_id("it-kill-reg-" + niks[static_cast<size_t>(i)]);
    r->set_nik(niks[static_cast<size_t>(i)]);
    r->set_full_name("Warga Uji");
    r->set_birth_date("1970-03-12");
    r->set_sex(i % 2 == 1 ? v1::SEX_FEMALE : v1::SEX_MALE);
    r->mutable_address()->set_village_code("32.04.15.2003");
    r->set_clinic_id("klinik-it");
    reg_requests.push_back(r->request_id());
    sys.Publish(topics::kIntakeRegistration, r->nik(), "id.klinik.intake.register_patient.v1",
                intake);
    if (i == kResidents / 2) {
      sys.Kill("registration");
      sys.Start("registration");
    }
  }
  std::map<std::string, std::string> patient_of;  // request → patient id
  auto regs = ReadFacts<v1::PatientEvent>(
      std::string(topics::kPatients), kResidents,
      [&](const v1::PatientEvent& e) {
        return std::find(reg_requests.begin(), reg_requests.end(),
                         e.patient_registered().request_id()) != reg_requests.end();
      },
      90s);
  for (const auto& e : regs)
    patient_of[e.patient_registered().request_id()] = e.patient_registered().patient_id();
  ASSERT_EQ(patient_of.size(), static_cast<size_t>(kResidents)) << sys.Output("registration");
  EXPECT_EQ(regs.size(), static_cast<size_t>(kResidents)) << "no request registered twice";

  // Screen everyone (all hypertensive) while screening, referral and sync are each killed once.
  std::vector<std::string> scr_requests;
  for (int i = 0; i < kResidents; ++i) {
    v1::ScreeningIntake intake;
    auto* s = intake.mutable_submit_screening();
    s->set_request_id("it-kill-scr-" + niks[static_cast<size_t>(i)]);
    s->set_patient_id(patient_of[reg_requests[static_cast<size_t>(i)]]);
    s->set_clinic_id("klinik-it");
    s->set_examiner_id(kExaminerNik);
    Now(s->mutable_measured_at());
    s->mutable_measurements()->set_systolic_mmhg(150 + i);
    s->mutable_measurements()->set_diastolic_mmhg(95);
    scr_requests.push_back(s->request_id());
    sys.Publish(topics::kIntakeScreening, s->patient_id(), "id.klinik.intake.submit_screening.v1",
                intake);
    if (i == 3) {
      sys.Kill("screening");
      sys.Start("screening");
    }
    if (i == 6) {
      sys.Kill("referral");
      sys.Start("referral");
    }
    if (i == 9) {
      sys.Kill("satusehat-sync");
      sys.Start("satusehat-sync");
    }
  }
  sys.Kill("pharmacy");  // idle, but it must come back cleanly too
  sys.Start("pharmacy");
  auto screenings = ReadFacts<v1::ScreeningEvent>(
      std::string(topics::kScreenings), kResidents,
      [&](const v1::ScreeningEvent& e) {
        return std::find(scr_requests.begin(), scr_requests.end(),
                         e.screening_completed().request_id()) != scr_requests.end();
      },
      90s);
  std::set<std::string> screened;
  for (const auto& e : screenings) screened.insert(e.screening_completed().request_id());
  EXPECT_EQ(screened.size(), static_cast<size_t>(kResidents)) << sys.Output("screening");
  EXPECT_EQ(screenings.size(), static_cast<size_t>(kResidents)) << "no screening published twice";

  std::set<std::string> our_patients;
  for (const auto& [req, pid] : patient_of) our_patients.insert(pid);
  auto referrals = ReadFacts<v1::ReferralEvent>(
      std::string(topics::kReferrals), kResidents,
      [&](const v1::ReferralEvent& e) {
        return our_patients.count(e.referral_created().patient_id()) > 0;
      },
      90s);
  std::set<std::string> referred;
  for (const auto& e : referrals) referred.insert(e.referral_created().patient_id());
  EXPECT_EQ(referred.size(), static_cast<size_t>(kResidents)) << sys.Output("referral");
  EXPECT_EQ(referrals.size(), static_cast<size_t>(kResidents))
      << "one referral per patient and reason";

  // SatuSehat: exactly one Encounter per screening, none doubled by the restarts.
  std::set<std::string> subjects;
  for (const auto& i : ihs) subjects.insert("Patient/" + i);
  std::map<std::string, int> encounters;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        encounters.clear();
        auto all = sys.SandboxResources("Encounter");
        if (!all.is_object()) return false;
        for (const auto& r : all["resources"]) {
          std::string ref = r["subject"].value("reference", "");
          if (subjects.count(ref)) ++encounters[ref];
        }
        return encounters.size() == subjects.size();
      },
      120s))
      << sys.Output("satusehat-sync");
  for (const auto& [subject, n] : encounters) EXPECT_EQ(n, 1) << subject;
}

TEST(System, BadEventsOfEveryIntakeKindAreRejectedOrDeadLetteredWhileTheRestFlows) {
  System sys;
  std::string marker = NewUuid().substr(0, 8);
  // Undecodable bytes on every intake topic: dead letters with their origin.
  for (auto topic : {topics::kIntakeRegistration, topics::kIntakeScreening, topics::kIntakePharmacy,
                     topics::kIntakeReferral}) {
    OutgoingMessage m{
        std::string(topic), "poison-" + marker, std::string("\xff\xff\xff\xff\x0f", 5), {}};
    AppendCloudEventHeaders(NewCloudEvent("id.klinik.intake.unknown.v1", "/integration-test", "x"),
                            m.headers);
    Producer p(testing::KafkaTestSettings());
    ASSERT_TRUE(p.SendSync(m, 30s).ok);
  }
  // Decodable but invalid content: rejection facts with reasons.
  v1::RegistrationIntake bad_reg;
  bad_reg.mutable_register_patient()->set_request_id("it-bad-reg-" + marker);
  bad_reg.mutable_register_patient()->set_nik("1234");
  bad_reg.mutable_register_patient()->set_clinic_id("klinik-it");
  sys.Publish(topics::kIntakeRegistration, "1234", "id.klinik.intake.register_patient.v1", bad_reg);

  v1::PharmacyIntake bad_rx;
  auto* d = bad_rx.mutable_dispense_medication();
  d->set_request_id("it-bad-rx-" + marker);
  d->set_clinic_id("klinik-it-" + marker);
  d->set_patient_id(NewUuid());
  d->set_prescription_id("RX-1");
  d->set_dispensed_by(kExaminerNik);
  auto* line = d->add_lines();
  line->set_line_no(1);
  line->set_item_code("93001001");
  line->set_quantity(10);
  Now(d->mutable_dispensed_at());
  sys.Publish(topics::kIntakePharmacy, d->clinic_id(), "id.klinik.intake.dispense_medication.v1",
              bad_rx);

  v1::ReferralIntake bad_ref;
  auto* c = bad_ref.mutable_complete_referral();
  c->set_request_id("it-bad-ref-" + marker);
  c->set_referral_id(NewUuid());
  c->set_patient_id(NewUuid());
  c->set_acted_by(kDoctorNik);
  Now(c->mutable_acted_at());
  sys.Publish(topics::kIntakeReferral, c->patient_id(), "id.klinik.intake.complete_referral.v1",
              bad_ref);

  v1::ScreeningIntake bad_scr;
  auto* s = bad_scr.mutable_submit_screening();
  s->set_request_id("it-bad-scr-" + marker);
  s->set_patient_id(NewUuid());
  s->set_clinic_id("klinik-it");
  s->set_examiner_id(kExaminerNik);
  Now(s->mutable_measured_at());
  s->mutable_measurements()->set_systolic_mmhg(400);
  s->mutable_measurements()->set_diastolic_mmhg(80);
  sys.Publish(topics::kIntakeScreening, s->patient_id(), "id.klinik.intake.submit_screening.v1",
              bad_scr);

  // And a good registration still goes through after all of them.
  std::string nik = UniqueNik(true);
  EXPECT_FALSE(Register(sys, nik, true).empty()) << sys.Output("registration");

  auto rejected_reg = ReadFacts<v1::PatientEvent>(
      std::string(topics::kPatients), 1,
      [&](const v1::PatientEvent& e) {
        return e.registration_rejected().request_id() == bad_reg.register_patient().request_id();
      },
      60s);
  ASSERT_EQ(rejected_reg.size(), 1u);
  EXPECT_GT(rejected_reg[0].registration_rejected().reasons_size(), 0);

  auto rejected_rx = ReadFacts<v1::PharmacyEvent>(
      std::string(topics::kPharmacy), 1,
      [&](const v1::PharmacyEvent& e) {
        return e.dispense_rejected().request_id() == d->request_id();
      },
      60s);
  ASSERT_EQ(rejected_rx.size(), 1u) << "a dispense with no stock is refused";
  // Nothing of this item was ever received at this clinic.
  EXPECT_THAT(rejected_rx[0].dispense_rejected().reasons(0).code(),
              ::testing::AnyOf("ITEM_UNKNOWN", "INSUFFICIENT_STOCK"));

  auto rejected_ref = ReadFacts<v1::ReferralEvent>(
      std::string(topics::kReferrals), 1,
      [&](const v1::ReferralEvent& e) {
        return e.referral_transition_rejected().request_id() == c->request_id();
      },
      60s);
  ASSERT_EQ(rejected_ref.size(), 1u);

  auto rejected_scr = ReadFacts<v1::ScreeningEvent>(
      std::string(topics::kScreenings), 1,
      [&](const v1::ScreeningEvent& e) {
        return e.screening_rejected().request_id() == s->request_id();
      },
      60s);
  ASSERT_EQ(rejected_scr.size(), 1u) << sys.Output("screening");

  std::set<std::string> dead_from;
  testing::WaitUntil(
      [&] {
        dead_from.clear();
        for (const auto& m : testing::ReadTopic(std::string(topics::kDeadLetter), 100000, 2s)) {
          if (m.key == "poison-" + marker)
            dead_from.insert(*FindHeader(m.headers, "dlq_origin_topic"));
        }
        return dead_from.size() == 4;
      },
      60s);
  EXPECT_EQ(dead_from,
            (std::set<std::string>{
                std::string(topics::kIntakeRegistration), std::string(topics::kIntakeScreening),
                std::string(topics::kIntakePharmacy), std::string(topics::kIntakeReferral)}));
}

}  // namespace
}  // namespace klinik::integration
