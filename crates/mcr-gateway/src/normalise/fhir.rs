//! Reading FHIR tolerantly: lists that may be single objects, codes with stray spaces,
//! statuses that are strings (STU3) or CodeableConcepts (R4). The answer has already
//! been read into [`super::types`]; these are the readers over it.

use mcr_model::{Coding, Demographics, NhsNumber, PracticeRef};

use super::lenient::Leaf;
use super::types::{Concept, Resource};

/// A non-empty trimmed string.
pub fn text(v: &Leaf<'_>) -> Option<String> {
    v.to_text()
}

/// A date field that is present but cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidDate;

/// The date part of a FHIR date or dateTime: `Ok(None)` when absent, `Err` when present
/// but unreadable.
pub fn date(v: &Leaf<'_>) -> Result<Option<String>, InvalidDate> {
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
pub fn codings(cc: &Concept<'_>) -> Vec<Coding> {
    cc.coding
        .iter()
        .filter(|c| c.code.text().is_some() || c.display.text().is_some())
        .map(|c| Coding {
            system: text(&c.system),
            code: text(&c.code),
            display: text(&c.display),
        })
        .collect()
}

/// Display text of a CodeableConcept: its text, else the first coding's display.
pub fn concept_text(cc: &Concept<'_>) -> Option<String> {
    text(&cc.text).or_else(|| cc.coding.iter().find_map(|c| text(&c.display)))
}

/// The status as a borrowed string: a code (STU3) or a CodeableConcept's first code (R4).
fn status_str<'c>(v: &'c Concept<'_>) -> Option<&'c str> {
    v.string
        .text()
        .or_else(|| v.coding.iter().find_map(|c| c.code.text()))
}

/// A status that is a code (STU3) or a CodeableConcept (R4).
pub fn status(v: &Concept<'_>) -> Option<String> {
    status_str(v).map(str::to_string)
}

/// The value of the identifier with `system`.
pub fn identifier<'v>(resource: &'v Resource<'_>, system: &str) -> Option<&'v str> {
    resource
        .identifier
        .iter()
        .find(|i| i.system.as_str().map(str::trim) == Some(system))
        .and_then(|i| i.value.as_str())
        .map(str::trim)
}

/// Whether the resource is marked entered-in-error (in any of its status fields).
pub fn entered_in_error(r: &Resource<'_>) -> bool {
    [&r.status, &r.clinical_status, &r.verification_status]
        .into_iter()
        .any(|f| status_str(f) == Some("entered-in-error"))
}

/// Whether the resource has a `modifierExtension` (the gateway understands none).
pub fn has_modifier_extension(r: &Resource<'_>) -> bool {
    !r.modifier_extension.is_empty()
}

/// Whether a subject/patient reference in `r` names a patient other than `patient_id`.
pub fn refers_to_another_patient(r: &Resource<'_>, patient_id: &str) -> bool {
    [&r.subject, &r.patient].into_iter().any(|field| {
        field.reference.as_str().is_some_and(|reference| {
            let reference = reference.trim();
            reference.contains("Patient/") && !names_patient(reference, patient_id)
        })
    })
}

/// Whether `reference` is `Patient/{id}` or ends with `/Patient/{id}` (as comparing
/// with the formatted strings did, without formatting them for every resource).
fn names_patient(reference: &str, id: &str) -> bool {
    match reference.strip_suffix(id) {
        Some(head) => head == "Patient/" || head.ends_with("/Patient/"),
        None => false,
    }
}

/// Demographics from a Patient resource (STU3 or R4) whose NHS number is `nhs`.
pub fn demographics(
    p: &Resource<'_>,
    nhs: NhsNumber,
    practice: Option<PracticeRef>,
) -> Demographics {
    let name = p
        .name
        .iter()
        .find(|n| n.use_.is("official") || n.use_.is("usual"))
        .or_else(|| p.name.iter().next());
    let address = p
        .address
        .iter()
        .find(|a| a.use_.is("home"))
        .or_else(|| p.address.iter().next())
        .map(|a| {
            a.line
                .iter()
                .chain([&a.city, &a.district, &a.postal_code])
                .filter_map(text)
                .collect()
        })
        .unwrap_or_default();
    Demographics {
        nhs_number: nhs,
        family_name: name.and_then(|n| text(&n.family)),
        given_names: name
            .map(|n| n.given.iter().filter_map(text).collect())
            .unwrap_or_default(),
        birth_date: date(&p.birth_date).ok().flatten(),
        gender: text(&p.gender),
        address,
        registered_practice: practice,
        deceased_date: date(&p.deceased_date_time).ok().flatten(),
    }
}

/// Reads a resource from a `Value` (for tests written against JSON trees).
#[cfg(test)]
pub fn read(v: &serde_json::Value) -> Resource<'_> {
    use serde::Deserialize;
    Resource::deserialize(v).expect("a value tree always reads")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn leaf(v: &Value) -> Leaf<'_> {
        use serde::Deserialize;
        Leaf::deserialize(v).unwrap()
    }

    fn concept(v: &Value) -> Concept<'_> {
        use serde::Deserialize;
        Concept::deserialize(v).unwrap()
    }

    #[test]
    fn dates_keep_their_precision_and_bad_ones_are_told_apart_from_absent_ones() {
        assert_eq!(
            date(&leaf(&json!("2020-12-01T00:00:00+00:00"))),
            Ok(Some("2020-12-01".into()))
        );
        assert_eq!(date(&leaf(&json!("2020-12"))), Ok(Some("2020-12".into())));
        assert_eq!(date(&leaf(&json!("2020"))), Ok(Some("2020".into())));
        assert_eq!(date(&leaf(&Value::Null)), Ok(None));
        assert_eq!(date(&leaf(&json!("01/12/2020"))), Err(InvalidDate));
        assert_eq!(date(&leaf(&json!(2020))), Err(InvalidDate));
        assert_eq!(date(&leaf(&json!({"a": 1}))), Err(InvalidDate));
    }

    #[test]
    fn codes_with_stray_spaces_are_trimmed_and_statuses_read_in_both_versions() {
        let cc = json!({"coding": [{"system": " http://snomed.info/sct ", "code": " 195967001 ", "display": "Asthma"}]});
        assert_eq!(codings(&concept(&cc))[0].code.as_deref(), Some("195967001"));
        assert_eq!(
            status(&concept(&json!("active"))).as_deref(),
            Some("active")
        );
        assert_eq!(
            status(&concept(&json!({"coding": [{"code": "resolved"}]}))).as_deref(),
            Some("resolved")
        );
    }

    #[test]
    fn references_to_other_patients_are_spotted() {
        let own = json!({"subject": {"reference": "Patient/p1"}});
        let absolute = json!({"patient": {"reference": "http://x.invalid/r4/Patient/p1"}});
        let other = json!({"subject": {"reference": "Patient/p2"}});
        let longer = json!({"subject": {"reference": "Patient/xp1"}});
        let prefixed = json!({"subject": {"reference": "OtherPatient/p1"}});
        assert!(!refers_to_another_patient(&read(&own), "p1"));
        assert!(!refers_to_another_patient(&read(&absolute), "p1"));
        assert!(refers_to_another_patient(&read(&other), "p1"));
        assert!(refers_to_another_patient(&read(&longer), "p1"));
        assert!(refers_to_another_patient(&read(&prefixed), "p1"));
    }
}
