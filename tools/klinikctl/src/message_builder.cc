#include "message_builder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "klinik/time_util.h"

namespace klinikctl {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using nlohmann::json;

std::string Normalize(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

const FieldDescriptor* FindField(const Descriptor* d, const std::string& name) {
  if (const FieldDescriptor* f = d->FindFieldByName(name)) return f;
  return d->FindFieldByCamelcaseName(name);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  return s;
}

// The JSON value for one flag value, typed by the field it sets.
bool Convert(const FieldDescriptor* f, const std::string& flag, const std::string& value, json* out,
             std::string* error) {
  auto fail = [&](const std::string& why) {
    *error = "--" + flag + ": " + why + ", got '" + value + "'";
    return false;
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      *out = value;
      return true;
    case FieldDescriptor::CPPTYPE_BOOL: {
      std::string v = Lower(value);
      if (v == "true" || v == "yes" || v == "1" || v.empty())
        *out = true;
      else if (v == "false" || v == "no" || v == "0")
        *out = false;
      else
        return fail("expected true or false");
      return true;
    }
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      try {
        size_t used = 0;
        long long n = std::stoll(value, &used);
        if (used != value.size()) return fail("expected a whole number");
        *out = n;
      } catch (...) {
        return fail("expected a whole number");
      }
      return true;
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      try {
        size_t used = 0;
        double d = std::stod(value, &used);
        if (used != value.size()) return fail("expected a number");
        *out = d;
      } catch (...) {
        return fail("expected a number");
      }
      return true;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type();
      std::string want = Lower(value);
      std::replace(want.begin(), want.end(), '-', '_');
      std::vector<std::string> names;
      for (int i = 0; i < e->value_count(); ++i) {
        std::string name = e->value(i)->name();
        names.push_back(Lower(name));
        std::string lower = Lower(name);
        if (lower == want || (lower.size() > want.size() && lower.ends_with("_" + want))) {
          *out = name;
          return true;
        }
      }
      std::string options;
      for (const auto& n : names) options += (options.empty() ? "" : ", ") + n;
      return fail("expected one of " + options);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      if (f->message_type()->full_name() == "google.protobuf.Timestamp") {
        if (!klinik::ParseRfc3339(value))
          return fail("expected an RFC 3339 time such as 2025-07-21T08:30:00+07:00");
        *out = value;
        return true;
      }
      json parsed = json::parse(value, nullptr, false);
      if (parsed.is_discarded() || !parsed.is_object()) return fail("expected a JSON object");
      *out = parsed;
      return true;
    }
  }
  return fail("unsupported field type");
}

}  // namespace

bool MergeJson(const std::string& text, google::protobuf::Message* message, std::string* error) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(text, message, options);
  if (!status.ok()) {
    *error = std::string(status.message());
    return false;
  }
  return true;
}

bool BuildMessage(const Flags& flags, google::protobuf::Message* message, std::string* error) {
  json root = json::object();
  for (const auto& [flag, value] : flags) {
    const Descriptor* d = message->GetDescriptor();
    json* node = &root;
    std::string path = Normalize(flag);
    size_t start = 0;
    for (;;) {
      size_t dot = path.find('.', start);
      std::string part =
          path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      const FieldDescriptor* f = FindField(d, part);
      if (f == nullptr) {
        std::string known;
        for (int i = 0; i < d->field_count(); ++i) {
          std::string n = d->field(i)->name();
          std::replace(n.begin(), n.end(), '_', '-');
          known += (known.empty() ? "" : ", ") + n;
        }
        *error = "--" + flag + ": unknown field '" + part + "' of " + d->name() +
                 " (fields: " + known + ")";
        return false;
      }
      if (dot == std::string::npos) {
        json v;
        if (!Convert(f, flag, value, &v, error)) return false;
        if (f->is_repeated()) {
          if (!node->contains(f->name())) (*node)[f->name()] = json::array();
          (*node)[f->name()].push_back(v);
        } else {
          (*node)[f->name()] = v;
        }
        break;
      }
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
        *error = "--" + flag + ": '" + part + "' is not a message field, so it has no '.'";
        return false;
      }
      if (!node->contains(f->name())) (*node)[f->name()] = json::object();
      node = &(*node)[f->name()];
      d = f->message_type();
      start = dot + 1;
    }
  }
  std::string why;
  if (!MergeJson(root.dump(), message, &why)) {
    *error = "flags do not form a valid " + message->GetDescriptor()->name() + ": " + why;
    return false;
  }
  return true;
}

void FillDefaults(google::protobuf::Message* message) {
  const Descriptor* d = message->GetDescriptor();
  const auto* reflection = message->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) continue;
    if (f->name() == "request_id" && f->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        reflection->GetString(*message, f).empty()) {
      reflection->SetString(message, f, klinik::NewUuid());
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        f->message_type()->full_name() == "google.protobuf.Timestamp" &&
        !reflection->HasField(*message, f)) {
      auto* ts = static_cast<google::protobuf::Timestamp*>(reflection->MutableMessage(message, f));
      *ts = klinik::ToTimestampMillis(klinik::Clock::now());
    }
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace klinikctl
