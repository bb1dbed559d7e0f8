//! One example of every kind of response the simulator emits, written to a folder for
//! third-party validators (`mcr-sim samples --out DIR`, run by `cargo xtask test`):
//! `stu3/` (GP Connect bundles for ordinary and edge-case patients, every
//! OperationOutcome), `stu3-defects/` (the demo bundle with each named GP Connect data
//! defect applied — these must fail validation), and `r4/` (provider searchsets for
//! every searchable type, Patient, CapabilityStatement, OperationOutcome, and the PDS
//! Patient).
//!
//! The bodies come from the same builders the HTTP handlers use.

use std::path::Path;

use serde_json::Value;

use crate::faults::{Fault, rewrite};
use crate::fhir_r4::{self, SEARCHABLE, resources, search};
use crate::gp_record::GpRecord;
use crate::gpconnect::bundle::structured_record;
use crate::gpconnect::outcome::GpcError;
use crate::gpconnect::request::Includes;
use crate::hospital_record::HospitalRecord;
use crate::organisations::PROVIDERS;
use crate::population::{EdgeCase, Population};

fn everything() -> Includes {
    Includes {
        allergies: Some(true),
        medication: Some((true, None)),
        consultations: Some((None, None)),
        problems: true,
        immunisations: true,
        uncategorised: Some(None),
        investigations: Some(None),
        referrals: Some(None),
    }
}

fn write(dir: &Path, name: &str, v: &Value) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(format!("{name}.json")), v.to_string())
}

/// The named GP Connect data defects, with their file names.
pub const DEFECTS: [(&str, Fault); 4] = [
    (
        "general-practitioner-as-object",
        Fault::GeneralPractitionerAsObject,
    ),
    ("codes-with-stray-spaces", Fault::CodesWithStraySpaces),
    ("entries-without-resource", Fault::EntriesWithoutResource),
    ("lists-without-status", Fault::ListsWithoutStatus),
];

/// Writes the samples for `population` under `out`; returns how many files.
pub fn write_samples(population: &Population, out: &Path) -> std::io::Result<usize> {
    let seed = population.seed();
    let mut n = 0;
    let stu3 = out.join("stu3");
    let demo = population.patient(0).expect("a non-empty population");
    let demo_bundle = structured_record(&demo, &GpRecord::generate(seed, &demo), &everything());
    write(&stu3, "record-demo", &demo_bundle)?;
    write(
        &stu3,
        "record-no-clinical-areas",
        &structured_record(
            &demo,
            &GpRecord::generate(seed, &demo),
            &Includes::default(),
        ),
    )?;
    n += 2;
    for case in EdgeCase::ALL {
        if matches!(case, EdgeCase::Dissented | EdgeCase::Deceased) {
            continue;
        }
        if let Some(p) = population.example(case) {
            let name = serde_json::to_value(case)?
                .as_str()
                .unwrap_or("case")
                .to_string();
            write(
                &stu3,
                &format!("record-{name}"),
                &structured_record(&p, &GpRecord::generate(seed, &p), &everything()),
            )?;
            n += 1;
        }
    }
    for e in GpcError::ALL {
        write(
            &stu3,
            &format!("outcome-{}", e.parts().2.to_lowercase()),
            &e.body("example"),
        )?;
        n += 1;
    }
    let defects = out.join("stu3-defects");
    let bytes = demo_bundle.to_string().into_bytes();
    for (name, fault) in DEFECTS {
        let broken: Value = serde_json::from_slice(&rewrite(&bytes, &fault))?;
        write(&defects, name, &broken)?;
        n += 1;
    }

    let r4 = out.join("r4");
    let base = "http://127.0.0.1:8080/r4/RR8";
    let mut remaining: Vec<&str> = SEARCHABLE.to_vec();
    for index in 0..population.len().min(5000) {
        if remaining.is_empty() {
            break;
        }
        let Some(p) = population.patient(index) else {
            break;
        };
        for &provider in &p.providers {
            let Some(rec) = HospitalRecord::generate(seed, &p, provider) else {
                continue;
            };
            let id = crate::ids::patient_id(seed, provider, p.index);
            let found = resources::all(&p, &id, &rec, &GpRecord::generate(seed, &p));
            if index == 0 && provider == p.providers[0] {
                write(&r4, "patient", &resources::patient(&p, &id))?;
                n += 1;
            }
            remaining.retain(|t| {
                let matches: Vec<Value> = found
                    .iter()
                    .filter(|f| f.resource_type == *t)
                    .map(|f| f.resource.clone())
                    .collect();
                if matches.is_empty() {
                    return true;
                }
                let s = search::Search {
                    count: 3,
                    ..search::Search::default()
                };
                let bundle = search::searchset(
                    matches,
                    &s,
                    &format!("{base}/{t}"),
                    base,
                    &[("patient".into(), id.clone())],
                );
                write(&r4, &format!("searchset-{t}"), &bundle).is_err()
            });
        }
    }
    n += SEARCHABLE.len() - remaining.len();
    write(
        &r4,
        "capability-statement",
        &fhir_r4::capability_body(&PROVIDERS[0]),
    )?;
    write(
        &r4,
        "outcome",
        &fhir_r4::outcome_body("required", "a patient parameter is required"),
    )?;
    let empty = search::searchset(
        vec![],
        &search::Search::default(),
        &format!("{base}/Patient"),
        base,
        &[],
    );
    write(&r4, "searchset-empty", &empty)?;
    write(&r4, "pds-patient", &crate::pds::pds_patient(&demo))?;
    n += 4;
    if let Some(dead) = population.example(EdgeCase::Deceased) {
        write(&r4, "pds-patient-deceased", &crate::pds::pds_patient(&dead))?;
        n += 1;
    }
    if !remaining.is_empty() {
        return Err(std::io::Error::other(format!(
            "no sample for {remaining:?}"
        )));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_cover_every_searchable_type_and_every_outcome() {
        let dir = std::env::temp_dir().join(format!("mcr-sim-samples-{}", std::process::id()));
        let n = write_samples(&Population::new(100_000), &dir).unwrap();
        assert!(n >= 30, "{n}");
        for t in SEARCHABLE {
            assert!(dir.join(format!("r4/searchset-{t}.json")).exists(), "{t}");
        }
        assert!(dir.join("stu3/outcome-no_relationship.json").exists());
        assert!(dir.join("stu3-defects/lists-without-status.json").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
