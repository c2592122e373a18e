// The referral state machine (DOMAIN.md, "Referral"): what a referral may do next, the SLA
// deadlines, and joining a second request into an open referral. Plain values and a clock; no
// Kafka, gRPC or SQL, so every transition can be tested without I/O.
//
//   ReferralLifecycle lifecycle(SlaPolicy{}, [] { return klinik::Clock::now(); });
//   Decision d = lifecycle.Open(request, klinik::NewUuid());     // Created (+ Sent)
//   Decision a = lifecycle.Apply(d.next, accept_command);          // Accepted, or refused
//
// Lifecycle: REQUESTED → SENT → ACCEPTED | REJECTED → ATTENDED → COMPLETED. REJECTED (and
// REQUESTED, SENT) may be retargeted, which sends the referral again to the new facility.
// CANCELLED, COMPLETED and EXPIRED are terminal. A referral is created and sent in one step when
// its target facility is known; without a target it stays REQUESTED until a retarget names one.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "klinik/time_util.h"

namespace referral {

using klinik::TimePoint;

// Numbered as klinik.v1.ReferralStatus, which is also how the database stores it.
enum class Status {
  kUnspecified = 0,
  kRequested = 1,
  kSent = 2,
  kAccepted = 3,
  kRejected = 4,
  kAttended = 5,
  kCompleted = 6,
  kCancelled = 7,
  kExpired = 8,
};

// Numbered as klinik.v1.Urgency.
enum class Urgency { kUnspecified = 0, kRoutine = 1, kUrgent = 2 };

// Numbered as klinik.v1.ExpiryCause.
enum class ExpiryCause { kUnspecified = 0, kNoResponse = 1, kValidityEnded = 2 };

// What can happen to an existing referral.
enum class Action {
  kSend,      // deliver to the target (automatic once a target is known)
  kAccept,    // the target agrees
  kReject,    // the target refuses
  kRetarget,  // the origin points it at another facility; sends it again
  kAttend,    // the patient arrived
  kComplete,  // care done, back-referral notes returned
  kCancel,    // withdrawn before attendance
  kExpire,    // validity passed (timer)
};

inline constexpr Action kAllActions[] = {Action::kSend,     Action::kAccept, Action::kReject,
                                         Action::kRetarget, Action::kAttend, Action::kComplete,
                                         Action::kCancel,   Action::kExpire};
inline constexpr Status kAllStatuses[] = {Status::kRequested, Status::kSent,     Status::kAccepted,
                                          Status::kRejected,  Status::kAttended, Status::kCompleted,
                                          Status::kCancelled, Status::kExpired};

// The status `action` leads to from `from`; nullopt when the lifecycle forbids it.
[[nodiscard]] std::optional<Status> NextStatus(Status from, Action action);
// Open = not terminal: it holds its reason codes, can be joined and can still expire.
[[nodiscard]] bool IsOpen(Status status);
// The target has not answered yet, so the acceptance SLA is running.
[[nodiscard]] bool AwaitsAnswer(Status status);
[[nodiscard]] const char* StatusName(Status status);  // "sent", for logs and metric labels
[[nodiscard]] const char* ActionName(Action action);  // "accept"

// One fact-worthy step; every step becomes one fact on klinik.referrals.v1 and one history row.
enum class StepKind {
  kCreated,
  kJoined,
  kSent,
  kAccepted,
  kRejected,
  kRetargeted,
  kAttended,
  kCompleted,
  kCancelled,
  kExpired,
  kOverdue,
};
[[nodiscard]] const char* StepName(StepKind kind);  // "accepted": the transition metric label

struct Step {
  StepKind kind = StepKind::kCreated;
  Status from = Status::kUnspecified;
  Status to = Status::kUnspecified;
  std::string request_id;  // empty for automatic steps
  std::string acted_by;    // staff NIK; empty for automatic steps
  std::string reason;      // UPPER_SNAKE code for rejections, cancellations, expiries
  std::string note;
  TimePoint at;                 // when it happened (the app's acted_at, else the clock)
  std::string previous_target;  // retarget only
  ExpiryCause cause = ExpiryCause::kUnspecified;  // expiry only
  std::vector<std::string> joined_reasons;        // join only: the joining request's codes
  std::string joined_source_screening_id;         // join only
};

// The whole state of one referral.
struct Referral {
  std::string referral_id;
  std::string patient_id;
  std::string origin_clinic_id;
  std::string target_facility_id;  // empty while REQUESTED without a target
  int target_facility_kind = 0;    // klinik.v1.FacilityKind, carried as is
  int direction = 0;               // klinik.v1.ReferralDirection, carried as is
  Urgency urgency = Urgency::kRoutine;
  Status status = Status::kUnspecified;
  std::vector<std::string> reason_codes;
  std::vector<std::string> icd10;
  std::string note;
  std::string requested_by;
  std::string request_id;
  std::string source_screening_id;
  TimePoint requested_at;
  TimePoint created_at;
  TimePoint updated_at;
  TimePoint valid_until;
  TimePoint acceptance_deadline;  // of the current target (reset by a retarget)
  std::optional<TimePoint> sent_at;
  std::optional<TimePoint> accepted_at;
  bool overdue_notified = false;  // the escalation for the current deadline was published
  std::string back_referral_notes;
  std::string follow_up_instructions;
};

// A request for a new referral (manual RequestReferral, or a ScreeningCompleted).
struct NewReferral {
  std::string request_id;  // empty when automatic
  std::string patient_id;
  std::string origin_clinic_id;
  std::string target_facility_id;
  int target_facility_kind = 0;
  int direction = 0;
  Urgency urgency = Urgency::kRoutine;
  std::vector<std::string> reason_codes;
  std::vector<std::string> icd10;
  std::string note;
  std::string requested_by;
  TimePoint requested_at;
  std::string source_screening_id;
};

// A command from a clinic or facility about an existing referral.
struct Command {
  Action action = Action::kAccept;
  std::string request_id;
  std::string patient_id;
  std::string acted_by;
  std::optional<TimePoint> acted_at;
  std::string reason;  // reject and cancel
  std::string note;
  std::string target_facility_id;      // retarget
  int target_facility_kind = 0;        // retarget
  int direction = 0;                   // retarget; 0 = unchanged
  std::string back_referral_notes;     // complete
  std::string follow_up_instructions;  // complete
};

// Why a command changed nothing.
enum class Refusal {
  kNone,
  kInvalidTransition,  // the lifecycle forbids this action in the current status
  kPatientMismatch,    // the command names another patient than the referral's
  kTargetUnchanged,    // a retarget to the facility that already has it
};

struct [[nodiscard]] Decision {
  Refusal refusal = Refusal::kNone;
  Referral next;            // the state after the steps (unchanged when refused)
  std::vector<Step> steps;  // empty when refused or when nothing was due
  [[nodiscard]] bool refused() const { return refusal != Refusal::kNone; }
};

// Acceptance deadlines by urgency and the letter's validity (DOMAIN.md defaults).
struct SlaPolicy {
  std::chrono::milliseconds urgent{std::chrono::hours(2)};
  std::chrono::milliseconds routine{std::chrono::hours(72)};
  std::chrono::milliseconds validity{std::chrono::hours(24 * 90)};
  [[nodiscard]] std::chrono::milliseconds AcceptanceWindow(Urgency urgency) const {
    return urgency == Urgency::kUrgent ? urgent : routine;
  }
};

// Where a new request goes: into an existing open referral of the patient, or a new one.
struct JoinPlan {
  size_t referral_index = 0;               // into the `open` list given to PlanJoin
  std::vector<std::string> added_reasons;  // codes no open referral of the patient holds yet
};
// The oldest open referral sharing a reason code with `reasons`; nullopt = open a new one.
[[nodiscard]] std::optional<JoinPlan> PlanJoin(const std::vector<Referral>& open,
                                               const std::vector<std::string>& reasons);

class ReferralLifecycle {
 public:
  using NowFn = std::function<TimePoint()>;
  ReferralLifecycle(SlaPolicy policy, NowFn now) : policy_(policy), now_(std::move(now)) {}

  // A new referral: Created, then Sent when the target is known. Deadlines run from now.
  [[nodiscard]] Decision Open(const NewReferral& request, std::string referral_id) const;
  // `request` joins the open referral `current`, adding `added_reasons`; an URGENT request
  // raises a ROUTINE referral and shortens a running acceptance deadline to the urgent one.
  [[nodiscard]] Decision Join(const Referral& current, const NewReferral& request,
                              const std::vector<std::string>& added_reasons) const;
  // An intake command; refused (with nothing changed) when the lifecycle forbids it.
  [[nodiscard]] Decision Apply(const Referral& current, const Command& command) const;
  // Timers: Expired once valid_until is reached (open referrals), else Overdue once the
  // acceptance deadline has passed (unanswered referrals, once per deadline), else nothing.
  [[nodiscard]] Decision CheckTimers(const Referral& current) const;

  [[nodiscard]] const SlaPolicy& policy() const { return policy_; }
  [[nodiscard]] TimePoint Now() const { return now_(); }

 private:
  Decision Transition(const Referral& current, Action action, Step step) const;

  SlaPolicy policy_;
  NowFn now_;
};

}  // namespace referral
