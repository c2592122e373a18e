// A minimal service on the platform, for the platform's own tests: it counts each request_id
// it consumes (state) and publishes one fact per event (outbox). Crash, redelivery and
// dead-letter tests drive it as a separate process, exactly like a real service.
//
//   KLINIK_TALLY_INPUT   topic to consume (RegistrationIntake values)
//   KLINIK_TALLY_OUTPUT  topic for the facts (PatientEvent values)
//   KLINIK_TALLY_BLOCK_FILE  while this file exists every event is a transient failure (Retry),
//                            standing in for a dependency that is down
#include <filesystem>
#include "klinik/service.h"

#include "klinik/v1/registration.pb.h"

namespace {

class TallyHandler final : public klinik::EventHandler {
 public:
  TallyHandler(std::string output, std::string block_file)
      : output_(std::move(output)), block_file_(std::move(block_file)) {}

  klinik::HandleResult Handle(const klinik::InboundEvent& event,
                              klinik::OutboxWriter& out) override {
    klinik::v1::RegistrationIntake intake;
    if (!intake.ParseFromString(event.message.value) || !intake.has_register_patient()) {
      return klinik::HandleResult::DeadLetter("value is not a RegistrationIntake.register_patient");
    }
    if (!block_file_.empty() && std::filesystem::exists(block_file_)) {
      return klinik::HandleResult::Retry("dependency down (block file present)");
    }
    const std::string& id = intake.register_patient().request_id();
    auto& tx = out.tx();
    if (id == "permanent-storage-error") {
      // Stands in for data the database always refuses.
      tx.Execute("INSERT INTO no_such_table (x) VALUES ($1)", {id});
    }
    tx.Execute(
        "INSERT INTO tally (request_id, n) VALUES ($1, 1) "
        "ON CONFLICT (request_id) DO UPDATE SET n = tally.n + 1",
        {id});
    klinik::v1::PatientEvent fact;
    fact.mutable_registration_matched()->set_request_id(id);
    out.Publish(output_, event.message.key, "id.klinik.patient.registration_matched.v1", id, fact);
    return klinik::HandleResult::Applied();
  }

 private:
  std::string output_;
  std::string block_file_;
};

}  // namespace

int main(int argc, char** argv) {
  return klinik::RunService(argc, argv, "tally", [](klinik::ServiceRuntime& rt) {
    std::string input = rt.config().RequiredString("KLINIK_TALLY_INPUT");
    std::string output = rt.config().RequiredString("KLINIK_TALLY_OUTPUT");
    std::string block_file = rt.config().String("KLINIK_TALLY_BLOCK_FILE", "");
    rt.Migrate("tally", {{1, "tally",
                          "CREATE TABLE tally (request_id TEXT PRIMARY KEY, n INTEGER NOT NULL)"},
                         {2, "swept", "CREATE TABLE swept (request_id TEXT PRIMARY KEY)"}});

    auto& handler = rt.Add<TallyHandler>(output, block_file);

    rt.AddConsumer({input}, handler);
    // A periodic task with an hour's interval that wakes on every commit: it copies the tally's
    // new request ids into `swept` within moments, or an hour later if the wake-up is missing.
    rt.AddPeriodic(
        "sweep", std::chrono::hours(1),
        [&db = rt.db()] {
          return db.InTransaction([](klinik::Transaction& tx) {
            return tx.Execute(
                       "INSERT INTO swept (request_id) SELECT request_id FROM tally WHERE "
                       "request_id NOT IN (SELECT request_id FROM swept)") > 0;
          });
        },
        /*wake_on_commit=*/true);
  });
}
