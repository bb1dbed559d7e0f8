//! Comments on a patient's record or on one entry of it: what a client posts and what
//! it reads back (`GET`/`POST /api/v1/contexts/{ctx}/comments`).
//!
//! The author is never in a request body: the gateway takes it from the verified token.

use serde::{Deserialize, Serialize};

/// The most characters (Unicode scalar values, after NFC normalisation) a comment holds.
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// The header carrying a post's idempotency key: a retried post with the same key is
/// stored once.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The entry a comment is attached to: the source that holds it and the entry's id there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryRef {
    /// The source's registry id.
    pub source: String,
    /// The entry's id at that source.
    pub entry: String,
}

/// `POST /api/v1/contexts/{ctx}/comments` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCommentRequest {
    /// Plain text, up to [`MAX_COMMENT_CHARS`]; newlines and tabs allowed, no other
    /// control characters.
    pub body: String,
    /// The entry commented on; none for a comment on the whole record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryRef>,
}

/// Who wrote a comment, as their token said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentAuthor {
    /// The user's id at their identity provider.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Role (e.g. `hospital-clinician`).
    #[serde(default)]
    pub role: Option<String>,
    /// Organisation (ODS code).
    #[serde(default)]
    pub organisation: Option<String>,
}

/// A comment as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentView {
    /// The comment's id.
    pub id: String,
    /// The entry it is attached to, if any.
    #[serde(default)]
    pub entry: Option<EntryRef>,
    /// Its author.
    pub author: CommentAuthor,
    /// The text; absent once the author has retracted it (the store keeps it).
    #[serde(default)]
    pub body: Option<String>,
    /// Server time it was stored (RFC 3339, UTC).
    pub created: String,
    /// When its author retracted it (RFC 3339, UTC), if they did.
    #[serde(default)]
    pub retracted: Option<String>,
    /// Written by someone else since the reader's previous view of this patient.
    #[serde(default)]
    pub new: bool,
    /// Written by the reader (who alone may retract it).
    #[serde(default)]
    pub mine: bool,
}

/// `GET /api/v1/contexts/{ctx}/comments` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comments {
    /// Oldest first.
    pub comments: Vec<CommentView>,
    /// When the reader last opened this patient's record before this context (RFC 3339),
    /// if ever: comments after it are marked `new`.
    #[serde(default)]
    pub last_viewed: Option<String>,
    /// Whether the reader's role may add comments.
    #[serde(default)]
    pub may_write: bool,
}
