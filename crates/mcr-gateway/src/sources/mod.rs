//! Source systems the gateway reads from, one module per protocol.
//!
//! The gateway only ever reads: no code path here writes to a source.

pub mod gpconnect;

/// Why a source gave no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No answer before the deadline.
    #[error("the source did not answer in time")]
    TimedOut,
    /// Could not connect, or the connection failed.
    #[error("the source could not be reached")]
    Unreachable(String),
    /// The source answered with an error.
    #[error("the source answered with an error ({status}{})", .code.as_deref().map(|c| format!(", {c}")).unwrap_or_default())]
    Refused {
        /// HTTP status.
        status: u16,
        /// The source's own error code, if it gave one.
        code: Option<String>,
    },
    /// The answer could not be understood.
    #[error("the source's answer could not be read")]
    Malformed(String),
    /// The answer was about a different patient; it is discarded entirely.
    #[error("the source answered for a different patient; its answer was discarded")]
    WrongPatient,
}
