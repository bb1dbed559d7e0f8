//! The operations commands as an operator runs them: `mcr-gateway audit export`,
//! `audit prune` and `audit verify` as separate processes on a real SQLite file.
#![allow(missing_docs)]

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
        event["entity"][1]["what"]["identifier"]["value"],
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
