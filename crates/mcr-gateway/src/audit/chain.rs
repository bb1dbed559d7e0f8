//! The audit hash chain: each row's hash is SHA-256 over the previous row's hash and the
//! row's canonical form (its sequence number and fields as compact JSON, keys in a fixed
//! order), so editing, deleting or reordering any row breaks every later link.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::store::AuditFields;

/// The `prev_hash` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Serialize)]
struct Canonical<'a> {
    seq: i64,
    #[serde(flatten)]
    fields: &'a AuditFields,
}

/// The canonical form hashed for a row.
pub fn canonical(seq: i64, fields: &AuditFields) -> String {
    // Serialising a struct of strings and integers cannot fail.
    serde_json::to_string(&Canonical { seq, fields }).unwrap_or_default()
}

/// `hex(SHA-256(prev_hash || "\n" || canonical(seq, fields)))`.
pub fn row_hash(prev_hash: &str, seq: i64, fields: &AuditFields) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical(seq, fields).as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> AuditFields {
        AuditFields {
            at: "2026-11-25T14:00:00.000Z".into(),
            user_id: "ae-doctor".into(),
            user_role: Some("hospital-clinician".into()),
            org_ods: None,
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

    #[test]
    fn the_canonical_form_is_stable() {
        assert_eq!(
            canonical(7, &fields()),
            r#"{"seq":7,"at":"2026-11-25T14:00:00.000Z","user_id":"ae-doctor","user_role":"hospital-clinician","org_ods":null,"nhs_number":"9990000018","context_id":null,"action":"record.view","outcome":"allowed","detail":null,"checkpoint_seq":null,"checkpoint_hash":null}"#
        );
    }

    #[test]
    fn any_change_to_the_row_or_its_predecessor_changes_the_hash() {
        let base = row_hash(GENESIS, 1, &fields());
        assert_eq!(base.len(), 64);
        assert_eq!(base, row_hash(GENESIS, 1, &fields()));
        let mut edited = fields();
        edited.outcome = "refused".into();
        assert_ne!(base, row_hash(GENESIS, 1, &edited));
        assert_ne!(base, row_hash(GENESIS, 2, &fields()));
        assert_ne!(base, row_hash(&"1".repeat(64), 1, &fields()));
    }
}
