//! Wire types and value types shared by the panel and the gateway.
//!
//! This crate does no I/O: it compiles for `wasm32-unknown-unknown` (the panel) and for
//! native targets (the gateway, the simulator), so both ends of the API agree on one set
//! of types. Values that carry rules, such as [`NhsNumber`], are parsed once at the
//! boundary and are valid from then on.

pub mod api;
pub mod comments;
pub mod nhs_number;
pub mod patient;
pub mod record;

pub use api::{
    AccessLog, AccessLogEntry, ApiError, BreakGlassReason, BreakGlassRequest, ContextCreated,
    CreateContextRequest, GrantView, GrantsToReview,
};
pub use comments::{
    CommentAuthor, CommentView, Comments, EntryRef, MAX_COMMENT_CHARS, NewCommentRequest,
};
pub use nhs_number::{NhsNumber, NhsNumberError};
pub use patient::{Demographics, PracticeRef};
pub use record::{
    Coding, Dataset, Entry, EntryFlag, Record, RecordEvent, Section, SectionKind, SourceKind,
    SourceRef, SourceState, SourceStatus,
};
