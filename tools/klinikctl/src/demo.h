// The demo day behind `make run`: one village's residents registered, screened on their
// birthdays (with a realistic share of high blood pressure and high glucose), medicine
// delivered to and dispensed at the village pharmacy, the puskesmas accepting and completing
// referrals, and SatuSehat sync — all through the intake topics an upstream app uses.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "klinik/time_util.h"

namespace klinikctl {

// A synthetic resident with a valid NIK for the village (DOMAIN.md rules).
struct Resident {
  std::string nik;
  std::string full_name;
  klinik::CivilDate birth_date;
  bool female = false;
  std::string phone;
};

struct VillagePlan {
  std::string village_code =
      "32.04.15.2003";  // Kemendagri code of a desa in Kab. Bandung, Jawa Barat
  std::string clinic_id = "klinik-desa-3204152003";
  std::string puskesmas_id = "puskesmas-320415";
  int residents = 300;
  uint64_t seed = 20261123;
};

// Deterministic for a seed; about two thirds have their birthday in the last 30 days of
// `today`, so they are in the CKG birthday window.
std::vector<Resident> MakeResidents(const VillagePlan& plan, const klinik::CivilDate& today);

struct DemoOptions {
  VillagePlan plan;
  std::string bootstrap;
  std::string sandbox_url;  // http://127.0.0.1:port — seeds the national patient index
  std::vector<std::pair<std::string, int>> metrics;  // service name, HTTP port (progress)
  std::string referral_addr;                         // gRPC, to list open referrals
  int timeout_seconds = 300;
};

// Runs the demo day, printing progress lines and a summary to `out`. Returns 0 when every
// service processed events and referrals were completed; 1 otherwise (with the reason).
int RunDemo(const DemoOptions& options, std::ostream& out, std::ostream& err);

}  // namespace klinikctl
