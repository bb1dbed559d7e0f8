//! The authorisation matrix: every role × relationship (launch-bound, searched with a
//! reason, neither, break-glass) × endpoint, with the status and the audit row expected
//! written out by hand from the role table of the design (§5) — not read from the
//! policy configuration the gateway enforces — and, where the record is returned, the
//! sections each role sees.
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use mcr_gateway::config::Config;
use mcr_sim::population::{Patient, Population};
use serde_json::{Value, json};
use sqlx::Connection;

const ISSUER: &str = "https://issuer.test";
const PATIENTS: usize = 60;

/// What a request should get: its status, its refusal code (if any), and the audit row
/// it should leave (action, outcome), or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expect {
    status: u16,
    code: Option<&'static str>,
    row: Option<(&'static str, &'static str)>,
}

const fn ok(status: u16, action: &'static str) -> Expect {
    Expect {
        status,
        code: None,
        row: Some((action, "allowed")),
    }
}

const fn refused(code: &'static str, action: &'static str) -> Expect {
    Expect {
        status: 403,
        code: Some(code),
        row: Some((action, "refused")),
    }
}

const fn bad(code: &'static str) -> Expect {
    Expect {
        status: 400,
        code: Some(code),
        row: None,
    }
}

struct World {
    http: reqwest::Client,
    base: String,
    key: EncodingKey,
    db: PathBuf,
    _data: tempfile::TempDir,
    _sim: mcr_sim::RunningSim,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl World {
    async fn new() -> Self {
        let (key, jwk) = support::es256_key(11);
        let (jwks_url, _) = support::serve_json(json!({"keys": [jwk]})).await;
        let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), PATIENTS)
            .await
            .unwrap();
        let data = tempfile::tempdir().unwrap();
        let mut config =
            Config::for_demo(data.path().into(), PathBuf::from("."), sim.gp_base_url());
        config.pds_url = Some(sim.pds_url());
        config.issuer = Some(ISSUER.into());
        config.jwks_url = Some(jwks_url);
        let (base, server) = support::spawn_gateway(config).await;
        World {
            http: reqwest::Client::new(),
            base,
            key,
            db: data.path().join(mcr_gateway::store::sqlite::DB_FILE),
            _data: data,
            _sim: sim,
            server,
        }
    }

    /// A token for user `sub` with `role`, launched for `patient` if given.
    fn token(&self, sub: &str, role: Option<&str>, patient: Option<&Patient>) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = json!({"iss": ISSUER, "aud": "mcr-gateway", "sub": sub, "name": sub,
            "org": "Y91001", "iat": now, "nbf": now, "exp": now + 600});
        if let Some(role) = role {
            claims["role"] = role.into();
        }
        if let Some(p) = patient {
            claims["patient"] = p.nhs_number.as_digits().into();
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("k1".into());
        encode(&header, &claims, &self.key).unwrap()
    }

    async fn send(&self, request: reqwest::RequestBuilder, token: &str) -> (u16, Value) {
        let response = request.bearer_auth(token).send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    async fn open(&self, token: &str, body: Value) -> (u16, Value) {
        let url = format!("{}/api/v1/contexts", self.base);
        self.send(self.http.post(url).json(&body), token).await
    }

    /// The audit rows of `sub` after `after`, without the per-source rows of a view.
    async fn rows(&self, sub: &str, after: i64) -> Vec<(i64, String, String, Option<String>)> {
        let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", self.db.display()))
            .await
            .unwrap();
        sqlx::query_as(
            "SELECT seq, action, outcome, detail FROM audit WHERE user_id = ? AND seq > ? \
             AND action NOT IN ('record.practice', 'record.source') ORDER BY seq",
        )
        .bind(sub)
        .bind(after)
        .fetch_all(&mut db)
        .await
        .unwrap()
    }

    async fn head(&self) -> i64 {
        let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{}", self.db.display()))
            .await
            .unwrap();
        sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM audit")
            .fetch_one(&mut db)
            .await
            .unwrap()
    }

    /// Sends `request` as `sub` and checks the status, the refusal code and the one audit
    /// row it left; returns the body and that row's detail.
    async fn check(
        &self,
        what: &str,
        sub: &str,
        token: &str,
        request: reqwest::RequestBuilder,
        expect: Expect,
    ) -> (Value, Option<String>) {
        let before = self.head().await;
        let (status, body) = self.send(request, token).await;
        assert_eq!(status, expect.status, "{what}: {body}");
        if let Some(code) = expect.code {
            assert_eq!(body["code"], code, "{what}: {body}");
        }
        let rows = self.rows(sub, before).await;
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|(_, a, o, _)| (a.as_str(), o.as_str()))
            .collect();
        let wanted: Vec<(&str, &str)> = expect.row.into_iter().collect();
        assert_eq!(got, wanted, "{what}: audit rows");
        if let (Some(code), Some((_, _, _, detail))) = (expect.code, rows.first()) {
            assert_eq!(
                detail.as_deref(),
                Some(code),
                "{what}: the row names the refusal"
            );
        }
        (body, rows.first().and_then(|r| r.3.clone()))
    }
}

/// How a role opens a context for `p` in the relationship it is allowed, if any.
fn opening(role: Option<&str>, p: &Patient) -> Option<(bool, Value)> {
    let nhs = p.nhs_number.as_digits();
    match role {
        Some("hospital-clinician" | "gp-clinician" | "patient") => {
            Some((true, json!({"nhs_number": nhs})))
        }
        Some("social-worker") => Some((
            false,
            json!({"nhs_number": nhs, "reason": "safeguarding referral", "birth_date": p.birth_date}),
        )),
        Some("privacy-officer") => Some((
            false,
            json!({"nhs_number": nhs, "reason": "complaint investigation"}),
        )),
        _ => None,
    }
}

fn sub_of(role: Option<&str>) -> String {
    format!("user-{}", role.unwrap_or("none"))
}

fn section_kinds(record: &Value) -> BTreeSet<String> {
    record["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_and_relationship_gets_what_the_design_table_says_and_is_audited() {
    let w = World::new().await;
    let population = Population::new(PATIENTS);
    // A patient with results, ended medicines and resolved problems, so that the
    // social-care dataset has something to leave out; and one who will dissent.
    let ordinary = |p: &Patient| {
        !p.dissented
            && !p.huge_record
            && !p.gp_withholds_items
            && !p.data_in_transit
            && !p.awaiting_filing
            && p.deceased.is_none()
    };
    let a = population
        .first_where(0, |p| {
            ordinary(p)
                && p.problems
                    .iter()
                    .any(|x| x.resolved.is_some() && !x.sensitive)
                && p.medicines.iter().any(|m| !m.is_current())
        })
        .expect("a patient with ended items");
    let b = population
        .first_where(a.index + 1, ordinary)
        .expect("another patient");
    let other = population
        .first_where(b.index + 1, ordinary)
        .expect("a third patient");
    let a_nhs = a.nhs_number.as_digits();

    // 1. Opening a context for A, by each relationship. Written from the table: clinicians
    // and patients open by launch only; social workers (with date of birth) and privacy
    // officers by search with a reason only; anyone else not at all. A search with no
    // reason is a 400 for those who may search; a launch for another patient is always a
    // mismatch.
    let launch = json!({"nhs_number": a_nhs});
    let search =
        json!({"nhs_number": a_nhs, "reason": "safeguarding referral", "birth_date": a.birth_date});
    let neither = json!({"nhs_number": a_nhs});
    const OPEN: &str = "context.open";
    let table: [(Option<&str>, Expect, Expect, Expect, Expect); 7] = [
        // role, launched for A, searched with reason, neither, launched for another
        (
            Some("hospital-clinician"),
            ok(201, OPEN),
            refused("search_not_permitted", OPEN),
            refused("search_not_permitted", OPEN),
            refused("patient_context_mismatch", OPEN),
        ),
        (
            Some("gp-clinician"),
            ok(201, OPEN),
            refused("search_not_permitted", OPEN),
            refused("search_not_permitted", OPEN),
            refused("patient_context_mismatch", OPEN),
        ),
        (
            Some("social-worker"),
            refused("launch_not_permitted", OPEN),
            ok(201, OPEN),
            bad("reason_required"),
            refused("patient_context_mismatch", OPEN),
        ),
        (
            Some("privacy-officer"),
            refused("launch_not_permitted", OPEN),
            ok(201, OPEN),
            bad("reason_required"),
            refused("patient_context_mismatch", OPEN),
        ),
        (
            Some("patient"),
            ok(201, OPEN),
            refused("search_not_permitted", OPEN),
            refused("search_not_permitted", OPEN),
            refused("patient_context_mismatch", OPEN),
        ),
        (
            Some("receptionist"),
            refused("launch_not_permitted", OPEN),
            refused("search_not_permitted", OPEN),
            refused("search_not_permitted", OPEN),
            refused("patient_context_mismatch", OPEN),
        ),
        (
            None,
            refused("launch_not_permitted", OPEN),
            refused("search_not_permitted", OPEN),
            refused("search_not_permitted", OPEN),
            refused("patient_context_mismatch", OPEN),
        ),
    ];
    let url = format!("{}/api/v1/contexts", w.base);
    for (role, by_launch, by_search, by_neither, for_another) in table {
        let sub = sub_of(role);
        let cases = [
            (
                "launched",
                w.token(&sub, role, Some(&a)),
                &launch,
                by_launch,
            ),
            ("searched", w.token(&sub, role, None), &search, by_search),
            ("neither", w.token(&sub, role, None), &neither, by_neither),
            (
                "launched for another patient",
                w.token(&sub, role, Some(&other)),
                &launch,
                for_another,
            ),
        ];
        for (how, token, body, expect) in cases {
            let what = format!("{role:?} opening, {how}");
            w.check(&what, &sub, &token, w.http.post(&url).json(body), expect)
                .await;
        }
    }

    // 2. What each role may do within its own context for A (no dissent). Written from
    // the table: clinicians read the record and comments and write comments; social
    // workers read the record (their dataset) and comments; privacy officers read the
    // access log and the dissent register and review break-glass use; patients read
    // their own access log; nothing else.
    const RECORD: &str = "record.view";
    const COMMENTS: &str = "comments.read";
    const ADD: &str = "comment.add";
    const LOG: &str = "access_log.read";
    const DISSENT: &str = "dissent.read";
    const REVIEW: &str = "break_glass.list";
    let no_role = "role_not_permitted";
    #[rustfmt::skip]
    let uses: [(Option<&str>, [Expect; 6]); 5] = [
        // role: record, comments, add a comment, access log, dissent register, break-glass review
        (Some("hospital-clinician"), [ok(200, RECORD), ok(200, COMMENTS), ok(201, ADD), refused(no_role, LOG), refused(no_role, DISSENT), refused(no_role, REVIEW)]),
        (Some("gp-clinician"), [ok(200, RECORD), ok(200, COMMENTS), ok(201, ADD), refused(no_role, LOG), refused(no_role, DISSENT), refused(no_role, REVIEW)]),
        (Some("social-worker"), [ok(200, RECORD), ok(200, COMMENTS), refused(no_role, ADD), refused(no_role, LOG), refused(no_role, DISSENT), refused(no_role, REVIEW)]),
        (Some("privacy-officer"), [refused(no_role, RECORD), refused(no_role, COMMENTS), refused(no_role, ADD), ok(200, LOG), ok(200, DISSENT), ok(200, REVIEW)]),
        (Some("patient"), [refused(no_role, RECORD), refused(no_role, COMMENTS), refused(no_role, ADD), ok(200, LOG), refused(no_role, DISSENT), refused(no_role, REVIEW)]),
    ];
    let mut sections_seen = Vec::new();
    for (role, expected) in uses {
        let sub = sub_of(role);
        let (launched, body) = opening(role, &a).unwrap();
        let token = w.token(&sub, role, launched.then_some(&a));
        let (status, created) = w.open(&token, body).await;
        assert_eq!(status, 201, "{role:?}: {created}");
        let ctx = created["context_id"].as_str().unwrap();
        let at = |path: &str| format!("{}/api/v1/contexts/{ctx}/{path}", w.base);
        let requests = [
            (
                "record",
                w.http
                    .get(at("record"))
                    .header("Accept", "application/json"),
            ),
            ("comments", w.http.get(at("comments"))),
            (
                "add a comment",
                w.http
                    .post(at("comments"))
                    .header("Idempotency-Key", format!("{sub}-comment"))
                    .json(&json!({"body": "Seen in A&E"})),
            ),
            ("access log", w.http.get(at("access-log"))),
            ("dissent register", w.http.get(at("dissent"))),
            (
                "break-glass review",
                w.http.get(format!("{}/api/v1/break-glass", w.base)),
            ),
        ];
        for ((name, request), expect) in requests.into_iter().zip(expected) {
            let what = format!("{role:?}: {name}");
            let (body, _) = w.check(&what, &sub, &token, request, expect).await;
            if name == "record" && expect.status == 200 {
                sections_seen.push((role, body));
            }
        }
    }

    // The sections each role sees of A's record. Clinicians: the whole record, the
    // same for both; social workers: the social-care dataset — allergies, active
    // problems, current medications, encounters without narrative, care plans; no
    // results, radiology, documents, immunisations or referrals.
    let [(_, hospital), (_, gp), (_, social)] = &sections_seen[..] else {
        panic!("three roles read the record: {sections_seen:?}");
    };
    assert_eq!(section_kinds(hospital), section_kinds(gp));
    assert!(hospital["dataset"].is_null() && gp["dataset"].is_null());
    let whole = section_kinds(hospital);
    for kind in ["problems", "medications", "results"] {
        assert!(whole.contains(kind), "clinicians see {kind}: {whole:?}");
    }
    let allowed: BTreeSet<String> = [
        "problems",
        "medications",
        "allergies",
        "encounters",
        "care_plans",
    ]
    .map(String::from)
    .into();
    let seen = section_kinds(social);
    assert!(seen.is_subset(&allowed), "social worker sees {seen:?}");
    assert!(seen.contains("problems") && seen.contains("medications"));
    assert_eq!(social["dataset"]["name"], "social-care dataset");
    let entries = |record: &Value, kind: &str| -> Vec<Value> {
        record["sections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == kind)
            .flat_map(|s| s["entries"].as_array().unwrap().clone())
            .collect()
    };
    let ended = |e: &Value| {
        matches!(
            e["status"].as_str().map(str::to_ascii_lowercase).as_deref(),
            Some("resolved" | "inactive" | "stopped" | "completed" | "ended")
        )
    };
    for kind in ["problems", "medications"] {
        assert!(
            entries(hospital, kind).iter().any(ended),
            "clinicians see ended {kind}"
        );
        assert!(
            !entries(social, kind).iter().any(ended),
            "social workers see current {kind} only"
        );
    }
    for e in entries(social, "encounters") {
        assert!(e["narrative"].is_null() && e["detail"].is_null(), "{e}");
    }

    // 3. Break-glass, for B, whose dissent a privacy officer records. Written from the
    // table: only clinicians may break the glass; with a grant they read the record,
    // flagged in the audit; everyone else stays refused — social workers by the
    // dissent, privacy officers and patients because their role never reads the record.
    let officer = sub_of(Some("privacy-officer"));
    let officer_token = w.token(&officer, Some("privacy-officer"), None);
    let (_, body) = opening(Some("privacy-officer"), &b).unwrap();
    let (_, created) = w.open(&officer_token, body).await;
    let officer_ctx = created["context_id"].as_str().unwrap();
    w.check(
        "the officer records B's dissent",
        &officer,
        &officer_token,
        w.http
            .put(format!("{}/api/v1/contexts/{officer_ctx}/dissent", w.base))
            .json(&json!({"reason": "patient's letter"})),
        Expect {
            status: 204,
            code: None,
            row: Some(("dissent.set", "allowed")),
        },
    )
    .await;
    const GLASS: &str = "break_glass.grant";
    let dissent = "patient_dissent";
    #[rustfmt::skip]
    let glass: [(Option<&str>, [Expect; 3]); 5] = [
        // role: record before, break the glass, record after
        (Some("hospital-clinician"), [refused(dissent, RECORD), ok(201, GLASS), ok(200, RECORD)]),
        (Some("gp-clinician"), [refused(dissent, RECORD), ok(201, GLASS), ok(200, RECORD)]),
        (Some("social-worker"), [refused(dissent, RECORD), refused(no_role, GLASS), refused(dissent, RECORD)]),
        (Some("privacy-officer"), [refused(no_role, RECORD), refused(no_role, GLASS), refused(no_role, RECORD)]),
        (Some("patient"), [refused(no_role, RECORD), refused(no_role, GLASS), refused(no_role, RECORD)]),
    ];
    for (role, [before, grant, after]) in glass {
        let sub = sub_of(role);
        let (launched, body) = opening(role, &b).unwrap();
        let token = w.token(&sub, role, launched.then_some(&b));
        let (status, created) = w.open(&token, body).await;
        assert_eq!(status, 201, "{role:?}: {created}");
        let ctx = created["context_id"].as_str().unwrap();
        let record = || {
            w.http
                .get(format!("{}/api/v1/contexts/{ctx}/record", w.base))
                .header("Accept", "application/json")
        };
        w.check(
            &format!("{role:?}: B's record"),
            &sub,
            &token,
            record(),
            before,
        )
        .await;
        let grant_request = w
            .http
            .post(format!("{}/api/v1/contexts/{ctx}/break-glass", w.base))
            .json(&json!({"code": "emergency-patient-cannot-be-asked", "reason": "unconscious in resus, allergy history needed"}));
        w.check(
            &format!("{role:?}: break the glass"),
            &sub,
            &token,
            grant_request,
            grant,
        )
        .await;
        let (body, detail) = w
            .check(
                &format!("{role:?}: B's record after"),
                &sub,
                &token,
                record(),
                after,
            )
            .await;
        if after.status == 200 {
            assert_eq!(body["patient"]["nhs_number"], b.nhs_number.as_digits());
            let detail = detail.unwrap_or_default();
            assert!(
                detail.starts_with("break-glass"),
                "the view is flagged: {detail}"
            );
        }
    }
    w.server.abort();
}

/// The role table is configuration: a registry naming its own roles replaces the
/// default table whole — its roles get what it says, and roles it leaves out nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_role_table_is_what_the_gateway_enforces() {
    let (key, jwk) = support::es256_key(12);
    let (jwks_url, _) = support::serve_json(json!({"keys": [jwk]})).await;
    let sim = mcr_sim::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), 8)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let registry = data.path().join("sources.toml");
    std::fs::write(
        &registry,
        support::with_one_practice(
            r#"
[policy.roles.paramedic]
opens_by = ["launch"]
may = ["record"]
dataset = "urgent-care"
[policy.datasets.urgent-care]
name = "urgent care dataset"
sections = ["allergies", "medications"]
current_only = ["medications"]
note = "allergies and current medications"
"#,
            &sim.gp_base_url(),
        ),
    )
    .unwrap();
    let mut config = Config::for_demo(data.path().join("db"), PathBuf::from("."), String::new());
    config.sources = Some(registry);
    config.issuer = Some(ISSUER.into());
    config.jwks_url = Some(jwks_url);
    let (base, server) = support::spawn_gateway(config).await;
    let http = reqwest::Client::new();
    let p = Population::new(8).patient(0).unwrap();
    let nhs = p.nhs_number.as_digits();
    let token = |role: &str| {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({"iss": ISSUER, "aud": "mcr-gateway", "sub": role, "role": role,
            "patient": nhs, "iat": now, "exp": now + 600});
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("k1".into());
        encode(&header, &claims, &key).unwrap()
    };
    let open = |token: String| {
        let (http, base, nhs) = (http.clone(), base.clone(), nhs.clone());
        async move {
            let r = http
                .post(format!("{base}/api/v1/contexts"))
                .bearer_auth(&token)
                .json(&json!({"nhs_number": nhs}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap(), token)
        }
    };
    // The default table's clinician is not in this region's table: refused.
    let (status, body, _) = open(token("hospital-clinician")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "launch_not_permitted");
    // The paramedic launches and reads the record in the urgent-care dataset; comments
    // are not theirs.
    let (status, body, paramedic) = open(token("paramedic")).await;
    assert_eq!(status, 201, "{body}");
    let ctx = body["context_id"].as_str().unwrap();
    let record = support::get_record(&http, &base, &paramedic, ctx, "application/json").await;
    assert_eq!(record.status(), 200);
    let record: Value = record.json().await.unwrap();
    assert_eq!(record["dataset"]["name"], "urgent care dataset");
    let kinds = section_kinds(&record);
    assert!(kinds.contains("medications"), "{kinds:?}");
    assert!(
        kinds.iter().all(|k| k == "allergies" || k == "medications"),
        "{kinds:?}"
    );
    let comments = http
        .get(format!("{base}/api/v1/contexts/{ctx}/comments"))
        .bearer_auth(&paramedic)
        .send()
        .await
        .unwrap();
    assert_eq!(comments.status(), 403);
    server.abort();
}
