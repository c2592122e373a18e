#include "klinikctl.h"

#include <google/protobuf/dynamic_message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "demo.h"
#include "klinik/cloudevents.h"
#include "klinik/grpc.h"
#include "klinik/kafka.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/satusehat.pb.h"
#include "klinik/v1/screening.pb.h"
#include "message_builder.h"

namespace klinikctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::Message;
namespace topics = klinik::topics;

// One intake kind: the topic's wrapper, its oneof case, the ce_type and the key field.
struct IntakeCommand {
  std::string name;
  std::string topic;
  const Descriptor* wrapper;
  std::string field;  // the oneof case in the wrapper
  std::string ce_type;
  std::vector<std::string> key_fields;  // first non-empty is the message key
  std::string help;
};

const std::vector<IntakeCommand>& IntakeCommands() {
  static const std::vector<IntakeCommand> kCommands = {
      {"register",
       std::string(topics::kIntakeRegistration),
       klinik::v1::RegistrationIntake::descriptor(),
       "register_patient",
       "id.klinik.intake.register_patient.v1",
       {"nik", "mother_nik"},
       "register a resident (--nik --full-name --birth-date --sex --address.village-code "
       "--clinic-id …)"},
      {"update-contact",
       std::string(topics::kIntakeRegistration),
       klinik::v1::RegistrationIntake::descriptor(),
       "update_contact",
       "id.klinik.intake.update_contact_details.v1",
       {"patient_id"},
       "change a patient's address or phone (--patient-id --phone …)"},
      {"screen",
       std::string(topics::kIntakeScreening),
       klinik::v1::ScreeningIntake::descriptor(),
       "submit_screening",
       "id.klinik.intake.submit_screening.v1",
       {"patient_id", "nik"},
       "submit a CKG screening (--patient-id --clinic-id --examiner-id "
       "--measurements.systolic-mmhg …)"},
      {"receive-stock",
       std::string(topics::kIntakePharmacy),
       klinik::v1::PharmacyIntake::descriptor(),
       "receive_stock",
       "id.klinik.intake.receive_stock.v1",
       {"clinic_id"},
       "record a delivery (--clinic-id --item-code --lot-number --expiry-date --quantity --unit "
       "…)"},
      {"dispense",
       std::string(topics::kIntakePharmacy),
       klinik::v1::PharmacyIntake::descriptor(),
       "dispense_medication",
       "id.klinik.intake.dispense_medication.v1",
       {"clinic_id"},
       "dispense to a patient (--clinic-id --patient-id --prescription-id --lines "
       "'{\"item_code\":…}' …)"},
      {"adjust-stock",
       std::string(topics::kIntakePharmacy),
       klinik::v1::PharmacyIntake::descriptor(),
       "adjust_stock",
       "id.klinik.intake.adjust_stock.v1",
       {"clinic_id"},
       "adjust a lot (--reason damaged …)"},
      {"recall-lot",
       std::string(topics::kIntakePharmacy),
       klinik::v1::PharmacyIntake::descriptor(),
       "recall_lot",
       "id.klinik.intake.recall_lot.v1",
       {"item_code"},
       "recall a lot everywhere (--item-code --lot-number)"},
      {"set-reorder-level",
       std::string(topics::kIntakePharmacy),
       klinik::v1::PharmacyIntake::descriptor(),
       "set_reorder_level",
       "id.klinik.intake.set_reorder_level.v1",
       {"clinic_id"},
       "set an item's reorder level at a clinic"},
      {"refer",
       std::string(topics::kIntakeReferral),
       klinik::v1::ReferralIntake::descriptor(),
       "request_referral",
       "id.klinik.intake.request_referral.v1",
       {"patient_id"},
       "request a referral (--patient-id --origin-clinic-id --target-facility-id --reason-codes "
       "…)"},
  };
  return kCommands;
}

// respond-referral --action <a>: the ReferralIntake case for each response.
const std::map<std::string, std::pair<std::string, std::string>>& ReferralActions() {
  static const std::map<std::string, std::pair<std::string, std::string>> kActions = {
      {"accept", {"accept_referral", "id.klinik.intake.accept_referral.v1"}},
      {"reject", {"reject_referral", "id.klinik.intake.reject_referral.v1"}},
      {"retarget", {"retarget_referral", "id.klinik.intake.retarget_referral.v1"}},
      {"attend", {"record_attendance", "id.klinik.intake.record_attendance.v1"}},
      {"complete", {"complete_referral", "id.klinik.intake.complete_referral.v1"}},
      {"cancel", {"cancel_referral", "id.klinik.intake.cancel_referral.v1"}},
  };
  return kActions;
}

// Which wrapper decodes each topic (watch).
const Descriptor* WrapperOf(const std::string& topic) {
  static const std::map<std::string, const Descriptor*, std::less<>> kWrappers = {
      {std::string(topics::kIntakeRegistration), klinik::v1::RegistrationIntake::descriptor()},
      {std::string(topics::kPatients), klinik::v1::PatientEvent::descriptor()},
      {std::string(topics::kIntakeScreening), klinik::v1::ScreeningIntake::descriptor()},
      {std::string(topics::kScreenings), klinik::v1::ScreeningEvent::descriptor()},
      {std::string(topics::kIntakePharmacy), klinik::v1::PharmacyIntake::descriptor()},
      {std::string(topics::kPharmacy), klinik::v1::PharmacyEvent::descriptor()},
      {std::string(topics::kIntakeReferral), klinik::v1::ReferralIntake::descriptor()},
      {std::string(topics::kReferrals), klinik::v1::ReferralEvent::descriptor()},
      {std::string(topics::kSatuSehat), klinik::v1::SatuSehatEvent::descriptor()},
  };
  auto it = kWrappers.find(topic);
  return it == kWrappers.end() ? nullptr : it->second;
}

// A lookup: the gRPC method chosen by which flags are given.
struct Lookup {
  std::string name;
  std::string service;       // e.g. registration (address flag --registration-addr)
  std::string default_addr;  // make run's address
  std::function<std::string(const Flags&)> method;  // full method name
  std::string help;
};

bool HasFlag(const Flags& flags, const std::string& name) {
  for (const auto& [k, v] : flags) {
    std::string n = k;
    std::replace(n.begin(), n.end(), '-', '_');
    if (n == name) return true;
  }
  return false;
}

const std::vector<Lookup>& Lookups() {
  static const std::vector<Lookup> kLookups = {
      {"patient", "registration", "127.0.0.1:50051",
       [](const Flags& f) {
         if (HasFlag(f, "nik")) return "/klinik.v1.PatientDirectory/FindPatientByNik";
         if (HasFlag(f, "patient_id")) return "/klinik.v1.PatientDirectory/GetPatient";
         return "/klinik.v1.PatientDirectory/SearchPatients";
       },
       "--patient-id | --nik | --village-code/--clinic-id [--name-prefix]"},
      {"screenings", "screening", "127.0.0.1:50052",
       [](const Flags& f) {
         if (HasFlag(f, "screening_id")) return "/klinik.v1.ScreeningService/GetScreening";
         if (HasFlag(f, "date")) return "/klinik.v1.ScreeningService/CheckEligibility";
         return "/klinik.v1.ScreeningService/ListScreenings";
       },
       "--patient-id [--page-size] | --screening-id | --patient-id --date (eligibility)"},
      {"stock", "pharmacy", "127.0.0.1:50053",
       [](const Flags& f) {
         if (HasFlag(f, "month")) return "/klinik.v1.PharmacyService/GetMonthlyReport";
         if (HasFlag(f, "open_only")) return "/klinik.v1.PharmacyService/ListAlerts";
         if (HasFlag(f, "lot_number")) return "/klinik.v1.PharmacyService/GetStockCard";
         if (HasFlag(f, "item_code")) return "/klinik.v1.PharmacyService/GetStock";
         return "/klinik.v1.PharmacyService/ListStock";
       },
       "--clinic-id [--item-code [--lot-number]] | --month YYYY-MM | --open-only"},
      {"referral", "referral", "127.0.0.1:50054",
       [](const Flags& f) {
         if (HasFlag(f, "referral_id")) return "/klinik.v1.ReferralService/GetReferral";
         return "/klinik.v1.ReferralService/ListReferrals";
       },
       "--referral-id | --patient-id/--origin-clinic-id/--target-facility-id/--status"},
      {"sync-status", "sync", "127.0.0.1:50055",
       [](const Flags& f) {
         if (HasFlag(f, "job_id")) return "/klinik.v1.SyncStatus/RetrySync";
         if (HasFlag(f, "failures")) return "/klinik.v1.SyncStatus/ListSyncFailures";
         return "/klinik.v1.SyncStatus/GetSyncStatus";
       },
       "--source-event-id | --patient-id | --failures | --job-id (retry)"},
  };
  return kLookups;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Kafka bootstrap: --bootstrap, KLINIK_KAFKA_BOOTSTRAP_SERVERS, make run's file, localhost.
std::string Bootstrap(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (std::string env = Env("KLINIK_KAFKA_BOOTSTRAP_SERVERS"); !env.empty()) return env;
  std::ifstream run_file("run/devbroker.bootstrap");
  std::string line;
  if (run_file && std::getline(run_file, line) && !line.empty()) return line;
  return "127.0.0.1:9092";
}

struct Parsed {
  std::string command;
  std::vector<std::string> positional;
  Flags flags;                                 // message fields
  std::map<std::string, std::string> options;  // klinikctl's own options
};

const std::set<std::string>& OwnOptions() {
  static const std::set<std::string> kOwn = {
      "bootstrap",      "json",          "action",        "addr",
      "from-beginning", "count",         "timeout",       "registration-addr",
      "screening-addr", "pharmacy-addr", "referral-addr", "sync-addr",
      "failures",       "residents",     "seed",          "sandbox-url",
      "metrics"};
  return kOwn;
}

bool Parse(const std::vector<std::string>& args, Parsed* p, std::string* error) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      if (p->command.empty())
        p->command = a;
      else
        p->positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (name == "from-beginning" || name == "failures" || name == "open-only") {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      *error = "--" + name + ": missing value";
      return false;
    }
    if (OwnOptions().contains(name))
      p->options[name] = value;
    else
      p->flags.emplace_back(name, value);
  }
  return true;
}

std::string KeyOf(const Message& inner, const std::vector<std::string>& fields) {
  const auto* d = inner.GetDescriptor();
  for (const auto& name : fields) {
    if (const auto* f = d->FindFieldByName(name)) {
      std::string v = inner.GetReflection()->GetString(inner, f);
      if (!v.empty()) return v;
    }
  }
  return "";
}

int Publish(const Parsed& p, const std::string& topic, const Descriptor* wrapper_type,
            const std::string& field, const std::string& ce_type,
            const std::vector<std::string>& key_fields, std::ostream& out, std::ostream& err) {
  std::unique_ptr<Message> wrapper(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(wrapper_type)->New());
  const auto* f = wrapper_type->FindFieldByName(field);
  Message* inner = wrapper->GetReflection()->MutableMessage(wrapper.get(), f);
  std::string error;
  if (auto it = p.options.find("json");
      it != p.options.end() && !MergeJson(it->second, inner, &error)) {
    err << "klinikctl: --json: " << error << "\n";
    return 2;
  }
  if (!BuildMessage(p.flags, inner, &error)) {
    err << "klinikctl: " << error << "\n";
    return 2;
  }
  FillDefaults(inner);
  std::string key = KeyOf(*inner, key_fields);
  if (key.empty()) {
    err << "klinikctl: the message key is missing: give --" << key_fields.front() << "\n";
    return 2;
  }
  klinik::OutgoingMessage m{topic, key, wrapper->SerializeAsString(), {}};
  std::string subject = KeyOf(*inner, {"patient_id", "referral_id", "clinic_id", "request_id"});
  klinik::CloudEvent ce = klinik::NewCloudEvent(ce_type, "/klinikctl", subject);
  klinik::AppendCloudEventHeaders(ce, m.headers);
  klinik::KafkaSettings settings;
  settings.properties["bootstrap.servers"] =
      Bootstrap(p.options.count("bootstrap") ? p.options.at("bootstrap") : "");
  settings.properties["message.timeout.ms"] = "15000";
  try {
    klinik::Producer producer(settings);
    auto r = producer.SendSync(m, std::chrono::seconds(20));
    if (!r.ok) {
      err << "klinikctl: could not publish to " << topic << " at "
          << settings.properties["bootstrap.servers"] << ": " << r.error << "\n";
      return 1;
    }
    nlohmann::json line = {{"topic", topic}, {"partition", r.partition}, {"offset", r.offset},
                           {"ce_id", ce.id}, {"ce_type", ce_type},       {"key", key}};
    line["event"] = nlohmann::json::parse(ToJson(*inner));
    out << line.dump() << "\n";
  } catch (const std::exception& e) {
    err << "klinikctl: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

int Call(const Parsed& p, const Lookup& lookup, std::ostream& out, std::ostream& err) {
  std::string method = lookup.method(p.flags);
  std::string service_name = method.substr(1, method.rfind('/') - 1);
  std::string rpc = method.substr(method.rfind('/') + 1);
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
  const auto* m = service ? service->FindMethodByName(rpc) : nullptr;
  if (m == nullptr) {
    err << "klinikctl: unknown method " << method << "\n";
    return 2;
  }
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  std::unique_ptr<Message> request(factory->GetPrototype(m->input_type())->New());
  std::unique_ptr<Message> response(factory->GetPrototype(m->output_type())->New());
  Flags flags;
  for (const auto& [k, v] : p.flags) flags.emplace_back(k, v);
  std::string error;
  if (!BuildMessage(flags, request.get(), &error)) {
    err << "klinikctl: " << error << "\n";
    return 2;
  }
  std::string addr = p.options.count("addr") ? p.options.at("addr") : "";
  if (addr.empty() && p.options.count(lookup.service + "-addr"))
    addr = p.options.at(lookup.service + "-addr");
  if (addr.empty()) {
    std::string env_name = "KLINIKCTL_" + lookup.service + "_ADDR";
    std::transform(env_name.begin(), env_name.end(), env_name.begin(), ::toupper);
    addr = Env(env_name.c_str());
  }
  if (addr.empty()) addr = lookup.default_addr;
  int timeout_s = p.options.count("timeout") ? std::atoi(p.options.at("timeout").c_str()) : 5;
  auto channel = grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s));
  std::string bytes = request->SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer req_buf(&slice, 1), resp_buf;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req_buf, &resp_buf,
                 [&](grpc::Status s) { done.set_value(s); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    err << "klinikctl: " << lookup.service << " at " << addr << " answered "
        << klinik::StatusCodeName(status.error_code()) << ": " << status.error_message() << "\n";
    return 1;
  }
  std::vector<grpc::Slice> slices;
  (void)resp_buf.Dump(&slices);
  std::string body;
  for (auto& s : slices) body.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (!response->ParseFromString(body)) {
    err << "klinikctl: could not decode the answer of " << method << "\n";
    return 1;
  }
  out << ToJson(*response) << "\n";
  return 0;
}

int Watch(const Parsed& p, std::ostream& out, std::ostream& err) {
  if (p.positional.empty()) {
    err << "klinikctl: watch needs a topic, e.g. klinikctl watch " << topics::kScreenings << "\n";
    return 2;
  }
  std::string topic = p.positional[0];
  bool known = false;
  for (const auto& spec : topics::kAll) known = known || spec.name == topic;
  if (!known) {
    err << "klinikctl: unknown topic '" << topic << "'; topics:";
    for (const auto& spec : topics::kAll) err << " " << spec.name;
    err << "\n";
    return 2;
  }
  long count = p.options.count("count") ? std::atol(p.options.at("count").c_str()) : -1;
  int timeout_s = p.options.count("timeout") ? std::atoi(p.options.at("timeout").c_str()) : -1;
  klinik::KafkaSettings settings;
  settings.properties["bootstrap.servers"] =
      Bootstrap(p.options.count("bootstrap") ? p.options.at("bootstrap") : "");
  settings.properties["auto.offset.reset"] =
      p.options.count("from-beginning") ? "earliest" : "latest";
  settings.properties["session.timeout.ms"] = "6000";
  settings.properties["heartbeat.interval.ms"] = "500";
  klinik::Consumer consumer(settings, "klinikctl-watch-" + klinik::NewUuid().substr(0, 8), {topic});
  const Descriptor* wrapper_type = WrapperOf(topic);
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::seconds(timeout_s < 0 ? 1'000'000'000 : timeout_s);
  long printed = 0;
  while ((count < 0 || printed < count) && std::chrono::steady_clock::now() < deadline) {
    for (const auto& m : consumer.PollBatch(100, std::chrono::milliseconds(200))) {
      nlohmann::json line = {
          {"topic", m.topic}, {"partition", m.partition}, {"offset", m.offset}, {"key", m.key}};
      nlohmann::json headers = nlohmann::json::object();
      for (const auto& [k, v] : m.headers) headers[k] = v;
      line["headers"] = headers;
      if (wrapper_type) {
        std::unique_ptr<Message> msg(google::protobuf::MessageFactory::generated_factory()
                                         ->GetPrototype(wrapper_type)
                                         ->New());
        if (msg->ParseFromString(m.value))
          line["event"] = nlohmann::json::parse(ToJson(*msg));
        else
          line["undecodable_bytes"] = m.value.size();
      } else {
        line["value_bytes"] = m.value.size();  // dead letters: the original bytes stay in Kafka
      }
      out << line.dump() << "\n" << std::flush;
      if (count >= 0 && ++printed >= count) break;
    }
  }
  consumer.Close();
  return 0;
}

void Usage(std::ostream& out) {
  out << "usage: klinikctl <command> [--field=value …] [--bootstrap host:port] [--json '{…}']\n\n"
         "publish an intake event (fields are the proto's; --a.b for nested, repeat for lists):\n";
  for (const auto& c : IntakeCommands())
    out << "  " << c.name << std::string(20 - c.name.size(), ' ') << c.help << "\n";
  out << "  respond-referral    --action accept|reject|retarget|attend|complete|cancel "
         "--referral-id --patient-id …\n"
         "\nlook up over gRPC (--addr host:port, or KLINIKCTL_<SERVICE>_ADDR):\n";
  for (const auto& l : Lookups())
    out << "  " << l.name << std::string(20 - l.name.size(), ' ') << l.help << "\n";
  out << "\nwatch a topic:\n  watch <topic> [--from-beginning] [--count N] [--timeout S]\n"
         "\nreplay the demo day (make run):\n  demo [--residents N] [--seed N] [--sandbox-url URL] "
         "[--metrics name=port,…] [--timeout S]\n";
}

}  // namespace

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Parsed p;
  std::string error;
  if (!Parse(args, &p, &error)) {
    err << "klinikctl: " << error << "\n";
    return 2;
  }
  if (p.command.empty() || p.command == "help" || p.command == "--help") {
    Usage(p.command.empty() ? err : out);
    return p.command.empty() ? 2 : 0;
  }
  for (const auto& c : IntakeCommands()) {
    if (c.name == p.command)
      return Publish(p, c.topic, c.wrapper, c.field, c.ce_type, c.key_fields, out, err);
  }
  if (p.command == "respond-referral") {
    auto action = p.options.count("action") ? p.options.at("action") : "";
    auto it = ReferralActions().find(action);
    if (it == ReferralActions().end()) {
      err << "klinikctl: --action must be one of accept, reject, retarget, attend, complete, "
             "cancel\n";
      return 2;
    }
    return Publish(p, std::string(topics::kIntakeReferral),
                   klinik::v1::ReferralIntake::descriptor(), it->second.first, it->second.second,
                   {"patient_id"}, out, err);
  }
  for (const auto& l : Lookups()) {
    if (l.name == p.command) return Call(p, l, out, err);
  }
  if (p.command == "watch") return Watch(p, out, err);
  if (p.command == "demo") {
    DemoOptions o;
    o.bootstrap = Bootstrap(p.options.count("bootstrap") ? p.options.at("bootstrap") : "");
    if (p.options.count("residents"))
      o.plan.residents = std::atoi(p.options.at("residents").c_str());
    if (p.options.count("seed"))
      o.plan.seed = std::strtoull(p.options.at("seed").c_str(), nullptr, 10);
    if (p.options.count("sandbox-url")) o.sandbox_url = p.options.at("sandbox-url");
    if (p.options.count("timeout")) o.timeout_seconds = std::atoi(p.options.at("timeout").c_str());
    if (o.plan.residents <= 0 || o.plan.residents > 9999) {
      err << "klinikctl: --residents must be between 1 and 9999\n";
      return 2;
    }
    // --metrics registration=9101,screening=9102,…: where progress counts come from.
    std::string list = p.options.count("metrics") ? p.options.at("metrics") : "";
    for (size_t start = 0; start < list.size();) {
      size_t comma = list.find(',', start);
      std::string item =
          list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto eq = item.find('=');
      if (eq == std::string::npos) {
        err << "klinikctl: --metrics takes name=port,name=port\n";
        return 2;
      }
      o.metrics.emplace_back(item.substr(0, eq), std::atoi(item.substr(eq + 1).c_str()));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return RunDemo(o, out, err);
  }
  err << "klinikctl: unknown command '" << p.command << "'\n";
  Usage(err);
  return 2;
}

}  // namespace klinikctl
