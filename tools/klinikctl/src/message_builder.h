// Builds protobuf messages from command-line flags through reflection, so every field of every
// intake kind and lookup request can be given without code per field, and new proto fields
// work in klinikctl as soon as they exist:
//
//   --nik=3201014501900001 --address.village-code=32.01.01.2001 --sex=female
//   --measurements.systolic-mmhg=162 --lines='{"item_code":"93001234","quantity":10}'
//
// Dashes and underscores are interchangeable; a dot descends into a message field; a repeated
// field takes the flag several times; enums take their full or short name (female, SEX_FEMALE);
// timestamps take RFC 3339; a message-typed value may be JSON.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <utility>
#include <vector>

namespace klinikctl {

using Flags = std::vector<std::pair<std::string, std::string>>;

// Fills `message` from `flags`; false with a one-line `error` naming the bad flag.
[[nodiscard]] bool BuildMessage(const Flags& flags, google::protobuf::Message* message,
                                std::string* error);

// Merges a JSON object (proto field names or lowerCamel json names) into `message`.
[[nodiscard]] bool MergeJson(const std::string& json, google::protobuf::Message* message,
                             std::string* error);

// Sets empty `request_id` fields to a new UUID and unset top-level Timestamp fields to now.
void FillDefaults(google::protobuf::Message* message);

// The message as one line of JSON (proto field names, enums by name, defaults omitted).
std::string ToJson(const google::protobuf::Message& message);

}  // namespace klinikctl
