//! The operations commands as an operator runs them: `mcr-gateway audit export`,
//! `audit prune`, `audit verify` and `audit report` as separate processes on a real
//! SQLite file, and `dev-token` against a running gateway.
#![allow(missing_docs)]

mod support;

use std::process::Command;

use mcr_gateway::store::{self, AuditFields, Location};
use serde_json::Value;

fn fields(user: &str, at: &str) -> AuditFields {
    AuditFields {
        at: at.into(),
        user_id: user.into(),
        user_role: Some("gp-clinician".into()),
        org_ods: Some("Y90001".into()),
        nhs_number: Some("9990000018".into()),
        context_id: Some("ctx".into()),
        action: "record.view".into(),
        outcome: "allowed".into(),
        detail: None,
        checkpoint_seq: None,
        checkpoint_hash: None,
        request_id: None,
        client_addr: None,
    }
}

fn gateway(args: &[&str], dir: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mcr-gateway"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn export_prune_and_verify_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = store::open(Location::DataDir(dir.path())).await.unwrap();
        s.append_audit(vec![
            fields("a", "2026-01-10T00:00:00.000Z"),
            fields("b", "2026-01-20T00:00:00.000Z"),
        ])
        .await
        .unwrap();
        s.append_audit(vec![fields("c", "2026-03-01T00:00:00.000Z")])
            .await
            .unwrap();
    }
    let (code, out) = gateway(
        &["audit", "export", "--since", "2026-01-15T00:00:00Z"],
        dir.path(),
    );
    assert_eq!(code, 0);
    let rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows.iter()
            .map(|r| r["user_id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["b", "c"]
    );
    assert_eq!(rows[0]["seq"], 2);
    assert_eq!(rows[0]["hash"].as_str().unwrap().len(), 64);

    let (code, out) = gateway(
        &[
            "audit",
            "export",
            "--since",
            "2026-01-01T00:00:00Z",
            "--format",
            "fhir",
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    let event: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(event["resourceType"], "AuditEvent");
    assert_eq!(event["outcome"], "0");
    assert_eq!(
        event["entity"][0]["what"]["identifier"]["value"],
        "9990000018"
    );

    let (code, out) = gateway(&["audit", "export", "--since", "last tuesday"], dir.path());
    assert_ne!(code, 0, "a bad time is refused: {out}");

    let (code, out) = gateway(
        &[
            "audit",
            "prune",
            "--before",
            "2026-02-01T00:00:00Z",
            "--by",
            "dpo",
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("pruned 2 rows through sequence 2; checkpoint appended at sequence 4"),
        "{out}"
    );

    let (code, out) = gateway(&["audit", "verify"], dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("audit chain intact: sequences 3..=4"), "{out}");
}

#[tokio::test]
async fn verify_exits_non_zero_and_names_the_first_bad_sequence() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = store::open(Location::DataDir(dir.path())).await.unwrap();
        let rows = (0..5)
            .map(|i| fields(&format!("u{i}"), "2026-01-10T00:00:00.000Z"))
            .collect();
        s.append_audit(rows).await.unwrap();
    }
    let path = dir.path().join(store::sqlite::DB_FILE);
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::raw_sql(
            "DROP TRIGGER audit_no_update; UPDATE audit SET user_id = 'mallory' WHERE seq = 3",
        )
        .execute(&mut c)
        .await
        .unwrap();
    }
    let (code, out) = gateway(&["audit", "verify"], dir.path());
    assert_eq!(code, 1);
    assert!(out.contains("first bad sequence number 3"), "{out}");
}

#[tokio::test]
async fn the_snooping_report_flags_patterns_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = store::open(Location::DataDir(dir.path())).await.unwrap();
        let mut rows = vec![
            AuditFields {
                action: "break_glass.grant".into(),
                detail: Some("bg-1: unconscious".into()),
                ..fields("dr-a", "2026-02-01T09:00:00.000Z")
            },
            AuditFields {
                detail: Some(format!(
                    "asking: gp; {}",
                    mcr_gateway::audit::report::SAME_SURNAME
                )),
                ..fields("dr-b", "2026-02-01T09:05:00.000Z")
            },
        ];
        // Three patients in one hour.
        for (i, nhs) in ["9990000018", "9990000026", "9990000034"]
            .iter()
            .enumerate()
        {
            rows.push(AuditFields {
                nhs_number: Some((*nhs).into()),
                ..fields("nurse", &format!("2026-02-01T10:0{i}:00.000Z"))
            });
        }
        s.append_audit(rows).await.unwrap();
    }
    let (code, out) = gateway(&["audit", "report", "--patients-per-hour", "2"], dir.path());
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("pattern"), "{out}");
    assert!(
        lines[1].starts_with("same-surname-as-patient") && lines[1].contains("dr-b"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("break-glass") && lines[2].contains("dr-a"),
        "{out}"
    );
    assert!(
        lines[3].starts_with("many-patients-in-an-hour") && lines[3].contains("nurse"),
        "{out}"
    );
    let (code, json) = gateway(
        &[
            "audit",
            "report",
            "--json",
            "--since",
            "2026-02-01T09:30:00Z",
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    // After 09:30 only the nurse's views remain, and three is under the default of 20.
    assert_eq!(json, "");
    let (_, none) = gateway(
        &["audit", "report", "--since", "2026-03-01T00:00:00Z"],
        dir.path(),
    );
    assert!(none.starts_with("no patterns to review"), "{none}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_token_prints_a_token_the_gateway_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _server) = support::spawn_gateway(mcr_gateway::config::Config::for_demo(
        dir.path().into(),
        std::path::PathBuf::from("."),
        "http://127.0.0.1:9/gp".into(),
    ))
    .await;
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_mcr-gateway"))
                .args(args)
                .output()
                .unwrap()
        })
    };
    let out = run(vec![
        "dev-token".into(),
        "--gateway".into(),
        base.clone(),
        "--user".into(),
        "privacy-officer".into(),
    ])
    .await
    .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let r = reqwest::Client::new()
        .get(format!("{base}/api/v1/break-glass"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bad = run(vec![
        "dev-token".into(),
        "--gateway".into(),
        base,
        "--user".into(),
        "nobody".into(),
    ])
    .await
    .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no demo user"));
}
