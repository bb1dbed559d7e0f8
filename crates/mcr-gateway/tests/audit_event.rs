//! The FHIR AuditEvent export of what a real gateway recorded: a clinician's launch and
//! record view and a privacy officer's search, exported by `mcr-gateway audit export
//! --format fhir` from the gateway's SQLite file, are in IHE BALP's PatientRead and
//! PatientQuery shape with the client's address as the connection gave it, and every
//! event passes two third-party FHIR R4 validators.
#![allow(missing_docs)]

mod support;

use std::process::Command;

use mcr_sim::population::nhs_for_index;
use serde_json::Value;

const READ: &str =
    "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead";
const QUERY: &str =
    "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientQuery";

fn action(event: &Value) -> &str {
    event["subtype"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["system"] == "urn:mcr:audit-action")
        .and_then(|s| s["code"].as_str())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_audit_events_are_balp_patient_reads_and_queries_and_valid_fhir() {
    let (base, data, _sim, server) = support::demo_stack(|_| {}).await;
    let http = reqwest::Client::new();
    let nhs = nhs_for_index(0).as_digits();

    let doctor = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let ctx = support::open_context(&http, &base, &doctor, &nhs).await;
    let record = support::get_record(&http, &base, &doctor, &ctx, "application/json").await;
    assert_eq!(record.status(), 200);
    let request_id = record.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let officer = support::demo_token(&http, &base, "privacy-officer", "").await;
    support::search_context(&http, &base, &officer, &nhs, "complaint investigation").await;

    let out = Command::new(env!("CARGO_BIN_EXE_mcr-gateway"))
        .args([
            "audit",
            "export",
            "--since",
            "2000-01-01T00:00:00Z",
            "--format",
            "fhir",
        ])
        .args(["--server", "gateway.test"])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();

    // The record view: a PatientRead naming the patient, the request and the client.
    let view = events
        .iter()
        .find(|e| action(e) == "record.view")
        .expect("the view's access row");
    assert_eq!(view["meta"]["profile"][0], READ);
    assert_eq!(view["action"], "R");
    let client = view["agent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["type"]["coding"][0]["code"] == "110152")
        .expect("the client agent");
    assert_eq!(client["network"]["address"], "127.0.0.1", "the TCP peer");
    let entities = view["entity"].as_array().unwrap();
    assert!(
        entities
            .iter()
            .any(|e| e["what"]["identifier"]["value"] == nhs.as_str() && e["role"]["code"] == "1")
    );
    assert!(entities.iter().any(|e| e["type"]["code"] == "XrequestId"
        && e["what"]["identifier"]["value"] == request_id.as_str()));
    // Each source's outcome row is a read of that source's answer.
    let source = events
        .iter()
        .find(|e| action(e) == "record.source" || action(e) == "record.practice")
        .expect("a source's outcome row");
    assert_eq!(source["meta"]["profile"][0], READ);

    // The officer's search: a PatientQuery with the reason.
    let search = events
        .iter()
        .find(|e| {
            action(e) == "context.open"
                && e["agent"][0]["who"]["identifier"]["value"] == "privacy-officer"
        })
        .expect("the search's row");
    assert_eq!(search["meta"]["profile"][0], QUERY);
    assert!(search["entity"].as_array().unwrap().iter().any(|e| {
        e["role"]["code"] == "24"
            && e["description"]
                .as_str()
                .unwrap()
                .contains("complaint investigation")
    }));
    server.abort();

    // Every event is valid FHIR R4 to two independent validators.
    support::validate_r4(&events);
}
