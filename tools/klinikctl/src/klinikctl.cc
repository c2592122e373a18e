#include "klinikctl.h"

#include <google/protobuf/dynamic_message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>

#include "demo.h"
#include "klinik/cloudevents.h"
#include "klinik/event_types.h"
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

// The wrapper each topic carries: watch decodes by it, and an intake case is published on the
// topic of its wrapper.
const std::vector<std::pair<std::string_view, const Descriptor*>>& TopicWrappers() {
  static const std::vector<std::pair<std::string_view, const Descriptor*>> kWrappers = {
      {topics::kIntakeRegistration, klinik::v1::RegistrationIntake::descriptor()},
      {topics::kPatients, klinik::v1::PatientEvent::descriptor()},
      {topics::kIntakeScreening, klinik::v1::ScreeningIntake::descriptor()},
      {topics::kScreenings, klinik::v1::ScreeningEvent::descriptor()},
      {topics::kIntakePharmacy, klinik::v1::PharmacyIntake::descriptor()},
      {topics::kPharmacy, klinik::v1::PharmacyEvent::descriptor()},
      {topics::kIntakeReferral, klinik::v1::ReferralIntake::descriptor()},
      {topics::kReferrals, klinik::v1::ReferralEvent::descriptor()},
      {topics::kSatuSehat, klinik::v1::SatuSehatEvent::descriptor()},
  };
  return kWrappers;
}

// Which wrapper decodes each topic (watch); nullptr for the dead-letter topic.
const Descriptor* WrapperOf(std::string_view topic) {
  for (const auto& [name, wrapper] : TopicWrappers()) {
    if (name == topic) return wrapper;
  }
  return nullptr;
}

// The intake topic `wrapper` is published on; nullopt for a fact wrapper (apps never publish
// facts).
std::optional<topics::TopicSpec> IntakeTopicOf(const Descriptor* wrapper) {
  static constexpr std::array kIntakeTopics = {topics::kIntakeRegistration,
                                               topics::kIntakeScreening, topics::kIntakePharmacy,
                                               topics::kIntakeReferral};
  for (const topics::TopicSpec& spec : topics::kAll) {
    if (WrapperOf(spec.name) == wrapper && std::ranges::count(kIntakeTopics, spec.name) > 0)
      return spec;
  }
  return std::nullopt;
}

// What the registry cannot know about an intake case: the command an operator types (or
// respond-referral's --action), the fields whose first non-empty value is the message key, and
// a help line. The wrapper, the case and its ce_type come from the registry.
struct CaseExtras {
  std::string command;
  std::string action;  // respond-referral --action; empty for the other commands
  std::vector<std::string> key_fields;
  std::string help;
};

template <class Wrapper>
const google::protobuf::FieldDescriptor* Case(int case_number) {
  return Wrapper::descriptor()->FindFieldByNumber(case_number);
}

const std::map<const google::protobuf::FieldDescriptor*, CaseExtras>& KnownCases() {
  using namespace klinik::v1;
  using Registration = RegistrationIntake;
  static const std::map<const google::protobuf::FieldDescriptor*, CaseExtras> kCases = {
      {Case<Registration>(Registration::kRegisterPatient),
       {"register",
        "",
        {"nik", "mother_nik"},
        "register a resident (--nik --full-name --birth-date --sex --address.village-code "
        "--clinic-id …)"}},
      {Case<Registration>(Registration::kUpdateContact),
       {"update-contact",
        "",
        {"patient_id"},
        "change a patient's address or phone (--patient-id --phone …)"}},
      {Case<ScreeningIntake>(ScreeningIntake::kSubmitScreening),
       {"screen",
        "",
        {"patient_id", "nik"},
        "submit a CKG screening (--patient-id --clinic-id --examiner-id "
        "--measurements.systolic-mmhg …)"}},
      {Case<PharmacyIntake>(PharmacyIntake::kReceiveStock),
       {"receive-stock",
        "",
        {"clinic_id"},
        "record a delivery (--clinic-id --item-code --lot-number --expiry-date --quantity --unit "
        "…)"}},
      {Case<PharmacyIntake>(PharmacyIntake::kDispenseMedication),
       {"dispense",
        "",
        {"clinic_id"},
        "dispense to a patient (--clinic-id --patient-id --prescription-id --lines "
        "'{\"item_code\":…}' …)"}},
      {Case<PharmacyIntake>(PharmacyIntake::kAdjustStock),
       {"adjust-stock", "", {"clinic_id"}, "adjust a lot (--reason damaged …)"}},
      {Case<PharmacyIntake>(PharmacyIntake::kRecallLot),
       {"recall-lot", "", {"item_code"}, "recall a lot everywhere (--item-code --lot-number)"}},
      {Case<PharmacyIntake>(PharmacyIntake::kSetReorderLevel),
       {"set-reorder-level", "", {"clinic_id"}, "set an item's reorder level at a clinic"}},
      {Case<ReferralIntake>(ReferralIntake::kRequestReferral),
       {"refer",
        "",
        {"patient_id"},
        "request a referral (--patient-id --origin-clinic-id --target-facility-id --reason-codes "
        "…)"}},
      {Case<ReferralIntake>(ReferralIntake::kAcceptReferral),
       {"respond-referral", "accept", {"patient_id"}, ""}},
      {Case<ReferralIntake>(ReferralIntake::kRejectReferral),
       {"respond-referral", "reject", {"patient_id"}, ""}},
      {Case<ReferralIntake>(ReferralIntake::kRetargetReferral),
       {"respond-referral", "retarget", {"patient_id"}, ""}},
      {Case<ReferralIntake>(ReferralIntake::kRecordAttendance),
       {"respond-referral", "attend", {"patient_id"}, ""}},
      {Case<ReferralIntake>(ReferralIntake::kCompleteReferral),
       {"respond-referral", "complete", {"patient_id"}, ""}},
      {Case<ReferralIntake>(ReferralIntake::kCancelReferral),
       {"respond-referral", "cancel", {"patient_id"}, ""}},
  };
  return kCases;
}

// The field that holds an intake topic's key (topics.h's kAll notes each topic's key).
std::string KeyFieldOf(std::string_view intake_topic) {
  if (intake_topic == topics::kIntakeRegistration) return "nik";
  if (intake_topic == topics::kIntakePharmacy) return "clinic_id";
  return "patient_id";
}

// One publishable intake kind: the registry's kind, its topic and the extras above.
struct IntakeCommand {
  klinik::EventKind kind;
  std::string topic;
  CaseExtras extras;
};

// Every case of every intake wrapper, in the registry's order. A case newer than the table
// above still gets a command, named after the case and keyed by its topic's key field.
std::vector<IntakeCommand> DeriveIntakeCommands() {
  std::vector<IntakeCommand> commands;
  for (const klinik::EventKind& kind : klinik::AllEventKinds()) {
    std::optional<topics::TopicSpec> topic = IntakeTopicOf(kind.wrapper);
    if (!topic) continue;
    IntakeCommand c{kind, std::string(topic->name), {}};
    if (auto known = KnownCases().find(kind.field); known != KnownCases().end()) {
      c.extras = known->second;
    } else {
      c.extras.command = kind.field->name();
      std::replace(c.extras.command.begin(), c.extras.command.end(), '_', '-');
      c.extras.key_fields = {KeyFieldOf(topic->name)};
      c.extras.help = "publish a " + kind.field->message_type()->name();
    }
    commands.push_back(std::move(c));
  }
  return commands;
}

const std::vector<IntakeCommand>& IntakeCommands() {
  static const std::vector<IntakeCommand> kCommands = DeriveIntakeCommands();
  return kCommands;
}

// respond-referral's --action values, in case order, joined by `separator`.
std::string ReferralActions(std::string_view separator) {
  std::string actions;
  for (const IntakeCommand& c : IntakeCommands()) {
    if (c.extras.action.empty()) continue;
    if (!actions.empty()) actions += separator;
    actions += c.extras.action;
  }
  return actions;
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

int Publish(const Parsed& p, const IntakeCommand& command, std::ostream& out, std::ostream& err) {
  const Descriptor* wrapper_type = command.kind.wrapper;
  const std::string& topic = command.topic;
  const std::string ce_type(command.kind.ce_type);
  const std::vector<std::string>& key_fields = command.extras.key_fields;
  std::unique_ptr<Message> wrapper(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(wrapper_type)->New());
  Message* inner = wrapper->GetReflection()->MutableMessage(wrapper.get(), command.kind.field);
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
  for (const auto& c : IntakeCommands()) {
    if (!c.extras.action.empty()) continue;
    const std::string& name = c.extras.command;
    out << "  " << name << std::string(name.size() < 20 ? 20 - name.size() : 1, ' ')
        << c.extras.help << "\n";
  }
  out << "  respond-referral    --action " << ReferralActions("|")
      << " --referral-id --patient-id …\n"
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
  if (p.command == "respond-referral") {
    auto action = p.options.count("action") ? p.options.at("action") : "";
    for (const auto& c : IntakeCommands()) {
      if (c.extras.command == p.command && c.extras.action == action)
        return Publish(p, c, out, err);
    }
    err << "klinikctl: --action must be one of " << ReferralActions(", ") << "\n";
    return 2;
  }
  for (const auto& c : IntakeCommands()) {
    if (c.extras.action.empty() && c.extras.command == p.command) return Publish(p, c, out, err);
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
