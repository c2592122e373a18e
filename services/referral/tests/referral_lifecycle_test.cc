// The referral state machine without I/O: every allowed and every forbidden transition, joining,
// and the SLA deadlines at their edges, on a clock the test moves by hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "referral_facts.h"
#include "referral_lifecycle.h"

namespace referral {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

constexpr const char* kPatient = "11111111-2222-4333-8444-555555555555";
constexpr const char* kOtherPatient = "99999999-2222-4333-8444-555555555555";

// Every allowed (status, action) pair and where it leads; any pair not listed is forbidden.
const std::map<std::pair<Status, Action>, Status>& Allowed() {
  static const std::map<std::pair<Status, Action>, Status> kAllowed = {
      {{Status::kRequested, Action::kSend}, Status::kSent},
      {{Status::kRequested, Action::kRetarget}, Status::kSent},
      {{Status::kRequested, Action::kCancel}, Status::kCancelled},
      {{Status::kRequested, Action::kExpire}, Status::kExpired},
      {{Status::kSent, Action::kAccept}, Status::kAccepted},
      {{Status::kSent, Action::kReject}, Status::kRejected},
      {{Status::kSent, Action::kRetarget}, Status::kSent},
      {{Status::kSent, Action::kCancel}, Status::kCancelled},
      {{Status::kSent, Action::kExpire}, Status::kExpired},
      {{Status::kAccepted, Action::kAttend}, Status::kAttended},
      {{Status::kAccepted, Action::kCancel}, Status::kCancelled},
      {{Status::kAccepted, Action::kExpire}, Status::kExpired},
      {{Status::kRejected, Action::kRetarget}, Status::kSent},
      {{Status::kRejected, Action::kCancel}, Status::kCancelled},
      {{Status::kRejected, Action::kExpire}, Status::kExpired},
      {{Status::kAttended, Action::kComplete}, Status::kCompleted},
      {{Status::kAttended, Action::kExpire}, Status::kExpired},
  };
  return kAllowed;
}

TEST(ReferralTransitions, EveryStatusActionPairIsAllowedExactlyAsTheLifecycleSays) {
  int allowed = 0, forbidden = 0;
  for (Status from : kAllStatuses) {
    for (Action action : kAllActions) {
      auto it = Allowed().find({from, action});
      std::optional<Status> next = NextStatus(from, action);
      if (it == Allowed().end()) {
        EXPECT_FALSE(next.has_value())
            << ActionName(action) << " from " << StatusName(from) << " must be forbidden";
        ++forbidden;
      } else {
        ASSERT_TRUE(next.has_value())
            << ActionName(action) << " from " << StatusName(from) << " must be allowed";
        EXPECT_EQ(*next, it->second) << ActionName(action) << " from " << StatusName(from);
        ++allowed;
      }
    }
  }
  EXPECT_EQ(allowed, 17);
  EXPECT_EQ(forbidden, 8 * 8 - 17);
}

TEST(ReferralTransitions, TerminalStatusesAreClosedAndOnlyUnansweredOnesAwaitAnAnswer) {
  for (Status s : kAllStatuses) {
    bool terminal = s == Status::kCompleted || s == Status::kCancelled || s == Status::kExpired;
    EXPECT_EQ(IsOpen(s), !terminal) << StatusName(s);
    EXPECT_EQ(AwaitsAnswer(s), s == Status::kRequested || s == Status::kSent) << StatusName(s);
  }
}

class LifecycleTest : public ::testing::Test {
 protected:
  LifecycleTest() : lifecycle_(Policy(), [this] { return now_; }) {}

  static SlaPolicy Policy() {
    SlaPolicy p;
    p.urgent = 2h;
    p.routine = 72h;
    p.validity = 90 * 24h;
    return p;
  }

  NewReferral Request(std::vector<std::string> reasons = {"HYPERTENSION_GRADE_2"},
                      Urgency urgency = Urgency::kRoutine) {
    NewReferral n;
    n.request_id = "req-1";
    n.patient_id = kPatient;
    n.origin_clinic_id = "clinic-1";
    n.target_facility_id = "pkm-1";
    n.target_facility_kind = 1;
    n.direction = 1;
    n.urgency = urgency;
    n.reason_codes = std::move(reasons);
    n.icd10 = {"I10"};
    n.requested_by = "3201010101900001";
    n.requested_at = now_;
    return n;
  }

  // A referral brought into `status` through its real transitions.
  Referral InStatus(Status status) {
    Referral r = lifecycle_.Open(Request(), "aaaaaaaa-0000-4000-8000-000000000001").next;
    auto step = [&](Action a, std::string reason = "") {
      Command c;
      c.action = a;
      c.patient_id = kPatient;
      c.request_id = std::string("prep-") + ActionName(a);
      c.acted_by = "3201010101900002";
      c.reason = std::move(reason);
      Decision d = lifecycle_.Apply(r, c);
      EXPECT_FALSE(d.refused()) << ActionName(a) << " from " << StatusName(r.status);
      r = d.next;
    };
    switch (status) {
      case Status::kRequested: {
        NewReferral n = Request();
        n.target_facility_id.clear();
        return lifecycle_.Open(n, "aaaaaaaa-0000-4000-8000-000000000001").next;
      }
      case Status::kSent:
        break;
      case Status::kAccepted:
        step(Action::kAccept);
        break;
      case Status::kRejected:
        step(Action::kReject, "CAPACITY_FULL");
        break;
      case Status::kAttended:
        step(Action::kAccept);
        step(Action::kAttend);
        break;
      case Status::kCompleted:
        step(Action::kAccept);
        step(Action::kAttend);
        step(Action::kComplete);
        break;
      case Status::kCancelled:
        step(Action::kCancel, "PATIENT_DECLINED");
        break;
      case Status::kExpired:
        now_ += 91 * 24h;
        r = lifecycle_.CheckTimers(r).next;
        break;
      case Status::kUnspecified:
        break;
    }
    EXPECT_EQ(r.status, status);
    return r;
  }

  Command CommandFor(Action action) {
    Command c;
    c.action = action;
    c.request_id = "cmd-1";
    c.patient_id = kPatient;
    c.acted_by = "3201010101900003";
    c.reason = "SOME_REASON";
    c.target_facility_id = "rs-9";
    c.target_facility_kind = 2;
    c.back_referral_notes = "controlled on amlodipine";
    c.follow_up_instructions = "monthly BP check";
    return c;
  }

  static std::string Snapshot(const Referral& r) {
    return ToProto(r, {}).SerializeAsString() + (r.overdue_notified ? "1" : "0") +
           std::to_string(r.sent_at ? klinik::ToUnixMillis(*r.sent_at) : -1) +
           std::to_string(r.accepted_at ? klinik::ToUnixMillis(*r.accepted_at) : -1);
  }

  TimePoint now_ = klinik::FromUnixMillis(1795000000000);  // 2026-11-18
  ReferralLifecycle lifecycle_;
};

// Every command an app can send, from every status: allowed ones take exactly the expected
// steps; forbidden ones are refused and leave the referral exactly as it was.
TEST_F(LifecycleTest, EveryCommandFromEveryStatusEitherStepsOrIsRefusedWithoutChange) {
  const Action commands[] = {Action::kAccept, Action::kReject,   Action::kRetarget,
                             Action::kAttend, Action::kComplete, Action::kCancel};
  const std::map<Action, StepKind> kStep = {
      {Action::kAccept, StepKind::kAccepted},     {Action::kReject, StepKind::kRejected},
      {Action::kRetarget, StepKind::kRetargeted}, {Action::kAttend, StepKind::kAttended},
      {Action::kComplete, StepKind::kCompleted},  {Action::kCancel, StepKind::kCancelled}};
  for (Status from : kAllStatuses) {
    for (Action action : commands) {
      SCOPED_TRACE(std::string(ActionName(action)) + " from " + StatusName(from));
      now_ = klinik::FromUnixMillis(1795000000000);
      Referral before = InStatus(from);
      now_ += 1min;
      Decision d = lifecycle_.Apply(before, CommandFor(action));
      auto allowed = Allowed().find({from, action});
      if (allowed == Allowed().end()) {
        EXPECT_EQ(d.refusal, Refusal::kInvalidTransition);
        EXPECT_TRUE(d.steps.empty());
        EXPECT_EQ(Snapshot(d.next), Snapshot(before));
        continue;
      }
      ASSERT_FALSE(d.refused());
      EXPECT_EQ(d.next.status, allowed->second);
      ASSERT_FALSE(d.steps.empty());
      EXPECT_EQ(d.steps.front().kind, kStep.at(action));
      EXPECT_EQ(d.steps.front().from, from);
      EXPECT_EQ(d.steps.front().request_id, "cmd-1");
      EXPECT_EQ(d.steps.front().acted_by, "3201010101900003");
      EXPECT_EQ(d.steps.back().to, allowed->second);
      EXPECT_EQ(d.next.updated_at, now_);
    }
  }
}

TEST_F(LifecycleTest, OpenWithATargetIsCreatedAndSentAtOnceWithDeadlinesFromNow) {
  Decision d = lifecycle_.Open(Request(), "aaaaaaaa-0000-4000-8000-000000000001");
  ASSERT_FALSE(d.refused());
  ASSERT_EQ(d.steps.size(), 2u);
  EXPECT_EQ(d.steps[0].kind, StepKind::kCreated);
  EXPECT_EQ(d.steps[0].from, Status::kUnspecified);
  EXPECT_EQ(d.steps[0].to, Status::kRequested);
  EXPECT_EQ(d.steps[1].kind, StepKind::kSent);
  EXPECT_EQ(d.steps[1].from, Status::kRequested);
  EXPECT_EQ(d.steps[1].to, Status::kSent);
  EXPECT_EQ(d.next.status, Status::kSent);
  EXPECT_EQ(d.next.acceptance_deadline, now_ + 72h);
  EXPECT_EQ(d.next.valid_until, now_ + 90 * 24h);
  EXPECT_EQ(d.next.sent_at, now_);
}

TEST_F(LifecycleTest, OpenWithoutATargetWaitsInRequestedUntilARetargetNamesOne) {
  NewReferral n = Request({"TB_SYMPTOMS"}, Urgency::kUrgent);
  n.target_facility_id.clear();
  Decision d = lifecycle_.Open(n, "aaaaaaaa-0000-4000-8000-000000000001");
  ASSERT_EQ(d.steps.size(), 1u);
  EXPECT_EQ(d.next.status, Status::kRequested);
  EXPECT_EQ(d.next.acceptance_deadline, now_ + 2h);
  EXPECT_FALSE(d.next.sent_at.has_value());

  now_ += 30min;
  Command c = CommandFor(Action::kRetarget);
  Decision r = lifecycle_.Apply(d.next, c);
  ASSERT_FALSE(r.refused());
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].kind, StepKind::kRetargeted);
  EXPECT_EQ(r.steps[0].to, Status::kRequested);  // a retarget itself keeps the status …
  EXPECT_EQ(r.steps[1].kind, StepKind::kSent);   // … and sending moves it on
  EXPECT_EQ(r.next.status, Status::kSent);
  EXPECT_EQ(r.next.target_facility_id, "rs-9");
  EXPECT_EQ(r.next.acceptance_deadline, now_ + 2h);
}

TEST_F(LifecycleTest, RetargetAfterRejectionSendsToTheNewFacilityWithAFreshDeadlineAndEscalation) {
  Referral rejected = InStatus(Status::kRejected);
  rejected.overdue_notified = true;
  now_ += 5h;
  Command c = CommandFor(Action::kRetarget);
  c.direction = 2;
  Decision d = lifecycle_.Apply(rejected, c);
  ASSERT_FALSE(d.refused());
  EXPECT_EQ(d.steps[0].previous_target, "pkm-1");
  EXPECT_EQ(d.next.target_facility_id, "rs-9");
  EXPECT_EQ(d.next.target_facility_kind, 2);
  EXPECT_EQ(d.next.direction, 2);
  EXPECT_EQ(d.next.status, Status::kSent);
  EXPECT_EQ(d.next.acceptance_deadline, now_ + 72h);
  EXPECT_FALSE(d.next.overdue_notified);
}

TEST_F(LifecycleTest, RetargetToTheCurrentTargetIsRefused) {
  Referral sent = InStatus(Status::kSent);
  Command c = CommandFor(Action::kRetarget);
  c.target_facility_id = "pkm-1";
  Decision d = lifecycle_.Apply(sent, c);
  EXPECT_EQ(d.refusal, Refusal::kTargetUnchanged);
  EXPECT_EQ(Snapshot(d.next), Snapshot(sent));
}

TEST_F(LifecycleTest, ACommandForAnotherPatientIsRefusedEvenWhenTheTransitionIsAllowed) {
  Referral sent = InStatus(Status::kSent);
  Command c = CommandFor(Action::kAccept);
  c.patient_id = kOtherPatient;
  Decision d = lifecycle_.Apply(sent, c);
  EXPECT_EQ(d.refusal, Refusal::kPatientMismatch);
  EXPECT_TRUE(d.steps.empty());
  EXPECT_EQ(d.next.status, Status::kSent);
}

TEST_F(LifecycleTest, AcceptRecordsTheAcceptanceInstantAndCompleteTheBackReferralNotes) {
  Referral sent = InStatus(Status::kSent);
  now_ += 90min;
  Decision accepted = lifecycle_.Apply(sent, CommandFor(Action::kAccept));
  ASSERT_TRUE(accepted.next.accepted_at.has_value());
  EXPECT_EQ(*accepted.next.accepted_at - *accepted.next.sent_at, 90min);
  Decision attended = lifecycle_.Apply(accepted.next, CommandFor(Action::kAttend));
  Decision completed = lifecycle_.Apply(attended.next, CommandFor(Action::kComplete));
  EXPECT_EQ(completed.next.status, Status::kCompleted);
  EXPECT_EQ(completed.next.back_referral_notes, "controlled on amlodipine");
  EXPECT_EQ(completed.next.follow_up_instructions, "monthly BP check");
}

TEST_F(LifecycleTest, AppActedAtIsTheStepInstantWhenGivenElseTheClock) {
  Referral sent = InStatus(Status::kSent);
  Command c = CommandFor(Action::kAccept);
  c.acted_at = now_ - 10min;
  EXPECT_EQ(lifecycle_.Apply(sent, c).steps[0].at, now_ - 10min);
  c.acted_at.reset();
  EXPECT_EQ(lifecycle_.Apply(sent, c).steps[0].at, now_);
}

// --- deadlines at their edges ---

TEST_F(LifecycleTest, OverdueFiresOnlyStrictlyAfterTheDeadlineAndOnlyOnce) {
  Referral sent = lifecycle_
                      .Open(Request({"DIABETES_SUSPECTED"}, Urgency::kUrgent),
                            "aaaaaaaa-0000-4000-8000-000000000001")
                      .next;
  now_ = sent.acceptance_deadline - 1ms;
  EXPECT_TRUE(lifecycle_.CheckTimers(sent).steps.empty());
  now_ = sent.acceptance_deadline;
  EXPECT_TRUE(lifecycle_.CheckTimers(sent).steps.empty()) << "an answer at the deadline is on time";
  now_ = sent.acceptance_deadline + 1ms;
  Decision d = lifecycle_.CheckTimers(sent);
  ASSERT_EQ(d.steps.size(), 1u);
  EXPECT_EQ(d.steps[0].kind, StepKind::kOverdue);
  EXPECT_EQ(d.steps[0].from, Status::kSent);
  EXPECT_EQ(d.steps[0].to, Status::kSent);
  EXPECT_EQ(d.next.status, Status::kSent) << "an escalation leaves the referral open";
  EXPECT_TRUE(d.next.overdue_notified);
  now_ += 10h;
  EXPECT_TRUE(lifecycle_.CheckTimers(d.next).steps.empty()) << "escalated once";
}

TEST_F(LifecycleTest, UrgentAndRoutineDeadlinesFollowThePolicy) {
  Referral urgent =
      lifecycle_.Open(Request({"A"}, Urgency::kUrgent), "aaaaaaaa-0000-4000-8000-000000000001")
          .next;
  Referral routine =
      lifecycle_.Open(Request({"B"}, Urgency::kRoutine), "aaaaaaaa-0000-4000-8000-000000000002")
          .next;
  NewReferral unspecified_request = Request({"C"}, Urgency::kUnspecified);
  Referral unspecified =
      lifecycle_.Open(unspecified_request, "aaaaaaaa-0000-4000-8000-000000000003").next;
  EXPECT_EQ(urgent.acceptance_deadline - now_, 2h);
  EXPECT_EQ(routine.acceptance_deadline - now_, 72h);
  EXPECT_EQ(unspecified.urgency, Urgency::kRoutine);
  EXPECT_EQ(unspecified.acceptance_deadline - now_, 72h);
  now_ += 2h + 1ms;
  EXPECT_EQ(lifecycle_.CheckTimers(urgent).steps.size(), 1u);
  EXPECT_TRUE(lifecycle_.CheckTimers(routine).steps.empty());
}

TEST_F(LifecycleTest, AnsweredReferralsNeverGoOverdue) {
  for (Status s : {Status::kAccepted, Status::kRejected, Status::kAttended}) {
    now_ = klinik::FromUnixMillis(1795000000000);
    Referral r = InStatus(s);
    now_ = r.acceptance_deadline + 1h;
    EXPECT_TRUE(lifecycle_.CheckTimers(r).steps.empty()) << StatusName(s);
  }
}

TEST_F(LifecycleTest, ValidityEndsExactlyAtValidUntilWithTheRightCause) {
  Referral sent = InStatus(Status::kSent);
  sent.overdue_notified = true;
  now_ = sent.valid_until - 1ms;
  EXPECT_TRUE(lifecycle_.CheckTimers(sent).steps.empty());
  now_ = sent.valid_until;
  Decision d = lifecycle_.CheckTimers(sent);
  ASSERT_EQ(d.steps.size(), 1u);
  EXPECT_EQ(d.steps[0].kind, StepKind::kExpired);
  EXPECT_EQ(d.steps[0].cause, ExpiryCause::kNoResponse) << "never answered";
  EXPECT_EQ(d.next.status, Status::kExpired);
  EXPECT_TRUE(lifecycle_.CheckTimers(d.next).steps.empty()) << "expired is terminal";

  now_ = klinik::FromUnixMillis(1795000000000);
  Referral accepted = InStatus(Status::kAccepted);
  now_ = accepted.valid_until;
  Decision v = lifecycle_.CheckTimers(accepted);
  ASSERT_EQ(v.steps.size(), 1u);
  EXPECT_EQ(v.steps[0].cause, ExpiryCause::kValidityEnded);
  EXPECT_EQ(v.steps[0].from, Status::kAccepted);
}

TEST_F(LifecycleTest, ExpiryWinsOverAPendingEscalation) {
  Referral sent = InStatus(Status::kSent);
  now_ = sent.valid_until + 1h;  // both due; only the expiry is published
  Decision d = lifecycle_.CheckTimers(sent);
  ASSERT_EQ(d.steps.size(), 1u);
  EXPECT_EQ(d.steps[0].kind, StepKind::kExpired);
}

TEST_F(LifecycleTest, TerminalReferralsTakeNoTimerSteps) {
  for (Status s : {Status::kCompleted, Status::kCancelled}) {
    now_ = klinik::FromUnixMillis(1795000000000);
    Referral r = InStatus(s);
    now_ = r.valid_until + 1h;
    EXPECT_TRUE(lifecycle_.CheckTimers(r).steps.empty()) << StatusName(s);
  }
}

// --- joining ---

TEST_F(LifecycleTest, PlanJoinPicksTheOldestOpenReferralSharingAReason) {
  Referral a = lifecycle_.Open(Request({"OBESE"}), "aaaaaaaa-0000-4000-8000-00000000000a").next;
  now_ += 1h;
  Referral b = lifecycle_
                   .Open(Request({"HYPERTENSION_GRADE_2", "DIABETES_SUSPECTED"}),
                         "aaaaaaaa-0000-4000-8000-00000000000b")
                   .next;
  now_ += 1h;
  Referral c =
      lifecycle_.Open(Request({"DIABETES_SUSPECTED"}), "aaaaaaaa-0000-4000-8000-00000000000c").next;
  std::vector<Referral> open = {c, b, a};

  auto plan = PlanJoin(open, {"DIABETES_SUSPECTED", "TB_SYMPTOMS", "OBESE", "TB_SYMPTOMS"});
  ASSERT_TRUE(plan);
  EXPECT_EQ(open[plan->referral_index].referral_id, a.referral_id) << "oldest overlapping";
  EXPECT_THAT(plan->added_reasons, ElementsAre("TB_SYMPTOMS")) << "codes held elsewhere stay there";

  EXPECT_FALSE(PlanJoin(open, {"MENTAL_HEALTH_POSITIVE"})) << "no overlap: open a new referral";
  open[2].status = Status::kCompleted;
  auto closed = PlanJoin(open, {"OBESE"});
  EXPECT_FALSE(closed) << "a closed referral holds nothing";
}

TEST_F(LifecycleTest, JoinMergesReasonsAndIcd10AndKeepsTheStatus) {
  Referral sent = InStatus(Status::kAccepted);
  now_ += 1h;
  NewReferral second = Request({"HYPERTENSION_GRADE_2", "OBESE"});
  second.request_id = "req-2";
  second.icd10 = {"I10", "E66.9"};
  second.source_screening_id = "bbbbbbbb-0000-4000-8000-000000000001";
  Decision d = lifecycle_.Join(sent, second, {"OBESE"});
  ASSERT_FALSE(d.refused());
  EXPECT_THAT(d.next.reason_codes, ElementsAre("HYPERTENSION_GRADE_2", "OBESE"));
  EXPECT_THAT(d.next.icd10, ElementsAre("I10", "E66.9"));
  EXPECT_EQ(d.next.status, Status::kAccepted);
  ASSERT_EQ(d.steps.size(), 1u);
  EXPECT_EQ(d.steps[0].kind, StepKind::kJoined);
  EXPECT_EQ(d.steps[0].from, Status::kAccepted);
  EXPECT_EQ(d.steps[0].to, Status::kAccepted);
  EXPECT_EQ(d.steps[0].request_id, "req-2");
  EXPECT_EQ(d.steps[0].joined_source_screening_id, "bbbbbbbb-0000-4000-8000-000000000001");
}

TEST_F(LifecycleTest, AnUrgentJoinRaisesARoutineReferralAndShortensItsRunningDeadline) {
  Referral routine = InStatus(Status::kSent);
  now_ += 1h;
  Decision d = lifecycle_.Join(routine, Request({"HYPERTENSION_GRADE_2"}, Urgency::kUrgent), {});
  EXPECT_EQ(d.next.urgency, Urgency::kUrgent);
  EXPECT_EQ(d.next.acceptance_deadline, now_ + 2h);

  // A routine join never lengthens or lowers anything.
  Decision again =
      lifecycle_.Join(d.next, Request({"HYPERTENSION_GRADE_2"}, Urgency::kRoutine), {});
  EXPECT_EQ(again.next.urgency, Urgency::kUrgent);
  EXPECT_EQ(again.next.acceptance_deadline, d.next.acceptance_deadline);
}

TEST_F(LifecycleTest, JoiningAClosedReferralIsRefused) {
  for (Status s : {Status::kCompleted, Status::kCancelled, Status::kExpired}) {
    now_ = klinik::FromUnixMillis(1795000000000);
    Referral r = InStatus(s);
    Decision d = lifecycle_.Join(r, Request(), {});
    EXPECT_EQ(d.refusal, Refusal::kInvalidTransition) << StatusName(s);
    EXPECT_TRUE(d.steps.empty());
  }
}

}  // namespace
}  // namespace referral
