//! The record across a whole simulated region: the demographics service, 80 practices
//! and five providers over real loopback HTTP; the stream's order and audit ordering;
//! sources that hang, fail or answer for someone else never spoil the others.
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mcr_gateway::config::Config;
use mcr_gateway::store;
use mcr_model::{Record, RecordEvent, SourceKind, SourceState};
use mcr_sim::faults::{Fault, FaultRule};
use mcr_sim::organisations::PROVIDERS;
use mcr_sim::population::Patient;
use serde_json::Value;
use sqlx::Connection;

struct Region {
    sim: mcr_sim::RunningSim,
    base: String,
    data: tempfile::TempDir,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for Region {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn region(deadline_ms: u64) -> Region {
    let sim = mcr_sim::start(mcr_sim::SimConfig {
        patients: 2_000,
        ..Default::default()
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let registry = data.path().join("sources.toml");
    std::fs::write(
        &registry,
        mcr_sim::gateway_registry::registry_toml(&sim, deadline_ms),
    )
    .unwrap();
    let mut config = Config::for_demo(data.path().join("db"), PathBuf::from("."), String::new());
    config.sources = Some(registry);
    let (base, server) = support::spawn_gateway(config).await;
    // The providers tell the locator whom they hold, signed with their own keys.
    let published = mcr_sim::publisher::publish_all(&sim.state, &base).await;
    assert!(
        published.failures.is_empty() && published.pointers > 0,
        "{published:?}"
    );
    Region {
        sim,
        base,
        data,
        http: reqwest::Client::new(),
        server,
    }
}

impl Region {
    /// A living, consenting patient seen by at least `providers` providers (whose
    /// pointers the simulator has published).
    fn patient_with_providers(&self, providers: usize) -> Patient {
        self.patient_where(|p| p.providers.len() >= providers && !p.huge_record)
    }

    /// The first living, consenting patient that `wanted` accepts.
    fn patient_where(&self, wanted: impl Fn(&Patient) -> bool) -> Patient {
        let population = &self.sim.state.population;
        (0..population.len())
            .filter_map(|i| population.patient(i))
            .find(|p| !p.dissented && p.deceased.is_none() && wanted(p))
            .expect("such a patient")
    }

    async fn open(&self, nhs: &str) -> (String, String) {
        let token = support::demo_token(&self.http, &self.base, "ae-doctor", nhs).await;
        let ctx = support::open_context(&self.http, &self.base, &token, nhs).await;
        (token, ctx)
    }

    async fn record(&self, token: &str, ctx: &str) -> Record {
        let resp =
            support::get_record(&self.http, &self.base, token, ctx, "application/json").await;
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    async fn stream(&self, token: &str, ctx: &str) -> Vec<RecordEvent> {
        let resp =
            support::get_record(&self.http, &self.base, token, ctx, "application/x-ndjson").await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
        let body = resp.text().await.unwrap();
        body.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    async fn db(&self) -> sqlx::SqliteConnection {
        let path = self.data.path().join("db").join(store::sqlite::DB_FILE);
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap()
    }
}

/// Makes every audit insert of `action` fail on the SQLite store at `conn`, as a full
/// disk would, through a trigger named `fail_` and the action with `_` for `.`.
async fn fail_audit_rows(conn: &mut sqlx::SqliteConnection, action: &str) {
    sqlx::query(&format!(
        "CREATE TRIGGER fail_{} BEFORE INSERT ON audit WHEN NEW.action = '{action}'
         BEGIN SELECT RAISE(ABORT, 'disk full'); END",
        action.replace('.', "_")
    ))
    .execute(conn)
    .await
    .unwrap();
}

fn sources_in(record: &Record) -> Vec<(SourceKind, SourceState)> {
    record
        .sources
        .iter()
        .map(|s| (s.source.kind, s.state))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_sends_patient_located_each_source_then_complete_each_audited_first() {
    let r = region(5_000).await;
    let p = r.patient_with_providers(2);
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    let events = r.stream(&token, &ctx).await;
    let RecordEvent::Patient {
        patient: Some(patient),
    } = &events[0]
    else {
        panic!("patient first: {:?}", events[0])
    };
    assert_eq!(patient.nhs_number, p.nhs_number);
    assert_eq!(
        patient.registered_practice.as_ref().unwrap().ods_code,
        p.practice_ods
    );
    let RecordEvent::Located { sources, .. } = &events[1] else {
        panic!("located second")
    };
    assert_eq!(
        sources.len(),
        1 + p.providers.len(),
        "the practice and every provider"
    );
    assert_eq!(sources[0].kind, SourceKind::GpPractice);
    let source_events = &events[2..events.len() - 1];
    assert_eq!(source_events.len(), sources.len());
    assert!(
        source_events
            .iter()
            .all(|e| matches!(e, RecordEvent::Source { .. }))
    );
    assert_eq!(events.last(), Some(&RecordEvent::Complete));
    // The access row first, naming the providers; the practice only once the
    // `record.practice` row names it; then one outcome row per source, in the order the
    // events were sent.
    let rows: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT action, detail FROM audit WHERE action LIKE 'record.%' ORDER BY seq",
    )
    .fetch_all(&mut r.db().await)
    .await
    .unwrap();
    assert_eq!(rows[0].0, "record.view");
    let access = rows[0].1.clone().unwrap();
    for provider in &sources[1..] {
        assert!(access.contains(&provider.id), "{access}");
    }
    assert!(!access.contains(&sources[0].id), "{access}");
    let practice_row = rows
        .iter()
        .position(|(a, _)| a == "record.practice")
        .expect("a record.practice row");
    assert_eq!(
        rows[practice_row].1.as_deref(),
        Some(format!("asking: {}", sources[0].id).as_str())
    );
    let practice_outcome = rows
        .iter()
        .position(|(a, d)| {
            a == "record.source"
                && d.as_deref()
                    .is_some_and(|d| d.starts_with(&format!("{}:", sources[0].id)))
        })
        .expect("the practice's outcome row");
    assert!(practice_row < practice_outcome);
    let outcome_sources: Vec<String> = rows
        .iter()
        .filter(|(a, _)| a == "record.source")
        .map(|(_, d)| d.clone().unwrap().split(':').next().unwrap().to_string())
        .collect();
    let sent_sources: Vec<String> = source_events
        .iter()
        .map(|e| match e {
            RecordEvent::Source { status, .. } => status.source.id.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(outcome_sources, sent_sources);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gp_and_hospital_entries_arrive_together_each_naming_its_source() {
    let r = region(5_000).await;
    let p = r.patient_with_providers(1);
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    let record = r.record(&token, &ctx).await;
    assert!(
        record
            .sources
            .iter()
            .all(|s| s.state == SourceState::Answered),
        "{:?}",
        sources_in(&record)
    );
    let kinds: std::collections::HashSet<SourceKind> = record
        .sections
        .iter()
        .flat_map(|s| s.entries.iter().map(|e| e.source.kind))
        .collect();
    assert!(kinds.contains(&SourceKind::GpPractice));
    assert!(kinds.len() >= 2, "hospital entries too: {kinds:?}");
    for section in &record.sections {
        for e in &section.entries {
            assert!(
                record.located.iter().any(|s| s.id == e.source.id),
                "every entry's source was located"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_practice_times_out_without_holding_back_the_hospitals() {
    let r = region(1_500).await;
    let p = r.patient_with_providers(1);
    r.sim.state.faults.add(FaultRule {
        source: p.practice_ods.clone(),
        latency: None,
        fault: Some(Fault::Hang),
        rate: 1.0,
    });
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    let started = Instant::now();
    let events = r.stream(&token, &ctx).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by the deadline"
    );
    let states: Vec<(SourceKind, SourceState)> = events
        .iter()
        .filter_map(|e| match e {
            RecordEvent::Source { status, .. } => Some((status.source.kind, status.state)),
            _ => None,
        })
        .collect();
    assert!(
        states.contains(&(SourceKind::GpPractice, SourceState::TimedOut)),
        "{states:?}"
    );
    assert!(
        states
            .iter()
            .any(|(k, s)| *k != SourceKind::GpPractice && *s == SourceState::Answered),
        "{states:?}"
    );
    // The hospitals' events were sent before the practice's timeout.
    let first_source = events.iter().find_map(|e| match e {
        RecordEvent::Source { status, .. } => Some(status.source.kind),
        _ => None,
    });
    assert_ne!(first_source, Some(SourceKind::GpPractice));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_patient_broken_and_failing_sources_each_get_their_own_status() {
    let r = region(5_000).await;
    let p = r.patient_with_providers(1);
    let hospital = PROVIDERS[p.providers[0]].ods;
    for (source, fault) in [
        (hospital.to_string(), Fault::WrongPatient),
        (p.practice_ods.clone(), Fault::MalformedJson),
    ] {
        r.sim.state.faults.add(FaultRule {
            source,
            latency: None,
            fault: Some(fault),
            rate: 1.0,
        });
    }
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    let record = r.record(&token, &ctx).await;
    let state_of = |id: &str| {
        record
            .sources
            .iter()
            .find(|s| s.source.ods_code == id)
            .map(|s| s.state)
    };
    assert_eq!(state_of(hospital), Some(SourceState::IdentityMismatch));
    assert_eq!(state_of(&p.practice_ods), Some(SourceState::Failed));
    // Nothing from either is shown.
    assert!(record.sections.iter().all(|s| {
        s.entries
            .iter()
            .all(|e| e.source.ods_code != hospital && e.source.ods_code != p.practice_ods)
    }));
    let patient = record
        .patient
        .expect("demographics from the demographics service");
    assert_eq!(patient.nhs_number, p.nhs_number);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_no_source_holds_gets_an_empty_located_list() {
    let r = region(5_000).await;
    let (token, ctx) = r.open("9434765919").await;
    let record = r.record(&token, &ctx).await;
    assert!(record.located.is_empty());
    assert!(record.sources.is_empty());
    assert!(record.patient.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_an_outcome_row_cannot_be_written_the_stream_is_aborted_before_any_source_data() {
    let r = region(5_000).await;
    let p = r.patient_with_providers(1);
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    fail_audit_rows(&mut r.db().await, "record.source").await;
    let events = r.stream(&token, &ctx).await;
    assert!(matches!(events[0], RecordEvent::Patient { .. }));
    assert!(matches!(events[1], RecordEvent::Located { .. }));
    assert!(
        matches!(events[2], RecordEvent::Aborted { .. }),
        "{:?}",
        events[2]
    );
    assert_eq!(events.len(), 3, "nothing after aborted");
    let resp = support::get_record(&r.http, &r.base, &token, &ctx, "application/json").await;
    assert_eq!(resp.status(), 503, "the whole-record form refuses instead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fhir_form_has_a_provenance_per_source_and_validates_with_two_validators() {
    let r = region(5_000).await;
    let p = r.patient_with_providers(2);
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    let resp = support::get_record(&r.http, &r.base, &token, &ctx, "application/fhir+json").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/fhir+json");
    let bundle: Value = resp.json().await.unwrap();
    let entries = bundle["entry"].as_array().unwrap();
    let count = |t: &str| {
        entries
            .iter()
            .filter(|e| e["resource"]["resourceType"] == t)
            .count()
    };
    assert_eq!(count("Patient"), 1);
    assert_eq!(count("Provenance"), 1 + p.providers.len());
    assert!(count("Condition") + count("MedicationStatement") > 0);

    support::validate_r4(std::slice::from_ref(&bundle));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_rate_limits_truncated_and_dripping_answers_fail_only_their_source() {
    let r = region(1_500).await;
    let p = r.patient_with_providers(1);
    let faults = [
        (Fault::Status { status: 503 }, SourceState::Failed),
        (
            Fault::TooManyRequests { retry_after_s: 30 },
            SourceState::Failed,
        ),
        (Fault::Truncated, SourceState::Failed),
        (
            Fault::SlowDrip {
                bytes_per_second: 20,
            },
            SourceState::TimedOut,
        ),
    ];
    for (fault, expected) in faults {
        r.sim.state.faults.replace(vec![FaultRule {
            source: p.practice_ods.clone(),
            latency: None,
            fault: Some(fault.clone()),
            rate: 1.0,
        }]);
        let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
        let record = r.record(&token, &ctx).await;
        let gp = record
            .sources
            .iter()
            .find(|s| s.source.kind == SourceKind::GpPractice)
            .unwrap();
        assert_eq!(gp.state, expected, "{fault:?}: {:?}", gp.message);
        assert!(
            record.sources.iter().any(
                |s| s.source.kind != SourceKind::GpPractice && s.state == SourceState::Answered
            ),
            "{fault:?}: the hospitals still answer"
        );
        assert!(record.sections.iter().all(|s| {
            s.entries
                .iter()
                .all(|e| e.source.kind != SourceKind::GpPractice)
        }));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_stops_the_view_and_its_upstream_calls() {
    let r = region(2_000).await;
    let p = r.patient_with_providers(1);
    r.sim.state.faults.add(FaultRule {
        source: p.practice_ods.clone(),
        latency: None,
        fault: Some(Fault::Hang),
        rate: 1.0,
    });
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    let mut resp =
        support::get_record(&r.http, &r.base, &token, &ctx, "application/x-ndjson").await;
    // Read until the first source event (a provider's), then hang up.
    let mut seen = String::new();
    while !seen.contains("\"event\":\"source\"") {
        let chunk = resp.chunk().await.unwrap().expect("more events");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(resp);
    // Past the practice's deadline: had the view gone on, its timeout would be audited.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let outcomes: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT detail FROM audit WHERE action = 'record.source' ORDER BY seq")
            .fetch_all(&mut r.db().await)
            .await
            .unwrap();
    let sent = seen.matches("\"event\":\"source\"").count();
    assert!(
        outcomes.len() <= sent + 1,
        "at most the outcome in flight when the client left: {outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|(d,)| !d.as_deref().unwrap_or_default().contains("TimedOut")),
        "the practice's call was cancelled, not timed out: {outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensitive_items_are_withheld_and_counted_never_sent() {
    let r = region(5_000).await;
    // A patient with a sensitive problem and a GP consultation whose note names it in
    // free text ("Review of chlamydial infection. …").
    let seed = r.sim.state.population.seed();
    let p = r.patient_where(|p| {
        p.has_sensitive_items()
            && mcr_sim::gp_record::GpRecord::generate(seed, p)
                .consultations
                .iter()
                .any(|c| {
                    c.problem.is_some_and(|problem| {
                        p.problems
                            .iter()
                            .any(|x| x.sensitive && x.concept == problem)
                    })
                })
    });
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    let resp = support::get_record(&r.http, &r.base, &token, &ctx, "application/x-ndjson").await;
    let body = resp.text().await.unwrap();
    let lower = body.to_lowercase();
    // Neither the code nor the term is sent: not as a coded entry, and not in the free
    // text of a consultation note about it.
    for (code, term) in [
        ("105629000", "chlamydial infection"),
        ("52637005", "in vitro fertilization"),
        ("93461009", "gender dysphoria"),
        ("86406008", "human immunodeficiency virus infection"),
    ] {
        assert!(!body.contains(code), "code {code} left the gateway");
        assert!(!lower.contains(term), "{term} left the gateway");
    }
    let events: Vec<RecordEvent> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let withheld: u32 = events
        .iter()
        .filter_map(|e| match e {
            RecordEvent::Source { status, .. } => Some(status.withheld),
            _ => None,
        })
        .sum();
    assert!(withheld >= 1, "the withheld items are counted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_social_worker_searches_with_birth_date_and_sees_only_the_social_care_dataset() {
    use mcr_sim::organisations::ProviderKind;
    let r = region(5_000).await;
    let p = r.patient_where(|p| {
        p.providers
            .iter()
            .any(|i| PROVIDERS[*i].kind == ProviderKind::MentalHealth)
            && p.providers
                .iter()
                .any(|i| PROVIDERS[*i].kind == ProviderKind::AcuteTrust)
            && !p.huge_record
    });
    let nhs = p.nhs_number.as_digits();
    let token = support::demo_token(&r.http, &r.base, "social-worker", "").await;
    let open = |body: Value| {
        let (http, base, token) = (r.http.clone(), r.base.clone(), token.clone());
        async move {
            http.post(format!("{base}/api/v1/contexts"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // A search needs a reason and the date of birth, and the date must match.
    let no_dob = open(serde_json::json!({"nhs_number": nhs, "reason": "safeguarding"})).await;
    assert_eq!(no_dob.status(), 400);
    assert_eq!(
        no_dob.json::<Value>().await.unwrap()["code"],
        "birth_date_required"
    );
    let wrong = open(serde_json::json!({"nhs_number": nhs, "reason": "safeguarding", "birth_date": "1900-01-01"})).await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["code"],
        "patient_not_matched"
    );
    let opened: Value = open(serde_json::json!({"nhs_number": nhs, "reason": "safeguarding", "birth_date": p.birth_date}))
        .await
        .json()
        .await
        .unwrap();
    let ctx = opened["context_id"].as_str().expect("a context");

    let events = r.stream(&token, ctx).await;
    let RecordEvent::Located { sources, dataset } = &events[1] else {
        panic!("located second: {:?}", events[1])
    };
    let dataset = dataset.as_ref().expect("the dataset is announced");
    assert_eq!(dataset.name, "social-care dataset");
    // The mental-health trust is neither asked nor named.
    assert!(
        sources.iter().all(|s| s.kind != SourceKind::MentalHealth),
        "{sources:?}"
    );
    assert!(sources.iter().any(|s| s.kind == SourceKind::AcuteTrust));
    for event in &events {
        if let RecordEvent::Source { status, sections } = event {
            assert_ne!(status.source.kind, SourceKind::MentalHealth);
            for section in sections {
                assert!(
                    dataset.sections.contains(&section.kind),
                    "{:?} sent",
                    section.kind
                );
                for e in &section.entries {
                    if section.kind == mcr_model::SectionKind::Encounters {
                        assert!(
                            e.detail.is_none() && e.narrative.is_none(),
                            "narrative sent"
                        );
                    }
                    if matches!(
                        section.kind,
                        mcr_model::SectionKind::Problems | mcr_model::SectionKind::Medications
                    ) {
                        assert!(
                            !matches!(
                                e.status.as_deref(),
                                Some("resolved" | "inactive" | "stopped" | "completed")
                            ),
                            "{:?}",
                            e.status
                        );
                    }
                }
            }
        }
    }
    // A clinician launched for the same patient sees the mental-health trust and results.
    let (doctor, doctor_ctx) = r.open(&nhs).await;
    let whole = r.record(&doctor, &doctor_ctx).await;
    assert!(whole.dataset.is_none());
    assert!(
        whole
            .sources
            .iter()
            .any(|s| s.source.kind == SourceKind::MentalHealth)
    );

    // The search, with its reason and the date-of-birth check, is on record.
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT action, outcome, detail FROM audit WHERE user_id = 'social-worker' AND action = 'context.open' ORDER BY seq",
    )
    .fetch_all(&mut r.db().await)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            (
                "context.open".into(),
                "refused".into(),
                Some("patient_not_matched".into())
            ),
            (
                "context.open".into(),
                "allowed".into(),
                Some("safeguarding (date of birth matched)".into())
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_of_someone_sharing_the_users_surname_is_marked_for_the_snooping_report() {
    let r = region(5_000).await;
    // The demo ward nurse is Tom Bennett.
    let p = r.patient_where(|p| p.family == "Bennett" && !p.huge_record);
    let nhs = p.nhs_number.as_digits();
    let token = support::demo_token(&r.http, &r.base, "ward-nurse", &nhs).await;
    let ctx = support::open_context(&r.http, &r.base, &token, &nhs).await;
    let _ = r.record(&token, &ctx).await;
    let other = r.patient_where(|p| p.family != "Bennett" && !p.huge_record);
    let other_nhs = other.nhs_number.as_digits();
    let token = support::demo_token(&r.http, &r.base, "ward-nurse", &other_nhs).await;
    let ctx = support::open_context(&r.http, &r.base, &token, &other_nhs).await;
    let _ = r.record(&token, &ctx).await;
    // The patient's name comes from the demographics service, so the mark is on the
    // row written when it answers, before the practice is asked.
    let views: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT nhs_number, detail FROM audit WHERE action = 'record.practice' ORDER BY seq",
    )
    .fetch_all(&mut r.db().await)
    .await
    .unwrap();
    let marked = |n: &str| {
        views.iter().any(|(v, d)| {
            v == n
                && d.as_deref()
                    .is_some_and(|d| d.contains(mcr_gateway::audit::report::SAME_SURNAME))
        })
    };
    assert!(marked(&nhs), "{views:?}");
    assert!(!marked(&other_nhs), "{views:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_source_can_be_asked_again_alone_and_the_retry_is_audited() {
    let r = region(5_000).await;
    let p = r.patient_with_providers(1);
    let hospital = PROVIDERS[p.providers[0]].ods;
    r.sim.state.faults.add(FaultRule {
        source: hospital.to_string(),
        latency: None,
        fault: Some(Fault::Status { status: 500 }),
        rate: 1.0,
    });
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    let first = r.record(&token, &ctx).await;
    let failed = first
        .sources
        .iter()
        .find(|s| s.source.ods_code == hospital)
        .expect("the hospital was asked");
    assert_eq!(failed.state, SourceState::Failed);
    let id = failed.source.id.clone();

    // The source recovers; the retry asks it and nobody else.
    r.sim.state.faults.replace(vec![]);
    let resp = r
        .http
        .get(format!(
            "{}/api/v1/contexts/{ctx}/record?source={id}",
            r.base
        ))
        .header("Accept", "application/x-ndjson")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let events: Vec<RecordEvent> = resp
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let located: Vec<&str> = events
        .iter()
        .find_map(|e| match e {
            RecordEvent::Located { sources, .. } => {
                Some(sources.iter().map(|s| s.id.as_str()).collect())
            }
            _ => None,
        })
        .expect("a located event");
    assert_eq!(located, [id.as_str()]);
    let answered: Vec<(String, SourceState, usize)> = events
        .iter()
        .filter_map(|e| match e {
            RecordEvent::Source { status, sections } => Some((
                status.source.id.clone(),
                status.state,
                sections.iter().map(|s| s.entries.len()).sum(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(answered.len(), 1);
    assert_eq!(
        (answered[0].0.as_str(), answered[0].1),
        (id.as_str(), SourceState::Answered)
    );
    assert!(answered[0].2 > 0, "the hospital's entries arrive");
    assert!(matches!(events.last(), Some(RecordEvent::Complete)));

    let mut db = r.db().await;
    let retries: Vec<(Option<String>,)> = sqlx::query_as(
        "SELECT detail FROM audit WHERE action = 'record.view' AND detail LIKE 'retry; %'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert_eq!(retries.len(), 1, "the retry has its own access row");
    assert!(retries[0].0.as_deref().unwrap().contains(&id));

    // A source the record is not located at, or a malformed query, is refused.
    for (query, status) in [
        ("source=nowhere", 404),
        ("source=a%20b", 400),
        ("other=1", 400),
    ] {
        let resp = r
            .http
            .get(format!("{}/api/v1/contexts/{ctx}/record?{query}", r.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{query}");
    }
}

/// A stand-in GP practice that only counts the requests it gets (and fails them).
async fn counting_practice() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let asked = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let app = axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, asked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_source_is_asked_before_the_access_row_is_committed() {
    use std::sync::atomic::Ordering;
    let (gp_url, asked) = counting_practice().await;
    let data = tempfile::tempdir().unwrap();
    let config = Config::for_demo(data.path().to_path_buf(), PathBuf::from("."), gp_url);
    let (base, server) = support::spawn_gateway(config).await;
    let http = reqwest::Client::new();
    let nhs = mcr_sim::population::nhs_for_index(0).as_digits();
    let token = support::demo_token(&http, &base, "ae-doctor", &nhs).await;
    let ctx = support::open_context(&http, &base, &token, &nhs).await;
    let db = data.path().join(store::sqlite::DB_FILE);
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    fail_audit_rows(&mut conn, "record.view").await;
    for accept in ["application/json", "application/x-ndjson"] {
        let resp = support::get_record(&http, &base, &token, &ctx, accept).await;
        assert_eq!(resp.status(), 503, "{accept}");
        let error: mcr_model::ApiError = resp.json().await.unwrap();
        assert_eq!(error.code, "audit_unavailable");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(asked.load(Ordering::SeqCst), 0, "the practice was asked");
    // Once the access can be recorded, the practice is asked (the counter counts).
    sqlx::query("DROP TRIGGER fail_record_view")
        .execute(&mut conn)
        .await
        .unwrap();
    let resp = support::get_record(&http, &base, &token, &ctx, "application/json").await;
    assert_eq!(resp.status(), 200);
    assert!(asked.load(Ordering::SeqCst) >= 1);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registered_practice_is_not_asked_unless_the_row_naming_it_is_committed() {
    let r = region(5_000).await;
    let p = r.patient_with_providers(1);
    let (token, ctx) = r.open(&p.nhs_number.as_digits()).await;
    fail_audit_rows(&mut r.db().await, "record.practice").await;
    let events = r.stream(&token, &ctx).await;
    assert!(
        matches!(events.as_slice(), [RecordEvent::Aborted { .. }]),
        "only aborted: {events:?}"
    );
    let practice = format!("gp-{}:", p.practice_ods.to_ascii_lowercase());
    let outcomes: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT detail FROM audit WHERE action = 'record.source'")
            .fetch_all(&mut r.db().await)
            .await
            .unwrap();
    assert!(
        outcomes
            .iter()
            .all(|(d,)| !d.as_deref().unwrap_or("").starts_with(&practice)),
        "{outcomes:?}"
    );
}
