//! Reading a `$gpc.getstructuredrecord` request: the Spine headers, the unsigned
//! consumer JWT, and the Parameters body with its clinical-area parameters and their
//! parts — refusing what a real provider refuses, with the error it would use.

use axum::http::{HeaderMap, header};
use base64::Engine;
use mcr_model::NhsNumber;
use serde_json::Value;

use super::outcome::GpcError;
use crate::dates::{Day, parse_range};

/// The interaction id a structured record request must carry in `Ssp-InteractionID`.
pub const INTERACTION_ID: &str =
    "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";

const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// Which clinical areas were asked for, with their options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Includes {
    /// `includeAllergies`: `Some(include resolved allergies)`.
    pub allergies: Option<bool>,
    /// `includeMedication`: `Some((include prescription issues, search from date))`.
    pub medication: Option<(bool, Option<Day>)>,
    /// `includeConsultations`: `Some((search period start, number of most recent))`.
    pub consultations: Option<(Option<Day>, Option<usize>)>,
    /// `includeProblems`.
    pub problems: bool,
    /// `includeImmunisations`.
    pub immunisations: bool,
    /// `includeUncategorisedData`: `Some(search period start)`.
    pub uncategorised: Option<Option<Day>>,
    /// `includeInvestigations`: `Some(search period start)`.
    pub investigations: Option<Option<Day>>,
    /// `includeReferrals`: `Some(search period start)`.
    pub referrals: Option<Option<Day>>,
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct RecordRequest {
    /// The patient.
    pub nhs_number: NhsNumber,
    /// What to include.
    pub includes: Includes,
    /// ODS code of the requesting organisation (from the JWT).
    pub requesting_ods: Option<String>,
}

/// Checks the Spine headers and the JWT claims a provider relies on; returns the
/// requesting organisation's ODS code.
pub fn check_headers(headers: &HeaderMap) -> Result<Option<String>, String> {
    for name in ["Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID"] {
        if headers.get(name).is_none() {
            return Err(format!("missing header {name}"));
        }
    }
    if headers["Ssp-InteractionID"] != INTERACTION_ID {
        return Err("Ssp-InteractionID does not match the operation".into());
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or("missing bearer token")?;
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .ok_or("the bearer token is not a JWT")?;
    if claims["reason_for_request"] != "directcare" {
        return Err("reason_for_request must be directcare".into());
    }
    for claim in [
        "requesting_organization",
        "requesting_practitioner",
        "requested_scope",
    ] {
        if claims.get(claim).is_none() {
            return Err(format!("JWT claim {claim} is missing"));
        }
    }
    let ods = claims["requesting_organization"]["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["system"] == "https://fhir.nhs.uk/Id/ods-organization-code")
        .and_then(|i| i["value"].as_str())
        .map(str::to_string);
    Ok(ods)
}

fn part<'a>(param: &'a Value, name: &str) -> Option<&'a Value> {
    param["part"].as_array()?.iter().find(|p| p["name"] == name)
}

fn period_start(param: &Value, name: &str) -> Result<Option<Day>, String> {
    match part(param, name) {
        None => Ok(None),
        Some(p) => {
            let start = p["valuePeriod"]["start"]
                .as_str()
                .ok_or_else(|| format!("{name} needs valuePeriod.start"))?;
            parse_range(start)
                .map(|(from, _)| Some(from))
                .ok_or_else(|| format!("{name} start is not a date"))
        }
    }
}

/// Parses the Parameters body.
pub fn parse_parameters(body: &str) -> Result<(NhsNumber, Includes), (GpcError, String)> {
    let params: Value = serde_json::from_str(body)
        .map_err(|_| (GpcError::InvalidResource, "body is not JSON".to_string()))?;
    if params["resourceType"] != "Parameters" {
        return Err((
            GpcError::InvalidResource,
            "body is not a Parameters resource".into(),
        ));
    }
    let list = params["parameter"].as_array().ok_or((
        GpcError::InvalidParameter,
        "Parameters has no parameter".to_string(),
    ))?;
    let invalid = |m: String| (GpcError::InvalidParameter, m);
    let mut nhs = None;
    let mut inc = Includes::default();
    for p in list {
        let name = p["name"].as_str().unwrap_or_default();
        match name {
            "patientNHSNumber" => {
                let id = &p["valueIdentifier"];
                if id["system"] != NHS_NUMBER_SYSTEM {
                    return Err((
                        GpcError::InvalidNhsNumber,
                        "the identifier system is not the NHS number".into(),
                    ));
                }
                let raw = id["value"].as_str().unwrap_or_default();
                nhs = Some(NhsNumber::parse(raw).map_err(|_| {
                    (
                        GpcError::InvalidNhsNumber,
                        "NHS number is invalid".to_string(),
                    )
                })?);
            }
            "includeAllergies" => {
                let resolved = part(p, "includeResolvedAllergies")
                    .map(|v| {
                        v["valueBoolean"]
                            .as_bool()
                            .ok_or("includeResolvedAllergies must be a boolean")
                    })
                    .transpose()
                    .map_err(|m| invalid(m.into()))?;
                inc.allergies = Some(resolved.unwrap_or(false));
            }
            "includeMedication" => {
                let issues = part(p, "includePrescriptionIssues")
                    .map(|v| {
                        v["valueBoolean"]
                            .as_bool()
                            .ok_or("includePrescriptionIssues must be a boolean")
                    })
                    .transpose()
                    .map_err(|m| invalid(m.into()))?;
                let from = match part(p, "medicationSearchFromDate") {
                    None => None,
                    Some(v) => Some(
                        v["valueDate"]
                            .as_str()
                            .and_then(parse_range)
                            .map(|(d, _)| d)
                            .ok_or_else(|| {
                                invalid("medicationSearchFromDate is not a date".into())
                            })?,
                    ),
                };
                inc.medication = Some((issues.unwrap_or(true), from));
            }
            "includeConsultations" => {
                let from = period_start(p, "consultationSearchPeriod").map_err(invalid)?;
                let recent = part(p, "includeNumberOfMostRecent")
                    .map(|v| {
                        v["valueInteger"]
                            .as_u64()
                            .filter(|n| *n > 0)
                            .ok_or("includeNumberOfMostRecent must be a positive integer")
                    })
                    .transpose()
                    .map_err(|m| invalid(m.into()))?;
                if from.is_some() && recent.is_some() {
                    return Err(invalid("consultationSearchPeriod and includeNumberOfMostRecent cannot both be given".into()));
                }
                inc.consultations = Some((from, recent.map(|n| n as usize)));
            }
            "includeProblems" => inc.problems = true,
            "includeImmunisations" => inc.immunisations = true,
            "includeUncategorisedData" => {
                inc.uncategorised =
                    Some(period_start(p, "uncategorisedDataSearchPeriod").map_err(invalid)?)
            }
            "includeInvestigations" => {
                inc.investigations =
                    Some(period_start(p, "investigationSearchPeriod").map_err(invalid)?)
            }
            "includeReferrals" => {
                inc.referrals = Some(period_start(p, "referralSearchPeriod").map_err(invalid)?)
            }
            other => return Err(invalid(format!("unknown parameter {other:?}"))),
        }
    }
    let nhs = nhs.ok_or_else(|| invalid("patientNHSNumber parameter is missing".into()))?;
    Ok((nhs, inc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(extra: Vec<Value>) -> String {
        let mut parameter = vec![
            json!({"name": "patientNHSNumber", "valueIdentifier": {"system": NHS_NUMBER_SYSTEM, "value": "9990000018"}}),
        ];
        parameter.extend(extra);
        json!({"resourceType": "Parameters", "parameter": parameter}).to_string()
    }

    #[test]
    fn the_clinical_area_parameters_and_their_parts_are_read() {
        let (nhs, inc) = parse_parameters(&body(vec![
            json!({"name": "includeAllergies", "part": [{"name": "includeResolvedAllergies", "valueBoolean": true}]}),
            json!({"name": "includeMedication", "part": [{"name": "includePrescriptionIssues", "valueBoolean": false}, {"name": "medicationSearchFromDate", "valueDate": "2020-01-01"}]}),
            json!({"name": "includeConsultations", "part": [{"name": "includeNumberOfMostRecent", "valueInteger": 3}]}),
            json!({"name": "includeProblems"}),
            json!({"name": "includeImmunisations"}),
            json!({"name": "includeInvestigations"}),
            json!({"name": "includeReferrals"}),
        ]))
        .unwrap();
        assert_eq!(nhs.as_digits(), "9990000018");
        assert_eq!(inc.allergies, Some(true));
        assert_eq!(
            inc.medication,
            Some((false, Some(crate::dates::day(2020, 1, 1))))
        );
        assert_eq!(inc.consultations, Some((None, Some(3))));
        assert!(inc.problems && inc.immunisations);
        assert!(inc.investigations.is_some() && inc.referrals.is_some());
    }

    #[test]
    fn unknown_parameters_and_bad_parts_are_invalid_parameter() {
        let err = parse_parameters(&body(vec![json!({"name": "includeEverything"})])).unwrap_err();
        assert_eq!(err.0, GpcError::InvalidParameter);
        let err = parse_parameters(&body(vec![json!({"name": "includeAllergies", "part": [{"name": "includeResolvedAllergies", "valueBoolean": "yes"}]})])).unwrap_err();
        assert_eq!(err.0, GpcError::InvalidParameter);
    }

    #[test]
    fn a_body_that_is_not_parameters_is_invalid_resource() {
        assert_eq!(
            parse_parameters("{}").unwrap_err().0,
            GpcError::InvalidResource
        );
        assert_eq!(
            parse_parameters("nope").unwrap_err().0,
            GpcError::InvalidResource
        );
    }

    #[test]
    fn a_bad_check_digit_is_invalid_nhs_number() {
        let b = json!({"resourceType": "Parameters", "parameter": [{"name": "patientNHSNumber", "valueIdentifier": {"system": NHS_NUMBER_SYSTEM, "value": "9432003812"}}]});
        assert_eq!(
            parse_parameters(&b.to_string()).unwrap_err().0,
            GpcError::InvalidNhsNumber
        );
    }
}
