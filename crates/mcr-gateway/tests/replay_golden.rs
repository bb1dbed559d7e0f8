//! Golden tests over real third-party FHIR R4 data (UK Core examples, Synthea bundles)
//! served through the simulator's replay mode over HTTP and read by the real R4 adapter.
//! The expected counts come from an independent walk of the raw files in this test, not
//! from the adapter's output. (The GP Connect fixtures are covered, file by file, by
//! `gpconnect_fixtures.rs`.)
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use mcr_gateway::config::Config;
use mcr_model::{Record, SectionKind, SourceState};
use mcr_sim::replay::{ReplayKind, ReplayRule};
use serde_json::{Value, json};

fn fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("MCR_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
        });
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("MCR_REQUIRE_FIXTURES").as_deref() != Ok("1"),
        "fixtures required but {} is missing",
        dir.display()
    );
    eprintln!("skipping: fixtures not found at {}", dir.display());
    None
}

/// Every resource in a file or folder (Bundles unpacked).
fn resources(path: &Path) -> Vec<Value> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut f: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        f.retain(|p| p.extension().is_some_and(|e| e == "json"));
        f.sort();
        f
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = Vec::new();
    for file in files {
        let Ok(v) = serde_json::from_str::<Value>(&std::fs::read_to_string(&file).unwrap()) else {
            continue;
        };
        if v["resourceType"] == "Bundle" {
            out.extend(
                v["entry"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e.get("resource").cloned()),
            );
        } else {
            out.push(v);
        }
    }
    out
}

/// The section a resource type lands in (Results and Radiology counted together).
fn section_of(resource_type: &str) -> Option<&'static str> {
    Some(match resource_type {
        "Condition" => "problems",
        "MedicationRequest" | "MedicationStatement" => "medications",
        "AllergyIntolerance" => "allergies",
        "Observation" | "DiagnosticReport" => "results",
        "Encounter" => "encounters",
        "DocumentReference" | "Composition" => "documents",
        "Immunization" => "immunisations",
        "CarePlan" => "care_plans",
        _ => return None,
    })
}

fn entered_in_error(r: &Value) -> bool {
    ["status", "clinicalStatus", "verificationStatus"]
        .iter()
        .any(|f| {
            r[*f] == "entered-in-error"
                || r[*f]["coding"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["code"] == "entered-in-error")
        })
}

/// Expected entries per section and entered-in-error count for the patient the most
/// resources refer to, walking the raw JSON.
fn expected(path: &Path) -> (HashMap<&'static str, usize>, u32) {
    let all = resources(path);
    let reference_of = |r: &Value| {
        ["subject", "patient", "beneficiary"].iter().find_map(|f| {
            r[*f]["reference"].as_str().map(|s| {
                s.trim_start_matches("urn:uuid:")
                    .trim_start_matches("Patient/")
                    .to_string()
            })
        })
    };
    let mut refs: HashMap<String, usize> = HashMap::new();
    for r in &all {
        if let Some(id) = reference_of(r) {
            *refs.entry(id).or_default() += 1;
        }
    }
    let patient = refs
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(id, _)| id)
        .unwrap();
    let mut counts = HashMap::new();
    let mut eie = 0;
    for r in all
        .iter()
        .filter(|r| reference_of(r).as_deref() == Some(patient.as_str()))
    {
        let Some(section) = section_of(r["resourceType"].as_str().unwrap_or_default()) else {
            continue;
        };
        if entered_in_error(r) {
            eie += 1;
        } else {
            *counts.entry(section).or_default() += 1;
        }
    }
    (counts, eie)
}

fn got(record: &Record, ods: &str) -> HashMap<&'static str, usize> {
    let mut counts = HashMap::new();
    for s in &record.sections {
        let key = match s.kind {
            SectionKind::Problems => "problems",
            SectionKind::Medications => "medications",
            SectionKind::Allergies => "allergies",
            SectionKind::Results | SectionKind::Radiology => "results",
            SectionKind::Encounters => "encounters",
            SectionKind::Documents => "documents",
            SectionKind::Immunisations => "immunisations",
            SectionKind::Referrals => "referrals",
            SectionKind::CarePlans => "care_plans",
        };
        let n = s
            .entries
            .iter()
            .filter(|e| e.source.ods_code == ods)
            .count();
        if n > 0 {
            *counts.entry(key).or_default() += n;
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uk_core_and_synthea_records_replayed_over_http_give_the_counts_of_an_independent_walk() {
    let Some(fx) = fixtures() else { return };
    let cases = [
        ("9434765919", fx.join("fhir-r4-ukcore"), "RR8"),
        (
            "4010232137",
            fx.join("fhir-r4-synthea/Judson_Eichmann_34d4fd7e-b2b6-42fc-adb5-09db196b8662.json"),
            "RAE",
        ),
        (
            "9690937278",
            fx.join("fhir-r4-synthea/Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json"),
            "RCD",
        ),
    ];
    let replay = cases
        .iter()
        .map(|(nhs, path, ods)| ReplayRule {
            nhs_number: nhs.to_string(),
            path: path.clone(),
            kind: ReplayKind::FhirR4,
            source: Some(ods.to_string()),
        })
        .collect();
    let sim = mcr_sim::start(mcr_sim::SimConfig {
        patients: 1_000,
        replay,
        ..Default::default()
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let registry = data.path().join("sources.toml");
    std::fs::write(
        &registry,
        mcr_sim::gateway_registry::registry_toml(&sim, 10_000),
    )
    .unwrap();
    let mut config = Config::for_demo(data.path().join("db"), PathBuf::from("."), String::new());
    config.sources = Some(registry);
    let (base, server) = support::spawn_gateway(config).await;
    let http = reqwest::Client::new();
    for (nhs, path, ods) in &cases {
        // The provider tells the locator it holds this patient, with its own key.
        let token = mcr_sim::publisher::token(sim.state.config.seed, ods).unwrap();
        let resp = http
            .put(format!("{base}/api/v1/locator/pointers"))
            .bearer_auth(token)
            .json(&json!({"nhs_number": nhs, "source_id": ods.to_ascii_lowercase()}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let user = support::demo_token(&http, &base, "ae-doctor", nhs).await;
        let ctx = support::open_context(&http, &base, &user, nhs).await;
        let record: Record = support::get_record(&http, &base, &user, &ctx, "application/json")
            .await
            .json()
            .await
            .unwrap();
        let status = record
            .sources
            .iter()
            .find(|s| s.source.ods_code == *ods)
            .expect("the provider was asked");
        assert_eq!(
            status.state,
            SourceState::Answered,
            "{ods}: {:?}",
            status.message
        );
        let (want, eie) = expected(path);
        assert!(
            want.values().sum::<usize>() >= 5,
            "a real record, not an empty one: {want:?}"
        );
        assert_eq!(got(&record, ods), want, "{}", path.display());
        assert_eq!(status.entered_in_error, eie, "{}", path.display());
    }
    server.abort();
}
