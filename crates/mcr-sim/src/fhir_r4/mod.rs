//! Hospital, mental-health and community providers speaking FHIR R4 (UK Core shaped),
//! each under `/r4/{ods}`: `metadata`; `Patient` search by NHS number identifier (`GET`,
//! or `POST Patient/_search` with a form body so the number stays out of URLs) and read
//! by logical id; and search by logical patient id on the clinical resource types, with
//! `date`, `_lastUpdated`, `_count` and paging.
//!
//! A provider finds only patients it has seen; everyone else is an empty searchset, as
//! a real EPR answers.

pub mod resources;
pub mod search;

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use mcr_model::NhsNumber;
use serde_json::{Value, json};

use crate::gp_record::GpRecord;
use crate::hospital_record::HospitalRecord;
use crate::organisations::provider_by_ods;
use crate::population::Patient;
use crate::state::SimState;
use search::Search;

/// The R4 content type.
pub const FHIR_JSON_R4: &str = "application/fhir+json; fhirVersion=4.0";

/// Resource types searchable by patient.
pub const SEARCHABLE: &[&str] = &[
    "Encounter",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "AllergyIntolerance",
    "Observation",
    "DiagnosticReport",
    "DocumentReference",
    "Composition",
    "Immunization",
    "CarePlan",
];

type Params = Vec<(String, String)>;

/// The routes of every simulated provider.
pub fn router() -> Router<SimState> {
    Router::new()
        .route("/r4/{ods}/metadata", get(capability_statement))
        .route("/r4/{ods}/Patient", get(search_patients_get))
        .route(
            "/r4/{ods}/Patient/_search",
            axum::routing::post(search_patients_post),
        )
        .route("/r4/{ods}/Patient/{id}", get(read_patient))
        .route("/r4/{ods}/{resource_type}", get(search_resources_get))
        .route(
            "/r4/{ods}/{resource_type}/_search",
            axum::routing::post(search_resources_post),
        )
}

fn fhir(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, FHIR_JSON_R4)],
        serde_json::to_vec(body).unwrap_or_default(),
    )
        .into_response()
}

/// An R4 OperationOutcome body.
pub fn outcome_body(code: &str, diagnostics: &str) -> Value {
    json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    })
}

/// An R4 OperationOutcome response.
pub fn outcome(status: StatusCode, code: &str, diagnostics: &str) -> Response {
    fhir(status, &outcome_body(code, diagnostics))
}

/// The CapabilityStatement of `provider`.
pub fn capability_body(provider: &crate::organisations::Provider) -> Value {
    let date_params = json!([{"name": "date", "type": "date"}, {"name": "_lastUpdated", "type": "date"},
        {"name": "patient", "type": "reference"}, {"name": "_count", "type": "number"}]);
    let mut resources = vec![
        json!({"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "identifier", "type": "token"}]}),
    ];
    resources.extend(SEARCHABLE.iter().map(|t| json!({"type": t, "interaction": [{"code": "search-type"}], "searchParam": date_params})));
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2025-11-01",
        "publisher": provider.name,
        "kind": "instance",
        "software": {"name": "mcr-sim", "version": env!("CARGO_PKG_VERSION")},
        "implementation": {"description": format!("{} (simulated)", provider.name)},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json"],
        "rest": [{"mode": "server", "resource": resources}],
    })
}

fn base_url(headers: &HeaderMap, ods: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}/r4/{ods}")
}

async fn capability_statement(Path(ods): Path<String>) -> Response {
    match provider_by_ods(&ods) {
        Some((_, provider)) => fhir(StatusCode::OK, &capability_body(provider)),
        None => outcome(StatusCode::NOT_FOUND, "not-found", "unknown provider"),
    }
}

/// The patient behind `id` at provider `provider`, if the provider has seen them.
fn patient_by_id(state: &SimState, provider: usize, id: &str) -> Option<Patient> {
    let index = crate::ids::index_of(state.population.seed(), provider, id)?;
    state
        .population
        .patient(index)
        .filter(|p| p.providers.contains(&provider))
}

async fn read_patient(
    State(state): State<SimState>,
    Path((ods, id)): Path<(String, String)>,
) -> Response {
    let Some((provider, _)) = provider_by_ods(&ods) else {
        return outcome(StatusCode::NOT_FOUND, "not-found", "unknown provider");
    };
    if let Some(replay) = state.replays.r4_by_id(&ods, &id) {
        return fhir(StatusCode::OK, &replay.patient);
    }
    match patient_by_id(&state, provider, &id) {
        Some(p) => fhir(StatusCode::OK, &resources::patient(&p, &id)),
        None => outcome(StatusCode::NOT_FOUND, "not-found", "no such patient"),
    }
}

async fn search_patients_get(
    state: State<SimState>,
    ods: Path<String>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    search_patients(state, ods, headers, params)
}

async fn search_patients_post(
    state: State<SimState>,
    ods: Path<String>,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> Response {
    search_patients(state, ods, headers, params)
}

fn search_patients(
    State(state): State<SimState>,
    Path(ods): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    let Some((provider, _)) = provider_by_ods(&ods) else {
        return outcome(StatusCode::NOT_FOUND, "not-found", "unknown provider");
    };
    let Some((_, identifier)) = params.iter().find(|(k, _)| k == "identifier") else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "required",
            "search by identifier (NHS number)",
        );
    };
    let value = match identifier.split_once('|') {
        Some(("https://fhir.nhs.uk/Id/nhs-number", v)) | Some(("", v)) => v,
        Some(_) => {
            return fhir(
                StatusCode::OK,
                &search::searchset(vec![], &Search::default(), "", "", &[]),
            );
        }
        None => identifier.as_str(),
    };
    let Ok(nhs) = NhsNumber::parse(value) else {
        return outcome(StatusCode::BAD_REQUEST, "value", "invalid NHS number");
    };
    let seed = state.population.seed();
    let replayed = state
        .replays
        .r4_by_nhs(&ods, &nhs)
        .map(|r| r.patient.clone());
    let found: Vec<Value> = match replayed {
        Some(patient) => vec![patient],
        None => state
            .population
            .find(&nhs)
            .filter(|p| p.providers.contains(&provider))
            .map(|p| {
                // Asked about a patient it holds: the locator must know of them.
                state.publisher.first_seen(seed, provider, &p);
                resources::patient(&p, &crate::ids::patient_id(seed, provider, p.index))
            })
            .into_iter()
            .collect(),
    };
    let base = base_url(&headers, &ods);
    let search = Search {
        count: search::DEFAULT_COUNT,
        ..Search::default()
    };
    let mut bundle = search::searchset(found, &search, &format!("{base}/Patient"), &base, &[]);
    // The NHS number must not travel back in a link URL either.
    bundle["link"] = json!([]);
    fhir(StatusCode::OK, &bundle)
}

async fn search_resources_get(
    state: State<SimState>,
    path: Path<(String, String)>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    search_resources(state, path, headers, params)
}

async fn search_resources_post(
    state: State<SimState>,
    path: Path<(String, String)>,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> Response {
    search_resources(state, path, headers, params)
}

fn search_resources(
    State(state): State<SimState>,
    Path((ods, resource_type)): Path<(String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Response {
    let Some((provider, _)) = provider_by_ods(&ods) else {
        return outcome(StatusCode::NOT_FOUND, "not-found", "unknown provider");
    };
    let Some(resource_type) = SEARCHABLE.iter().find(|t| **t == resource_type) else {
        return outcome(
            StatusCode::NOT_FOUND,
            "not-supported",
            "resource type not supported",
        );
    };
    let search = match Search::parse(&params) {
        Ok(s) => s,
        Err(problem) => return outcome(StatusCode::BAD_REQUEST, "invalid", &problem),
    };
    let Some(id) = search.patient.clone() else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "required",
            "a patient parameter is required",
        );
    };
    let base = base_url(&headers, &ods);
    if let Some(replay) = state.replays.r4_by_id(&ods, &id) {
        // Replayed resources are served as they are: no date filtering.
        let matches = replay
            .resources
            .iter()
            .filter(|r| r["resourceType"] == *resource_type)
            .cloned()
            .collect();
        let url = format!("{base}/{resource_type}");
        return fhir(
            StatusCode::OK,
            &search::searchset(matches, &search, &url, &base, &params),
        );
    }
    let seed = state.population.seed();
    let matches: Vec<Value> = patient_by_id(&state, provider, &id)
        .and_then(|p| {
            let rec = HospitalRecord::generate(seed, &p, provider)?;
            // Only allergies and immunisations come from the GP side.
            let gp = if matches!(*resource_type, "AllergyIntolerance" | "Immunization") {
                GpRecord::generate(seed, &p)
            } else {
                GpRecord::default()
            };
            Some(resources::of_type(&p, &id, &rec, &gp, Some(resource_type)))
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.resource_type == *resource_type && search.accepts(f))
        .map(|f| f.resource)
        .collect();
    fhir(
        StatusCode::OK,
        &search::searchset(
            matches,
            &search,
            &format!("{base}/{resource_type}"),
            &base,
            &params,
        ),
    )
}
