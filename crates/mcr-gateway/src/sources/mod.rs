//! Source systems the gateway reads from: one adapter module per protocol, and
//! [`Source`], which wraps an adapter with what every source gets — a deadline, a
//! concurrency limit and a circuit breaker — and turns its answer or failure into a
//! [`SourceStatus`].
//!
//! The gateway only ever reads: no code path here writes to a source.

pub mod breaker;
pub mod fhir_r4;
pub mod gpconnect;
pub mod http_fetch;
pub mod pds;

use std::sync::Arc;
use std::time::Instant;

use mcr_model::{Demographics, NhsNumber, Section, SourceRef, SourceState, SourceStatus};
use tokio::sync::Semaphore;

use crate::auth::Claims;
use crate::registry::{Protocol, SourceConfig};
use crate::time_fmt::now_rfc3339;
use breaker::Breaker;

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
    /// The answer was larger than the gateway accepts.
    #[error("the source's answer was too large to accept")]
    TooLarge,
    /// The answer was about a different patient; it is discarded entirely.
    #[error("the source answered for a different patient; its answer was discarded")]
    WrongPatient,
}

/// Source error codes that mean the source refused for a reason of its own (consent,
/// relationship) rather than failed.
const REFUSAL_CODES: &[&str] = &[
    "NO_RELATIONSHIP",
    "PATIENT_DISSENT",
    "ACCESS_DENIED",
    "forbidden",
];

impl SourceError {
    /// The status state this error shows as.
    pub fn state(&self) -> SourceState {
        match self {
            SourceError::TimedOut => SourceState::TimedOut,
            SourceError::WrongPatient => SourceState::IdentityMismatch,
            SourceError::Refused { status, code }
                if *status == 403
                    || code.as_deref().is_some_and(|c| REFUSAL_CODES.contains(&c)) =>
            {
                SourceState::Refused
            }
            _ => SourceState::Failed,
        }
    }

    /// Whether the failure says the source itself is unwell (counts towards its breaker).
    fn is_outage(&self) -> bool {
        match self {
            SourceError::TimedOut | SourceError::Unreachable(_) => true,
            SourceError::Refused { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// What a source contributed, before it becomes a status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceAnswer {
    /// Demographics, if the source gave them.
    pub patient: Option<Demographics>,
    /// Entries by section.
    pub sections: Vec<Section>,
    /// Warnings the source attached.
    pub warnings: Vec<String>,
    /// Entries it withheld.
    pub withheld: u32,
    /// Entries marked entered-in-error (dropped).
    pub entered_in_error: u32,
    /// `(problem id, related entry id)` links, for withholding ([`crate::normalise::links`]).
    pub related: Vec<(String, String)>,
}

/// One source's result for one view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceResult {
    /// The status to show.
    pub status: SourceStatus,
    /// Its entries (empty unless it answered).
    pub sections: Vec<Section>,
    /// `(problem id, related entry id)` links among them (never sent).
    pub related: Vec<(String, String)>,
}

/// A configured source, ready to be asked.
pub struct Source {
    /// Its configuration.
    pub config: Arc<SourceConfig>,
    /// How its entries name it.
    pub reference: SourceRef,
    limit: Semaphore,
    breaker: Breaker,
    http: reqwest::Client,
}

impl Source {
    /// A source from its configuration, using `http` (see [`http_fetch::client`]).
    pub fn new(config: Arc<SourceConfig>, http: reqwest::Client) -> Self {
        Self {
            reference: config.reference(),
            limit: Semaphore::new(config.concurrency.max(1)),
            breaker: Breaker::default(),
            http,
            config,
        }
    }

    /// Asks the source for `nhs`'s record on behalf of `requester`, within its deadline;
    /// also returns the demographics it gave, if any.
    pub async fn fetch(
        &self,
        nhs: &NhsNumber,
        requester: &Claims,
    ) -> (SourceResult, Option<Demographics>) {
        let now = Instant::now();
        if !self.breaker.allow(now) {
            let message = "the source has been failing and is not being asked for a short while";
            return (self.failed(SourceState::Unavailable, message.into()), None);
        }
        let deadline = self.config.deadline();
        let work = async {
            let _permit = self
                .limit
                .acquire()
                .await
                .map_err(|_| SourceError::TimedOut)?;
            match self.config.protocol {
                Protocol::GpconnectStu3 => {
                    gpconnect::fetch(&self.http, &self.config, &self.reference, nhs, requester)
                        .await
                }
                Protocol::FhirR4 => {
                    fhir_r4::fetch(&self.http, &self.config, &self.reference, nhs).await
                }
            }
        };
        match tokio::time::timeout(deadline, work)
            .await
            .unwrap_or(Err(SourceError::TimedOut))
        {
            Ok(answer) => {
                self.breaker.succeeded();
                let mut status = SourceStatus::new(
                    self.reference.clone(),
                    SourceState::Answered,
                    Some(now_rfc3339()),
                    None,
                );
                status.warnings = answer.warnings;
                status.withheld = answer.withheld;
                status.entered_in_error = answer.entered_in_error;
                (
                    SourceResult {
                        status,
                        sections: answer.sections,
                        related: answer.related,
                    },
                    answer.patient,
                )
            }
            Err(e) => {
                if e.is_outage() {
                    self.breaker.failed(Instant::now());
                } else {
                    self.breaker.succeeded();
                }
                tracing::warn!(source = %self.reference.id, error = ?e, "source gave no usable answer");
                (self.failed(e.state(), e.to_string()), None)
            }
        }
    }

    fn failed(&self, state: SourceState, message: String) -> SourceResult {
        SourceResult {
            status: SourceStatus::new(self.reference.clone(), state, None, Some(message)),
            sections: vec![],
            related: vec![],
        }
    }
}
