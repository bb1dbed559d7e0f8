//! Fetching from sources safely: a capped body, no redirects (the client is built with
//! redirects off), at most one retry and only on a connection failure of a request that
//! is safe to repeat.

use reqwest::{RequestBuilder, Response};
use serde::Deserialize;

use super::SourceError;
use crate::normalise::lenient::List;
use crate::normalise::types::Issue;

/// The largest answer accepted from one request to a source.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// The most buffer reserved up front from a declared `Content-Length`: enough for a
/// typical answer in one allocation, without letting a source's header alone claim
/// [`MAX_BODY_BYTES`] per request.
const MAX_RESERVE_BYTES: u64 = 1024 * 1024;

/// The HTTP client for sources: no redirects are followed, to other hosts or at all.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(3))
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_default()
}

fn classify(e: &reqwest::Error) -> SourceError {
    if e.is_timeout() {
        SourceError::TimedOut
    } else {
        SourceError::Unreachable(e.to_string())
    }
}

/// Sends `request`; if it is `idempotent` and the connection could not be made, tries once more.
pub async fn send(request: RequestBuilder, idempotent: bool) -> Result<Response, SourceError> {
    let retry = if idempotent {
        request.try_clone()
    } else {
        None
    };
    match request.send().await {
        Ok(r) => Ok(r),
        Err(e) if e.is_connect() && retry.is_some() => match retry {
            Some(again) => again.send().await.map_err(|e| classify(&e)),
            None => Err(classify(&e)),
        },
        Err(e) => Err(classify(&e)),
    }
}

/// Reads the body, refusing one over [`MAX_BODY_BYTES`]; returns the status with it.
pub async fn read_body(mut response: Response) -> Result<(u16, Vec<u8>), SourceError> {
    let status = response.status().as_u16();
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(SourceError::TooLarge);
    }
    let reserve = response
        .content_length()
        .unwrap_or(0)
        .min(MAX_RESERVE_BYTES);
    let mut body = Vec::with_capacity(reserve as usize);
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(SourceError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// Reads `body`, answered with `status`, as JSON into `T` (one of the lenient types of
/// [`crate::normalise::types`], borrowing from `body`). Only malformed JSON fails (and
/// serde_json refuses nesting deeper than 128 in what is read): as a malformed answer
/// after a success status, as a refusal after any other.
pub fn parse<'b, T: Deserialize<'b>>(status: u16, body: &'b [u8]) -> Result<T, SourceError> {
    serde_json::from_slice(body).map_err(|e| {
        if (200..300).contains(&status) {
            SourceError::Malformed(format!("not JSON: {e}"))
        } else {
            SourceError::Refused { status, code: None }
        }
    })
}

/// The error for a non-success answer carrying a FHIR OperationOutcome's `issues`.
pub fn refusal(status: u16, issues: &List<Issue<'_>>) -> SourceError {
    let issue = issues.first_in_array();
    let code = issue
        .and_then(|i| i.details.coding.first_in_array())
        .and_then(|c| c.code.as_str())
        .or_else(|| issue.and_then(|i| i.code.as_str()))
        .map(str::to_string);
    SourceError::Refused { status, code }
}
