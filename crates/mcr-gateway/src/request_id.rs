//! Request ids: every request gets a fresh random id, returned in `X-Request-Id`, carried
//! by its log lines and written into each audit row it causes, so a complaint, a log
//! line and an audit row can be matched without a token or an NHS number in any of
//! them. An id a client sends is never trusted or echoed. The client's address, as the
//! TCP connection gives it, is kept beside the id for the audit (IHE BALP records it).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// What the audit keeps of the request a task is serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestScope {
    /// The request id.
    pub id: String,
    /// The client's IP address as the TCP connection gave it (a proxy's, behind one).
    pub client: Option<String>,
}

tokio::task_local! {
    static REQUEST: RequestScope;
}

/// The response header carrying the id.
pub const HEADER: &str = "x-request-id";

/// The id of the request this task is serving, if any.
pub fn current() -> Option<String> {
    REQUEST.try_with(|r| r.id.clone()).ok()
}

/// The client address of the request this task is serving, if known.
pub fn client() -> Option<String> {
    REQUEST.try_with(|r| r.client.clone()).ok().flatten()
}

/// The request this task is serving, to carry into work spawned on another task.
pub fn this_request() -> Option<RequestScope> {
    REQUEST.try_with(Clone::clone).ok()
}

/// Runs `future` as part of `request` (for work spawned on another task).
pub async fn scope<F: std::future::Future>(request: Option<RequestScope>, future: F) -> F::Output {
    match request {
        Some(request) => REQUEST.scope(request, future).await,
        None => future.await,
    }
}

/// A new id: 16 random bytes, hex.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness the id is still unique enough per process: fall back to time.
    if getrandom::fill(&mut bytes).is_err() {
        bytes[..16].copy_from_slice(&crate::time_fmt::now_ms().to_be_bytes().repeat(2));
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Middleware: gives the request its id, serves it inside the id's scope and log span,
/// and returns the id in `X-Request-Id`.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = new_id();
    request.headers_mut().remove(HEADER);
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let span = tracing::info_span!("request", id = %id, method = %request.method());
    let scope = RequestScope {
        id: id.clone(),
        client,
    };
    let mut response = REQUEST
        .scope(scope, next.run(request).instrument(span))
        .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_hex_digits_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn the_id_is_visible_inside_its_scope_only() {
        assert_eq!(current(), None);
        let request = RequestScope {
            id: "abc".into(),
            client: Some("127.0.0.1".into()),
        };
        let inside = scope(Some(request), async { (current(), client()) }).await;
        assert_eq!(inside.0.as_deref(), Some("abc"));
        assert_eq!(inside.1.as_deref(), Some("127.0.0.1"));
        assert_eq!(scope(None, async { current() }).await, None);
    }
}
