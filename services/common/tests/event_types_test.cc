// The event-type registry (proto options read through descriptors) and TypedHandler's
// decode / check / dispatch, against a SQLite outbox.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "klinik/event_types.h"
#include "klinik/outbox.h"
#include "klinik/typed_handler.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"

namespace klinik {
namespace {

using ::testing::HasSubstr;
using v1::ScreeningEvent;
using v1::ScreeningIntake;

TEST(EventTypes, EveryCaseOfEveryWrapperHasOneDistinctWellFormedType) {
  const std::regex shape(R"(id\.klinik\.[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z0-9]+)*\.v[1-9][0-9]*)");
  std::set<std::string_view> seen;
  int cases = 0;
  for (const EventKind& k : AllEventKinds()) {
    ++cases;
    EXPECT_TRUE(std::regex_match(std::string(k.ce_type), shape)) << k.field->full_name();
    EXPECT_TRUE(seen.insert(k.ce_type).second) << "duplicate " << k.ce_type;
    EXPECT_EQ(k.field->containing_oneof(), KindOf(*k.wrapper)) << k.field->full_name();
    EXPECT_EQ(FindEventKind(k.ce_type), &k);
  }
  // Every message named *Intake or *Event with a oneof kind is a wrapper the registry lists.
  EXPECT_GE(cases, 45);
  for (const EventKind& k : AllEventKinds()) {
    const auto* kind = KindOf(*k.wrapper);
    for (int i = 0; i < kind->field_count(); ++i) {
      EXPECT_FALSE(CeTypeOfCase(*kind->field(i)).empty()) << kind->field(i)->full_name();
    }
  }
}

TEST(EventTypes, TypeOfACaseAndCaseOfAType) {
  EXPECT_EQ(CeType<ScreeningEvent>(ScreeningEvent::kScreeningCompleted),
            "id.klinik.screening.completed.v1");
  ScreeningEvent e;
  EXPECT_EQ(CeTypeOf(e), "");
  e.mutable_screening_rejected();
  EXPECT_EQ(CeTypeOf(e), CeType<ScreeningEvent>(ScreeningEvent::kScreeningRejected));
  const auto* field = FindCase(*ScreeningEvent::descriptor(), CeTypeOf(e));
  ASSERT_NE(field, nullptr);
  EXPECT_EQ(field->name(), "screening_rejected");
  EXPECT_EQ(FindCase(*ScreeningEvent::descriptor(), "id.klinik.nothing.v1"), nullptr);
  EXPECT_EQ(FindCase(*ScreeningIntake::descriptor(), CeTypeOf(e)), nullptr);  // other wrapper
  EXPECT_THROW((void)CeType<ScreeningEvent>(99), std::logic_error);
  EXPECT_EQ(FindEventKind("id.klinik.nothing.v1"), nullptr);
}

constexpr std::string_view kTopic = "test.intake";

// Submissions counted, the rest left to TypedHandler.
class CountingHandler final : public TypedHandler {
 public:
  explicit CountingHandler(UnknownKind unknown) {
    Consume<ScreeningIntake>(std::string(kTopic), unknown);
    On<ScreeningIntake, v1::SubmitScreening>(
        ScreeningIntake::kSubmitScreening,
        [this](const v1::SubmitScreening& s, const InboundEvent&, OutboxWriter&) {
          last_request_ = s.request_id();
          ++calls_;
          return HandleResult::Applied();
        });
  }
  int calls_ = 0;
  std::string last_request_;
};

class TypedHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("typed_handler_" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path_);
    db_ = Database::Open("sqlite://" + path_.string(), 1);
    db_->Migrate("klinik_platform", PlatformMigrations());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove(path_);
  }
  HandleResult Run(TypedHandler& h, std::string value, std::string ce_type,
                   std::string topic = std::string(kTopic)) {
    ConsumedMessage m;
    m.topic = std::move(topic);
    m.value = std::move(value);
    CloudEvent ce;
    ce.type = std::move(ce_type);
    return db_->InTransaction([&](Transaction& tx) {
      OutboxWriter out(tx, "/test");
      return h.Handle(InboundEvent{m, ce}, out);
    });
  }
  static std::string Submission(std::string request_id) {
    ScreeningIntake in;
    in.mutable_submit_screening()->set_request_id(std::move(request_id));
    return in.SerializeAsString();
  }
  std::filesystem::path path_;
  std::unique_ptr<Database> db_;
};

const std::string kSubmit{CeType<ScreeningIntake>(ScreeningIntake::kSubmitScreening)};

TEST_F(TypedHandlerTest, DispatchesTheCaseOnceDecoded) {
  CountingHandler h(TypedHandler::UnknownKind::kDeadLetter);
  HandleResult r = Run(h, Submission("req-1"), kSubmit);
  EXPECT_EQ(r.kind(), HandleResult::Kind::kApplied);
  EXPECT_EQ(h.calls_, 1);
  EXPECT_EQ(h.last_request_, "req-1");
}

TEST_F(TypedHandlerTest, DeadLettersAHeaderThatNamesAnotherKind) {
  CountingHandler h(TypedHandler::UnknownKind::kDeadLetter);
  std::string other{CeType<ScreeningEvent>(ScreeningEvent::kScreeningCompleted)};
  HandleResult r = Run(h, Submission("req-1"), other);
  EXPECT_EQ(r.kind(), HandleResult::Kind::kDeadLetter);
  EXPECT_THAT(r.detail(), HasSubstr("does not match submit_screening"));
  EXPECT_EQ(h.calls_, 0);
}

TEST_F(TypedHandlerTest, DeadLettersBytesThatAreNotTheWrapper) {
  CountingHandler h(TypedHandler::UnknownKind::kIgnore);
  HandleResult r = Run(h, std::string("\xff\xff\xff\xff", 4), kSubmit);
  EXPECT_EQ(r.kind(), HandleResult::Kind::kDeadLetter);
  EXPECT_THAT(r.detail(), HasSubstr("not a klinik.v1.ScreeningIntake"));
}

TEST_F(TypedHandlerTest, AnEmptyPayloadFollowsTheTopicsPolicy) {
  CountingHandler intake(TypedHandler::UnknownKind::kDeadLetter);
  EXPECT_EQ(Run(intake, "", "id.klinik.intake.newer_kind.v1").kind(),
            HandleResult::Kind::kDeadLetter);
  CountingHandler facts(TypedHandler::UnknownKind::kIgnore);
  EXPECT_EQ(Run(facts, "", "id.klinik.intake.newer_kind.v1").kind(), HandleResult::Kind::kIgnored);
}

TEST_F(TypedHandlerTest, ACaseWithoutAFunctionIsIgnoredAndAnUnknownTopicDeadLettered) {
  class OnlyConsumes final : public TypedHandler {
   public:
    OnlyConsumes() { Consume<ScreeningEvent>("facts", UnknownKind::kIgnore); }
  } h;
  ScreeningEvent e;
  e.mutable_screening_rejected()->set_request_id("r");
  std::string type{CeTypeOf(e)};
  EXPECT_EQ(Run(h, e.SerializeAsString(), type, "facts").kind(), HandleResult::Kind::kIgnored);
  EXPECT_EQ(Run(h, e.SerializeAsString(), type, "elsewhere").kind(),
            HandleResult::Kind::kDeadLetter);
}

TEST_F(TypedHandlerTest, ASubscribedRouteTakesEveryTopicNoConsumeNames) {
  class Subscribed final : public TypedHandler {
   public:
    Subscribed() {
      ConsumeSubscribed<ScreeningIntake>(UnknownKind::kDeadLetter);
      Consume<ScreeningEvent>("facts", UnknownKind::kIgnore);
      On<ScreeningIntake, v1::SubmitScreening>(
          ScreeningIntake::kSubmitScreening,
          [this](const v1::SubmitScreening&, const InboundEvent&, OutboxWriter&) {
            ++calls_;
            return HandleResult::Applied();
          });
    }
    int calls_ = 0;
  } h;
  EXPECT_EQ(Run(h, Submission("req-1"), kSubmit, "configured.intake").kind(),
            HandleResult::Kind::kApplied);
  EXPECT_EQ(h.calls_, 1);
  ConsumedMessage m;
  m.topic = "configured.intake";
  m.value = Submission("req-2");
  CloudEvent ce;
  ce.type = kSubmit;
  EXPECT_NE(h.Decode(InboundEvent{m, ce}), nullptr);
  // The named topic keeps its own wrapper and policy.
  EXPECT_EQ(Run(h, "", "id.klinik.screening.newer_kind.v1", "facts").kind(),
            HandleResult::Kind::kIgnored);
  EXPECT_EQ(Run(h, "", "id.klinik.intake.newer_kind.v1", "configured.intake").kind(),
            HandleResult::Kind::kDeadLetter);
}

TEST_F(TypedHandlerTest, RegisteringACaseWithTheWrongMessageIsAProgrammingError) {
  class Wrong final : public TypedHandler {
   public:
    Wrong() {
      On<ScreeningIntake, v1::ScreeningCompleted>(
          ScreeningIntake::kSubmitScreening, [](const v1::ScreeningCompleted&, const InboundEvent&,
                                                OutboxWriter&) { return HandleResult::Applied(); });
    }
  };
  EXPECT_THROW(Wrong(), std::logic_error);
}

TEST_F(TypedHandlerTest, PublishingAWrapperDerivesItsType) {
  ScreeningEvent e;
  e.mutable_screening_completed()->set_screening_id("s-1");
  db_->InTransaction([&](Transaction& tx) {
    OutboxWriter out(tx, "/test");
    out.Publish("facts", "k", "s-1", e);
    EXPECT_THROW(out.Publish("facts", "k", "s-1", ScreeningEvent()), std::logic_error);
  });
  std::vector<OutboxRow> rows = db_->Read([](Transaction& tx) { return ReadOutbox(tx); });
  ASSERT_EQ(rows.size(), 1u);
  std::string type;
  for (const auto& [name, value] : rows[0].message.headers) {
    if (name == "ce_type") type = value;
  }
  EXPECT_EQ(type, CeType<ScreeningEvent>(ScreeningEvent::kScreeningCompleted));
}

}  // namespace
}  // namespace klinik
