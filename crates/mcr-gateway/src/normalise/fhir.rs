//! Reading FHIR JSON tolerantly: lists that may be single objects, codes with stray
//! spaces, statuses that are strings (STU3) or CodeableConcepts (R4).

use mcr_model::{Coding, Demographics, NhsNumber, PracticeRef};
use serde_json::Value;

/// Iterates a FHIR list field, tolerating a single object where a list belongs.
pub fn as_list(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v {
        Value::Array(items) => Box::new(items.iter()),
        Value::Null => Box::new(std::iter::empty()),
        other => Box::new(std::iter::once(other)),
    }
}

/// A non-empty trimmed string.
pub fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A date field that is present but cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidDate;

/// The date part of a FHIR date or dateTime: `Ok(None)` when absent, `Err` when present
/// but unreadable.
pub fn date(v: &Value) -> Result<Option<String>, InvalidDate> {
    let Some(s) = v.as_str().map(str::trim) else {
        return if v.is_null() {
            Ok(None)
        } else {
            Err(InvalidDate)
        };
    };
    let d = s.get(..10).unwrap_or(s);
    let b = d.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let ok = match d.len() {
        4 => digits(0..4),
        7 => digits(0..4) && b[4] == b'-' && digits(5..7),
        10 => digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10),
        _ => false,
    };
    if ok {
        Ok(Some(d.to_string()))
    } else {
        Err(InvalidDate)
    }
}

/// Codings of a CodeableConcept, trimmed.
pub fn codings(cc: &Value) -> Vec<Coding> {
    as_list(&cc["coding"])
        .map(|c| Coding {
            system: text(&c["system"]),
            code: text(&c["code"]),
            display: text(&c["display"]),
        })
        .filter(|c| c.code.is_some() || c.display.is_some())
        .collect()
}

/// Display text of a CodeableConcept: its text, else the first coding's display.
pub fn concept_text(cc: &Value) -> Option<String> {
    text(&cc["text"]).or_else(|| as_list(&cc["coding"]).find_map(|c| text(&c["display"])))
}

/// A status that is a code (STU3) or a CodeableConcept (R4).
pub fn status(v: &Value) -> Option<String> {
    text(v).or_else(|| as_list(&v["coding"]).find_map(|c| text(&c["code"])))
}

/// The value of the identifier with `system`.
pub fn identifier<'v>(resource: &'v Value, system: &str) -> Option<&'v str> {
    as_list(&resource["identifier"])
        .find(|i| i["system"].as_str().map(str::trim) == Some(system))
        .and_then(|i| i["value"].as_str())
        .map(str::trim)
}

/// Whether the resource is marked entered-in-error (in any of its status fields).
pub fn entered_in_error(r: &Value) -> bool {
    ["status", "clinicalStatus", "verificationStatus"]
        .iter()
        .any(|f| status(&r[*f]).as_deref() == Some("entered-in-error"))
}

/// Whether the resource has a `modifierExtension` (the gateway understands none).
pub fn has_modifier_extension(r: &Value) -> bool {
    as_list(&r["modifierExtension"]).next().is_some()
}

/// Whether a subject/patient reference in `r` names a patient other than `patient_id`.
pub fn refers_to_another_patient(r: &Value, patient_id: &str) -> bool {
    ["subject", "patient"].iter().any(|field| {
        r[*field]["reference"].as_str().is_some_and(|reference| {
            let reference = reference.trim();
            reference.contains("Patient/")
                && reference != format!("Patient/{patient_id}")
                && !reference.ends_with(&format!("/Patient/{patient_id}"))
        })
    })
}

/// Demographics from a Patient resource (STU3 or R4) whose NHS number is `nhs`.
pub fn demographics(p: &Value, nhs: NhsNumber, practice: Option<PracticeRef>) -> Demographics {
    let name = as_list(&p["name"])
        .find(|n| n["use"] == "official" || n["use"] == "usual")
        .or_else(|| as_list(&p["name"]).next());
    let address = as_list(&p["address"])
        .find(|a| a["use"] == "home")
        .or_else(|| as_list(&p["address"]).next())
        .map(|a| {
            as_list(&a["line"])
                .chain([&a["city"], &a["district"], &a["postalCode"]])
                .filter_map(text)
                .collect()
        })
        .unwrap_or_default();
    Demographics {
        nhs_number: nhs,
        family_name: name.and_then(|n| text(&n["family"])),
        given_names: name
            .map(|n| as_list(&n["given"]).filter_map(text).collect())
            .unwrap_or_default(),
        birth_date: date(&p["birthDate"]).ok().flatten(),
        gender: text(&p["gender"]),
        address,
        registered_practice: practice,
        deceased_date: date(&p["deceasedDateTime"]).ok().flatten(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dates_keep_their_precision_and_bad_ones_are_told_apart_from_absent_ones() {
        assert_eq!(
            date(&json!("2020-12-01T00:00:00+00:00")),
            Ok(Some("2020-12-01".into()))
        );
        assert_eq!(date(&json!("2020-12")), Ok(Some("2020-12".into())));
        assert_eq!(date(&json!("2020")), Ok(Some("2020".into())));
        assert_eq!(date(&Value::Null), Ok(None));
        assert_eq!(date(&json!("01/12/2020")), Err(InvalidDate));
        assert_eq!(date(&json!(2020)), Err(InvalidDate));
    }

    #[test]
    fn codes_with_stray_spaces_are_trimmed_and_statuses_read_in_both_versions() {
        let cc = json!({"coding": [{"system": " http://snomed.info/sct ", "code": " 195967001 ", "display": "Asthma"}]});
        assert_eq!(codings(&cc)[0].code.as_deref(), Some("195967001"));
        assert_eq!(status(&json!("active")).as_deref(), Some("active"));
        assert_eq!(
            status(&json!({"coding": [{"code": "resolved"}]})).as_deref(),
            Some("resolved")
        );
    }

    #[test]
    fn references_to_other_patients_are_spotted() {
        let own = json!({"subject": {"reference": "Patient/p1"}});
        let absolute = json!({"patient": {"reference": "http://x.invalid/r4/Patient/p1"}});
        let other = json!({"subject": {"reference": "Patient/p2"}});
        assert!(!refers_to_another_patient(&own, "p1"));
        assert!(!refers_to_another_patient(&absolute, "p1"));
        assert!(refers_to_another_patient(&other, "p1"));
    }
}
