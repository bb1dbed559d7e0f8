//! The store test suite, run against both backends: embedded SQLite and a real
//! PostgreSQL server (see `support` for how the server is found).
#![allow(missing_docs)]

#[macro_use]
mod support;

use std::collections::HashSet;

use mcr_gateway::audit::AuditLog;
use mcr_gateway::audit::verify::{VerifyError, verify};
use mcr_gateway::store::{
    AuditFields, Dissent, Grant, NewComment, Pointer, Store, StoreError, StoredContext,
};
use support::TestStore;

fn row(user: &str, at: &str) -> AuditFields {
    AuditFields {
        at: at.into(),
        user_id: user.into(),
        user_role: Some("hospital-clinician".into()),
        org_ods: Some("Y91001".into()),
        nhs_number: Some("9990000018".into()),
        context_id: None,
        action: "record.view".into(),
        outcome: "allowed".into(),
        detail: None,
        checkpoint_seq: None,
        checkpoint_hash: None,
        request_id: None,
        client_addr: None,
    }
}

/// The patient the comment tests write about.
const NHS: &str = "9990000018";
const T0: &str = "2026-01-01T00:00:00.000Z";
const T1: &str = "2026-06-01T00:00:00.000Z";

async fn fill(store: &dyn Store, n: usize, at: &str) {
    let rows = (0..n).map(|i| row(&format!("user-{i}"), at)).collect();
    store.append_audit(rows).await.unwrap();
}

async fn broken_at(store: &dyn Store) -> i64 {
    match verify(store).await {
        Err(VerifyError::Broken(b)) => b.seq,
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

on_both_backends!(
    audit_rows_form_one_chain_without_gaps,
    concurrent_writers_through_the_group_commit_form_one_linear_chain,
    an_edited_row_is_detected_by_sequence_number,
    a_deleted_row_is_detected_by_sequence_number,
    reordered_rows_are_detected,
    cutting_the_newest_rows_is_detected_against_an_anchor,
    a_batch_appended_with_an_anchor_anchors_its_own_last_row,
    the_gateways_own_connection_cannot_update_or_delete_audit_rows,
    pruning_appends_a_checkpoint_and_verify_still_passes,
    a_database_migrated_by_a_newer_version_is_refused,
    contexts_belong_to_one_user_and_expire_when_idle,
    comments_are_idempotent_append_only_and_retractable_by_their_author,
    pointers_are_published_refreshed_and_withdrawn_per_source,
    a_bulk_publish_larger_than_one_insert_naming_a_pointer_twice_keeps_the_later,
    dissent_is_recorded_and_lifted,
    break_glass_grants_expire_end_with_their_context_and_await_review,
);

async fn audit_rows_form_one_chain_without_gaps(t: TestStore) {
    let s = t.store().as_ref();
    fill(s, 3, T0).await;
    let more = s
        .append_audit(vec![row("a", T1), row("b", T1)])
        .await
        .unwrap();
    assert_eq!(more.iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 5]);
    let all = s.audit_rows(0, 100).await.unwrap();
    assert_eq!(all.len(), 5);
    for pair in all.windows(2) {
        assert_eq!(pair[1].seq, pair[0].seq + 1);
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    let v = verify(s).await.unwrap();
    assert_eq!((v.first_seq, v.last_seq, v.rows), (1, 5, 5));
    assert_eq!(s.audit_since(T1, 0, 100).await.unwrap().len(), 2);
}

async fn concurrent_writers_through_the_group_commit_form_one_linear_chain(t: TestStore) {
    // Two writers on one database, as two gateway replicas would be.
    let a = AuditLog::start(t.store().clone());
    let b = AuditLog::start(t.reopen().await.unwrap());
    let mut tasks = Vec::new();
    for i in 0..200 {
        let log = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            log.append(row(&format!("w{i}"), T0)).await.unwrap().seq
        }));
    }
    let mut seqs = HashSet::new();
    for task in tasks {
        assert!(
            seqs.insert(task.await.unwrap()),
            "no duplicate sequence numbers"
        );
    }
    assert_eq!(seqs.len(), 200);
    assert_eq!(seqs.iter().max(), Some(&200));
    let v = verify(t.store().as_ref()).await.unwrap();
    assert_eq!(v.rows, 200);
}

async fn an_edited_row_is_detected_by_sequence_number(t: TestStore) {
    fill(t.store().as_ref(), 10, T0).await;
    t.disable_audit_triggers().await;
    t.owner_exec("UPDATE audit SET outcome = 'refused' WHERE seq = 6")
        .await
        .unwrap();
    assert_eq!(broken_at(t.store().as_ref()).await, 6);
}

async fn a_deleted_row_is_detected_by_sequence_number(t: TestStore) {
    fill(t.store().as_ref(), 10, T0).await;
    t.disable_audit_triggers().await;
    t.owner_exec("DELETE FROM audit WHERE seq = 4")
        .await
        .unwrap();
    assert_eq!(broken_at(t.store().as_ref()).await, 4);
    // Deleting the oldest rows without a checkpoint is detected as well.
    t.owner_exec("DELETE FROM audit WHERE seq <= 2")
        .await
        .unwrap();
    assert_eq!(broken_at(t.store().as_ref()).await, 1);
}

async fn reordered_rows_are_detected(t: TestStore) {
    fill(t.store().as_ref(), 10, T0).await;
    t.disable_audit_triggers().await;
    // Swap the contents of rows 3 and 7, keeping their hashes in place.
    t.owner_exec(
        "UPDATE audit SET user_id = CASE seq WHEN 3 THEN 'user-6' ELSE 'user-2' END WHERE seq IN (3, 7)",
    )
    .await
    .unwrap();
    assert_eq!(broken_at(t.store().as_ref()).await, 3);
}

async fn cutting_the_newest_rows_is_detected_against_an_anchor(t: TestStore) {
    let s = t.store().as_ref();
    fill(s, 10, T0).await;
    let anchor = s.write_anchor(T0).await.unwrap().unwrap();
    assert_eq!(anchor.seq, 10);
    fill(s, 2, T0).await;
    assert!(verify(s).await.is_ok());
    t.disable_audit_triggers().await;
    // A consistent but shorter chain: only the anchor gives it away.
    t.owner_exec("DELETE FROM audit WHERE seq >= 9")
        .await
        .unwrap();
    assert_eq!(broken_at(s).await, 9);
}

async fn a_batch_appended_with_an_anchor_anchors_its_own_last_row(t: TestStore) {
    let s = t.store().as_ref();
    fill(s, 3, T0).await;
    let rows = s
        .append_audit_anchored(vec![row("a", T1), row("b", T1)], T1)
        .await
        .unwrap();
    let anchors = s.anchors().await.unwrap();
    assert_eq!(anchors.len(), 1);
    assert_eq!((anchors[0].seq, &anchors[0].hash), (5, &rows[1].hash));
    fill(s, 1, T1).await;
    assert!(verify(s).await.is_ok());
    t.disable_audit_triggers().await;
    t.owner_exec("DELETE FROM audit WHERE seq >= 5")
        .await
        .unwrap();
    assert_eq!(broken_at(s).await, 5);
}

async fn the_gateways_own_connection_cannot_update_or_delete_audit_rows(t: TestStore) {
    fill(t.store().as_ref(), 3, T0).await;
    t.store().write_anchor(T0).await.unwrap();
    for sql in [
        "UPDATE audit SET outcome = 'x' WHERE seq = 1",
        "DELETE FROM audit WHERE seq = 3",
        "DELETE FROM audit",
        "UPDATE audit_anchors SET hash = 'x'",
        "DELETE FROM audit_anchors",
    ] {
        assert!(t.gateway_exec(sql).await.is_err(), "{sql} must fail");
    }
    assert!(verify(t.store().as_ref()).await.is_ok());
    assert_eq!(t.store().audit_rows(0, 10).await.unwrap().len(), 3);
}

async fn pruning_appends_a_checkpoint_and_verify_still_passes(t: TestStore) {
    let s = t.store().as_ref();
    fill(s, 5, T0).await;
    s.write_anchor(T0).await.unwrap();
    fill(s, 3, T1).await;
    let checkpoint = AuditFields {
        action: "audit.prune".into(),
        ..row("pruner", T1)
    };
    let pruner = t.as_pruner().await;
    let report = pruner
        .prune_audit("2026-03-01T00:00:00.000Z", checkpoint)
        .await
        .unwrap();
    assert_eq!((report.pruned_through, report.removed), (5, 5));
    let cp = report.checkpoint.unwrap();
    assert_eq!((cp.seq, cp.fields.checkpoint_seq), (9, Some(5)));
    let v = verify(s).await.unwrap();
    assert_eq!((v.first_seq, v.last_seq, v.rows), (6, 9, 4));
    // The chain goes on after the checkpoint.
    fill(s, 1, T1).await;
    assert_eq!(verify(s).await.unwrap().last_seq, 10);
    // Rows the checkpoint does not cover still cannot be removed.
    assert!(
        t.gateway_exec("DELETE FROM audit WHERE seq = 7")
            .await
            .is_err()
    );
    // Removing the checkpoint row itself is detected as missing history.
    t.disable_audit_triggers().await;
    t.owner_exec("DELETE FROM audit WHERE seq = 9")
        .await
        .unwrap();
    assert_eq!(broken_at(s).await, 1);
}

async fn a_database_migrated_by_a_newer_version_is_refused(t: TestStore) {
    let checksum = if t.sqlite_path().is_some() {
        "X'00'"
    } else {
        "'\\x00'::bytea"
    };
    t.owner_exec(&format!(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
         VALUES (99990101000000, 'from the future', CURRENT_TIMESTAMP, TRUE, {checksum}, 0)"
    ))
    .await
    .unwrap();
    match t.reopen().await {
        Err(e @ StoreError::NewerSchema(99990101000000)) => {
            assert!(
                e.to_string().contains("newer version of mcr-gateway"),
                "{e}"
            );
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
}

async fn contexts_belong_to_one_user_and_expire_when_idle(t: TestStore) {
    let s = t.store().as_ref();
    let ctx = StoredContext {
        id: "ctx-1".into(),
        user_id: "ae-doctor".into(),
        nhs_number: "9990000018".into(),
        reason: None,
        created_ms: 1_000,
        last_used_ms: 1_000,
    };
    s.create_context(&ctx).await.unwrap();
    assert!(
        s.touch_context("ctx-1", "ward-nurse", 2_000, 0, 2_000)
            .await
            .unwrap()
            .is_none()
    );
    // Last marked at 1,000, which is not before 900: read without a write.
    let read = s
        .touch_context("ctx-1", "ae-doctor", 1_500, 500, 900)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.last_used_ms, 1_000);
    let touched = s
        .touch_context("ctx-1", "ae-doctor", 2_000, 500, 2_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_used_ms, 2_000);
    // Idle since 2,000: with a cut-off of 2,001 it has expired.
    assert!(
        s.touch_context("ctx-1", "ae-doctor", 9_000, 2_001, 9_000)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.touch_context("ctx-1", "ae-doctor", 3_000, 1_500, 3_000)
            .await
            .unwrap()
            .is_some()
    );
    assert!(s.end_context("ctx-1", "ae-doctor", 4_000).await.unwrap());
    assert!(!s.end_context("ctx-1", "ae-doctor", 4_000).await.unwrap());
    // The previous view of this patient, seen from a later context: ctx-1's last use.
    s.create_context(&StoredContext {
        id: "ctx-2".into(),
        created_ms: 5_000,
        last_used_ms: 5_000,
        ..ctx.clone()
    })
    .await
    .unwrap();
    assert_eq!(
        s.previous_view_ms("ae-doctor", NHS, "ctx-2").await.unwrap(),
        Some(3_000)
    );
    assert_eq!(
        s.previous_view_ms("ae-doctor", NHS, "ctx-1").await.unwrap(),
        Some(5_000)
    );
    assert_eq!(
        s.previous_view_ms("ward-nurse", NHS, "ctx-2")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.previous_view_ms("ae-doctor", "9990000026", "ctx-2")
            .await
            .unwrap(),
        None
    );
    assert!(
        s.touch_context("ctx-1", "ae-doctor", 4_001, 0, 4_001)
            .await
            .unwrap()
            .is_none()
    );
}

fn comment(id: &str, key: &str, body: &str) -> NewComment {
    NewComment {
        id: id.into(),
        nhs_number: "9990000018".into(),
        entry: Some(("gp-y90001".into(), "ms-0".into())),
        author_id: "gp".into(),
        author_name: Some("Dr Adaeze Okafor".into()),
        author_role: Some("gp-clinician".into()),
        author_org: Some("Y90001".into()),
        body: body.into(),
        created_ms: 10,
        idempotency_key: key.into(),
    }
}

async fn comments_are_idempotent_append_only_and_retractable_by_their_author(t: TestStore) {
    let s = t.store().as_ref();
    let first = s
        .add_comment(&comment("c1", "k1", "Dose reduced — check eGFR"))
        .await
        .unwrap();
    // A retry with the same key stores nothing new and returns the original.
    let retry = s
        .add_comment(&comment("c1-retry", "k1", "Dose reduced — check eGFR"))
        .await
        .unwrap();
    assert_eq!(retry, first);
    s.add_comment(&NewComment {
        created_ms: 20,
        ..comment("c2", "k2", "Seen in A&E")
    })
    .await
    .unwrap();
    let all = s.comments_for("9990000018").await.unwrap();
    assert_eq!(
        all.iter()
            .map(|c| c.comment.id.as_str())
            .collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    assert_eq!(
        all[0].comment.entry,
        Some(("gp-y90001".into(), "ms-0".into()))
    );
    assert!(
        !s.retract_comment("c1", "someone-else", NHS, 30)
            .await
            .unwrap()
    );
    // Not through another patient's context either.
    assert!(
        !s.retract_comment("c1", "gp", "9990000026", 30)
            .await
            .unwrap()
    );
    assert_eq!(s.comments_by_author_since("gp", 0).await.unwrap(), 2);
    assert_eq!(s.comments_by_author_since("gp", 15).await.unwrap(), 1);
    assert_eq!(
        s.comment_by_key("gp", "k2")
            .await
            .unwrap()
            .unwrap()
            .comment
            .id,
        "c2"
    );
    assert!(s.comment_by_key("ae-doctor", "k2").await.unwrap().is_none());
    assert!(s.retract_comment("c1", "gp", NHS, 30).await.unwrap());
    assert!(!s.retract_comment("c1", "gp", NHS, 31).await.unwrap());
    assert_eq!(
        s.comments_for("9990000018").await.unwrap()[0].retracted_ms,
        Some(30)
    );
    assert!(
        t.gateway_exec("UPDATE comments SET body = 'edited' WHERE id = 'c2'")
            .await
            .is_err()
    );
    assert!(
        t.gateway_exec("DELETE FROM comments WHERE id = 'c2'")
            .await
            .is_err()
    );
}

async fn pointers_are_published_refreshed_and_withdrawn_per_source(t: TestStore) {
    let s = t.store().as_ref();
    let p = |src: &str, ms| Pointer {
        nhs_number: "9990000018".into(),
        source_id: src.into(),
        updated_ms: ms,
    };
    s.put_pointers(&[p("trust-a", 1), p("trust-b", 1)])
        .await
        .unwrap();
    s.put_pointers(&[p("trust-a", 5)]).await.unwrap();
    let found = s.pointers_for("9990000018").await.unwrap();
    assert_eq!(found, [p("trust-a", 5), p("trust-b", 1)]);
    assert_eq!(
        s.delete_pointers("trust-b", &["9990000018".into(), "9990000026".into()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.pointers_for("9990000018").await.unwrap(),
        [p("trust-a", 5)]
    );
    assert!(s.pointers_for("9990000026").await.unwrap().is_empty());
}

async fn a_bulk_publish_larger_than_one_insert_naming_a_pointer_twice_keeps_the_later(
    t: TestStore,
) {
    let s = t.store().as_ref();
    let patients: Vec<String> = (0..700).map(|i| format!("99900{i:05}")).collect();
    let mut pointers: Vec<Pointer> = patients
        .iter()
        .map(|n| Pointer {
            nhs_number: n.clone(),
            source_id: "trust-a".into(),
            updated_ms: 1,
        })
        .collect();
    // The first patient again, later in the same request, with a newer time.
    pointers.push(Pointer {
        updated_ms: 9,
        ..pointers[0].clone()
    });
    s.put_pointers(&pointers).await.unwrap();
    for n in [&patients[0], &patients[1], &patients[699]] {
        let found = s.pointers_for(n).await.unwrap();
        assert_eq!(found.len(), 1, "{n}");
        assert_eq!(found[0].source_id, "trust-a");
    }
    assert_eq!(s.pointers_for(&patients[0]).await.unwrap()[0].updated_ms, 9);
    assert_eq!(
        s.pointers_for(&patients[699]).await.unwrap()[0].updated_ms,
        1
    );
}

async fn dissent_is_recorded_and_lifted(t: TestStore) {
    let s = t.store().as_ref();
    assert!(s.dissent("9990000018").await.unwrap().is_none());
    let d = Dissent {
        nhs_number: "9990000018".into(),
        recorded_by: "privacy-officer".into(),
        reason: Some("patient objected by letter".into()),
        recorded_ms: 100,
    };
    s.set_dissent(&d).await.unwrap();
    s.set_dissent(&d).await.unwrap();
    assert_eq!(s.dissent("9990000018").await.unwrap(), Some(d));
    assert!(s.lift_dissent("9990000018").await.unwrap());
    assert!(!s.lift_dissent("9990000018").await.unwrap());
    assert!(s.dissent("9990000018").await.unwrap().is_none());
}

async fn break_glass_grants_expire_end_with_their_context_and_await_review(t: TestStore) {
    let s = t.store().as_ref();
    let g = |id: &str, ctx: &str| Grant {
        id: id.into(),
        context_id: ctx.into(),
        user_id: "ae-doctor".into(),
        nhs_number: "9990000018".into(),
        reason: "unconscious patient".into(),
        reason_code: "emergency-patient-cannot-be-asked".into(),
        granted_ms: 1_000,
        expires_ms: 5_000,
        ended_ms: None,
        reviewed_by: None,
        reviewed_ms: None,
    };
    s.grant_break_glass(&g("g1", "ctx-1")).await.unwrap();
    s.grant_break_glass(&g("g2", "ctx-2")).await.unwrap();
    assert_eq!(
        s.active_grant("ctx-1", 2_000).await.unwrap().unwrap().id,
        "g1"
    );
    assert!(
        s.active_grant("ctx-1", 5_000).await.unwrap().is_none(),
        "expired"
    );
    assert_eq!(s.end_grants("ctx-2", 3_000).await.unwrap(), 1);
    assert!(
        s.active_grant("ctx-2", 3_001).await.unwrap().is_none(),
        "ended with its context"
    );
    let review: Vec<String> = s
        .grants_to_review()
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(review, ["g1", "g2"]);
    assert!(
        s.review_grant("g1", "privacy-officer", 6_000)
            .await
            .unwrap()
    );
    assert!(
        !s.review_grant("g1", "privacy-officer", 6_001)
            .await
            .unwrap()
    );
    assert_eq!(s.grants_to_review().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_unwritable_data_directory_is_reported_clearly() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let under_a_file = file.path().join("data");
    let err = mcr_gateway::store::open(mcr_gateway::store::Location::DataDir(&under_a_file))
        .await
        .err()
        .expect("cannot create a directory under a file");
    assert!(err.to_string().contains("data directory"), "{err}");
}

#[tokio::test]
async fn an_unreachable_postgres_is_reported_clearly() {
    let err = mcr_gateway::store::open(mcr_gateway::store::Location::Postgres(
        "postgres://nobody@127.0.0.1:1/none",
    ))
    .await
    .err()
    .expect("nothing listens on port 1");
    assert!(
        err.to_string().contains("cannot connect to PostgreSQL"),
        "{err}"
    );
}

#[tokio::test]
async fn a_database_whose_migration_differs_from_this_versions_is_refused() {
    let t = TestStore::sqlite().await;
    t.owner_exec("UPDATE _sqlx_migrations SET checksum = X'00' WHERE version = 1")
        .await
        .unwrap();
    let err = t
        .reopen()
        .await
        .err()
        .expect("a changed migration is refused");
    assert!(err.to_string().contains("migration 1 differs"), "{err}");
}
