#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ (README.md, "Fuzzing"): a few valid inputs per
target, from which libFuzzer mutates. Run it again after a contract change (needs protoc):

    python3 fuzz/make_seeds.py

Intake seeds are klinik.v1 intake messages written in protobuf text format and encoded with
protoc; page tokens are made the way each service's encoder makes them. Files are named after
what they hold, so a seed that stops being valid is easy to find. Files it does not write (inputs
added by hand, e.g. from a finding) are left alone.
"""
import base64
import pathlib
import subprocess

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"

PATIENT = "0b6e7c8a-4f1d-4c2b-9a53-2f0e6d1c7b90"
REFERRAL = "5d1f0c2e-8a3b-4e6f-9c7d-1a2b3c4d5e6f"
SCREENING = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
NIK = "3204154501900003"
STAFF = "3204154107850002"
CLINIC = "klinik-desa-3204152003"
# 2026-01-15T03:00:00Z, the instant the intake targets take as "now".
NOW_S = 1768446000


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def encode(proto, message, text):
    return subprocess.run(
        ["protoc", f"-I{ROOT / 'proto'}", f"--encode=klinik.v1.{message}", f"klinik/v1/{proto}"],
        input=text.encode(), capture_output=True, check=True, cwd=ROOT).stdout


def fdp_strings(*values):
    """FuzzedDataProvider::ConsumeRandomLengthString form: '\\' doubled, each string ended by
    a backslash and a newline."""
    return "".join(v.replace("\\", "\\\\") + "\\\n" for v in values)


def varint(n):
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def outbox_headers(*pairs):
    """klinik_outbox.header_bytes: format byte 1, then varint-framed name and value bytes."""
    out = bytearray(b"\x01")
    for name, value in pairs:
        out += varint(len(name)) + name + varint(len(value)) + value
    return bytes(out)


def page_token(rpc, *fields):
    """klinik::PageTokenCodec::Encode: base64url, no padding, of version byte 1, the fields ('i' +
    int64 big-endian, or 't' + varint length + UTF-8) and FNV-1a of rpc, NUL and all that."""
    payload = bytearray(b"\x01")
    for f in fields:
        if isinstance(f, int):
            payload += b"i" + f.to_bytes(8, "big", signed=True)
        else:
            text = f.encode()
            payload += b"t" + varint(len(text)) + text
    h = 2166136261
    for b in rpc.encode() + b"\x00" + bytes(payload):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return base64.urlsafe_b64encode(bytes(payload) + h.to_bytes(4, "big")).decode().rstrip("=")


def main():
    headers = ["ce_specversion", "1.0", "ce_id", "3f2b8c1e-9d4a-4b7e-8f6a-2c1d0e9b8a7f",
               "ce_source", "/klinik/registration", "ce_type", "id.klinik.patient.registered.v1",
               "ce_time", "2026-01-15T03:00:00.123Z", "ce_subject", PATIENT,
               "content-type", "application/protobuf",
               "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]
    write("cloudevents_headers", "full", fdp_strings(*headers))
    write("outbox_headers", "cloudevent", outbox_headers(
        (b"ce_specversion", b"1.0"), (b"ce_id", b"1d76b062-0c2a-4d43-9a52-2a7c1c0c6f10"),
        (b"ce_source", b"/klinik/registration"), (b"ce_type", b"id.klinik.patient.registered.v1"),
        (b"content-type", b"application/protobuf")))
    write("outbox_headers", "binary", outbox_headers(
        (b"x-bin", b"\xff\x00\x80"), (b"", b""),
        (b"dlq_error", b"contract: header ce_id is not UTF-8")))
    write("outbox_headers", "empty", outbox_headers())
    write("cloudevents_headers", "required_only", fdp_strings(*headers[:8]))
    write("cloudevents_headers", "offset_time_and_dead_letter",
          fdp_strings(*headers[:8], "ce_time", "2026-01-15T10:00:00+07:00",
                      "dlq_origin_topic", "klinik.intake.screening.v1", "dlq_error", "bad \\ value"))
    write("cloudevents_headers", "wrong_specversion", fdp_strings("ce_specversion", "0.3"))

    for name, text in [("utc", "2025-07-21T01:30:00Z"), ("millis", "2025-07-21T01:30:00.123Z"),
                       ("offset", "2025-07-21T08:30:00+07:00"),
                       ("nanos_lower_case", "2024-02-29t23:59:59.999999999z"),
                       ("leap_second_negative_offset", "2016-12-31T23:59:60-03:30"),
                       ("date", "2024-02-29"), ("date_not_a_day", "2025-02-29")]:
        write("rfc3339", name, text)

    for text in ["250ms", "30s", "5m", "72h", "90d", "0s"]:
        write("duration", text, text)

    for name, text in [("seconds", "2"), ("spaces", " 120 \r\n"), ("zero", "0"),
                       ("http_date", "Wed, 21 Oct 2015 07:28:00 GMT")]:
        write("retry_after", name, text)

    write("page_token", "search_patients_ascii",
          page_token("PatientDirectory.SearchPatients", "siti aminah", PATIENT))
    write("page_token", "search_patients_utf8",
          page_token("PatientDirectory.SearchPatients", "dewi ayu lestari \u00e9",
                     "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"))
    for name, ms in [("now", NOW_S * 1000), ("before_epoch", -86400000)]:
        write("page_token", f"list_screenings_{name}",
              page_token("ScreeningService.ListScreenings", ms, SCREENING))
    for name, ms in [("now", NOW_S * 1000), ("epoch", 0)]:
        write("page_token", f"list_referrals_{name}",
              page_token("ReferralService.ListReferrals", ms, REFERRAL))
    write("page_token", "list_sync_failures_now",
          page_token("SyncStatus.ListSyncFailures", NOW_S * 1000, PATIENT))

    address = 'address { village_code: "32.04.15.2003" rt: "001" rw: "002" street: "Jl. Mawar 1" }'
    write("registration_intake", "register_adult", encode("registration.proto", "RegistrationIntake", f"""
        register_patient {{ request_id: "req-1" nik: "{NIK}" full_name: "Siti Aminah"
          birth_date: "1990-01-05" sex: SEX_FEMALE {address} phone: "+6281234567890"
          bpjs_number: "0001234567890" clinic_id: "{CLINIC}" }}"""))
    write("registration_intake", "register_newborn", encode("registration.proto", "RegistrationIntake", f"""
        register_patient {{ request_id: "req-2" mother_nik: "{NIK}" birth_order: 2
          full_name: "Bayi Ny. Siti" birth_date: "2026-01-14" sex: SEX_MALE {address}
          clinic_id: "{CLINIC}" }}"""))
    write("registration_intake", "update_contact", encode("registration.proto", "RegistrationIntake", f"""
        update_contact {{ request_id: "req-3" patient_id: "{PATIENT}" {address}
          phone: "081234567890" clinic_id: "{CLINIC}" }}"""))

    measured = f"measured_at {{ seconds: {NOW_S - 3600} nanos: 500000000 }}"
    write("screening_intake", "adult_hypertension", encode("screening.proto", "ScreeningIntake", f"""
        submit_screening {{ request_id: "req-4" patient_id: "{PATIENT}" clinic_id: "{CLINIC}"
          examiner_id: "{STAFF}" {measured}
          measurements {{ systolic_mmhg: 168 diastolic_mmhg: 102 heart_rate_bpm: 80
            glucose_mg_dl: 210 glucose_kind: GLUCOSE_KIND_RANDOM hba1c_percent: 6.8
            weight_kg: 82.5 height_cm: 160 waist_cm: 95 total_cholesterol_mg_dl: 245
            uric_acid_mg_dl: 7.5 smoking_status: SMOKING_STATUS_CURRENT tb_symptoms: true
            mental_health_positive: false danger_signs: false cancer_flag: false }} }}"""))
    write("screening_intake", "by_nik_bmi_given", encode("screening.proto", "ScreeningIntake", f"""
        submit_screening {{ request_id: "req-5" screening_id: "{SCREENING}" nik: "{NIK}"
          clinic_id: "{CLINIC}" examiner_id: "{STAFF}" {measured}
          measurements {{ systolic_mmhg: 118 diastolic_mmhg: 76 bmi_kg_m2: 22.4
            glucose_mg_dl: 95 glucose_kind: GLUCOSE_KIND_FASTING }} }}"""))

    at = f"{{ seconds: {NOW_S - 600} }}"
    pharmacy = {
        "receive": f"""receive_stock {{ request_id: "req-6" clinic_id: "{CLINIC}"
            item_code: "93001001" item_name: "Amlodipin 5 mg" lot_number: "AML-3"
            expiry_date: "2027-06-30" quantity: 100 unit: "TAB" supplier: "Kimia Farma"
            delivery_note_ref: "SJ-2026-001" received_at {at} }}""",
        "dispense": f"""dispense_medication {{ request_id: "req-7" clinic_id: "{CLINIC}"
            patient_id: "{PATIENT}" prescription_id: "RX-1" dispensed_by: "{STAFF}"
            lines {{ line_no: 1 item_code: "93001001" quantity: 30 dosage_text: "1x1" }}
            lines {{ line_no: 2 item_code: "93002002" quantity: 5 dosage_text: "3x1" }}
            dispensed_at {at} }}""",
        "adjust": f"""adjust_stock {{ request_id: "req-8" clinic_id: "{CLINIC}"
            item_code: "93001001" lot_number: "AML-1" reason: ADJUSTMENT_REASON_COUNT_CORRECTION
            counted_quantity: 95 note: "stock opname" adjusted_by: "{STAFF}" adjusted_at {at} }}""",
        "recall": f"""recall_lot {{ request_id: "req-9" item_code: "93001001" lot_number: "AML-2"
            reason: "BPOM recall" recalled_at {at} }}""",
        "reorder_level": f"""set_reorder_level {{ request_id: "req-10" clinic_id: "{CLINIC}"
            item_code: "93001001" reorder_level: 60 set_at {at} }}""",
    }
    for name, text in pharmacy.items():
        write("pharmacy_intake", name, encode("pharmacy.proto", "PharmacyIntake", text))

    command = f'request_id: "req-11" referral_id: "{REFERRAL}" patient_id: "{PATIENT}" acted_by: "{STAFF}" acted_at {at}'
    referral = {
        "request": f"""request_referral {{ request_id: "req-12" patient_id: "{PATIENT}"
            origin_clinic_id: "{CLINIC}" target_facility_id: "puskesmas-3204150"
            direction: REFERRAL_DIRECTION_VERTICAL target_facility_kind: FACILITY_KIND_PUSKESMAS
            urgency: URGENCY_URGENT reason_codes: "HYPERTENSION_GRADE_2"
            reason_codes: "DIABETES_SUSPECTED" icd10: "I10" icd10: "R73.9" note: "TD 168/102"
            requested_by: "{STAFF}" requested_at {at} source_screening_id: "{SCREENING}" }}""",
        "accept": f"accept_referral {{ {command} }}",
        "reject": f'reject_referral {{ {command} reason: "NO_CAPACITY" note: "penuh" }}',
        "retarget": f"""retarget_referral {{ {command} target_facility_id: "rsud-soreang"
            target_facility_kind: FACILITY_KIND_HOSPITAL direction: REFERRAL_DIRECTION_VERTICAL }}""",
        "attend": f"record_attendance {{ {command} }}",
        "complete": f"""complete_referral {{ {command} back_referral_notes: "amlodipin 10 mg"
            follow_up_instructions: "kontrol 1 bulan" }}""",
        "cancel": f'cancel_referral {{ {command} reason: "PATIENT_DECLINED" }}',
    }
    for name, text in referral.items():
        write("referral_intake", name, encode("referral.proto", "ReferralIntake", text))


if __name__ == "__main__":
    main()
