//! `mcr-gateway audit verify`: walks the whole chain and names the first bad sequence
//! number.
//!
//! The walk starts at sequence 1 from the genesis hash or, after pruning, from the
//! newest checkpoint's (last pruned sequence, hash). Every row must follow its
//! predecessor without a gap, name its predecessor's hash, and hash to its stored hash.
//! Every anchor must still be in the chain with the same hash, so cutting the newest
//! rows (which leaves a consistent but shorter chain) is detected too.

use std::collections::BTreeMap;

use super::chain::{GENESIS, row_hash};
use crate::store::{Store, StoreError};

/// Rows read per query during the walk.
const PAGE: i64 = 5_000;

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The first sequence number present (after pruning, not 1).
    pub first_seq: i64,
    /// The last sequence number present (0 for an empty log).
    pub last_seq: i64,
    /// Rows checked.
    pub rows: u64,
    /// Anchors checked.
    pub anchors: u64,
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at sequence {seq}: {reason}")]
pub struct Broken {
    /// The first bad sequence number.
    pub seq: i64,
    /// What is wrong there.
    pub reason: String,
}

/// Why verification could not conclude or failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The chain is broken.
    #[error(transparent)]
    Broken(#[from] Broken),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn broken(seq: i64, reason: impl Into<String>) -> VerifyError {
    VerifyError::Broken(Broken {
        seq,
        reason: reason.into(),
    })
}

/// Verifies the whole audit chain in `store`.
pub async fn verify(store: &dyn Store) -> Result<Verified, VerifyError> {
    let (mut expected_seq, mut prev_hash) = match store.latest_checkpoint().await? {
        Some(cp) => (
            cp.fields.checkpoint_seq.unwrap_or(0) + 1,
            cp.fields.checkpoint_hash.clone().unwrap_or_default(),
        ),
        None => (1, GENESIS.to_string()),
    };
    let pruned_through = expected_seq - 1;
    let first_seq = expected_seq;
    let anchors: BTreeMap<i64, String> = store
        .anchors()
        .await?
        .into_iter()
        .filter(|a| a.seq > pruned_through)
        .map(|a| (a.seq, a.hash))
        .collect();
    let mut rows = 0u64;
    let mut after = 0i64;
    loop {
        let page = store.audit_rows(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in page {
            if row.seq <= pruned_through {
                // Rows a checkpoint covers may linger until the prune transaction ends.
                continue;
            }
            if row.seq != expected_seq {
                return Err(broken(
                    expected_seq,
                    format!("row missing (next present is {})", row.seq),
                ));
            }
            if row.prev_hash != prev_hash {
                return Err(broken(row.seq, "does not link to the previous row's hash"));
            }
            if row_hash(&row.prev_hash, row.seq, &row.fields) != row.hash {
                return Err(broken(
                    row.seq,
                    "content does not match its hash (edited or reordered)",
                ));
            }
            if let Some(anchored) = anchors.get(&row.seq)
                && anchored != &row.hash
            {
                return Err(broken(
                    row.seq,
                    "differs from the anchored head recorded at the time",
                ));
            }
            prev_hash = row.hash;
            expected_seq += 1;
            rows += 1;
        }
    }
    let last_seq = expected_seq - 1;
    if let Some((&anchored, _)) = anchors.range(last_seq + 1..).next() {
        return Err(broken(
            last_seq + 1,
            format!(
                "the chain ends at {last_seq} but an anchor records sequence {anchored}: newest rows were cut"
            ),
        ));
    }
    Ok(Verified {
        first_seq,
        last_seq,
        rows,
        anchors: anchors.len() as u64,
    })
}
