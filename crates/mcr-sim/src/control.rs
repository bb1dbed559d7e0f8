//! The control endpoint, `/_control/…`, answering only loopback callers: the endpoint
//! list, example patients for each edge case, the demo patient directory, the replays
//! with their rewrites, the live fault table (read, replace, add to, clear), and the
//! locator the providers publish to (in bulk, or as they first see patients).
//!
//! It answers CORS for loopback origins only, so the demo page (served by the gateway on
//! another loopback port) can list patients and switch faults on and off.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::faults::FaultRule;
use crate::population::EdgeCase;
use crate::state::SimState;

/// The control routes.
pub fn router() -> Router<SimState> {
    Router::new()
        .route(
            "/_control/faults",
            get(get_faults)
                .put(put_faults)
                .post(post_fault)
                .delete(delete_faults),
        )
        .route("/_control/examples", get(get_examples))
        .route("/_control/publish", axum::routing::post(post_publish))
        .route("/_control/locator", axum::routing::put(put_locator))
        .route("/_control/replay", get(get_replay))
        .route("/_control/patients", axum::routing::post(post_patients))
        .layer(middleware::from_fn(loopback_only))
        .layer(loopback_cors())
}

/// Whether `origin` is a page on this machine (`http://127.0.0.1:…`, `http://localhost:…`).
pub fn is_loopback_origin(origin: &[u8]) -> bool {
    let Ok(origin) = std::str::from_utf8(origin) else {
        return false;
    };
    ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
        .iter()
        .any(|prefix| {
            origin
                .strip_prefix(prefix)
                .is_some_and(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        })
}

fn loopback_cors() -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header};
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::predicate(|origin, _| {
            is_loopback_origin(origin.as_bytes())
        }))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE])
}

/// `POST /_control/patients {"q": "smith", "limit": 20}`: synthetic patients by name.
/// The query is in the body, like every search that might carry an identifier.
async fn post_patients(State(state): State<SimState>, Json(body): Json<Value>) -> Json<Value> {
    let q = body["q"].as_str().unwrap_or("");
    let limit = body["limit"].as_u64().unwrap_or(20) as usize;
    Json(json!({"patients": crate::directory::search(&state.population, q, limit)}))
}

async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if peer.ip().is_loopback() {
        next.run(request).await
    } else {
        StatusCode::FORBIDDEN.into_response()
    }
}

async fn get_faults(State(state): State<SimState>) -> Json<Vec<FaultRule>> {
    Json(state.faults.rules())
}

async fn put_faults(
    State(state): State<SimState>,
    Json(rules): Json<Vec<FaultRule>>,
) -> StatusCode {
    state.faults.replace(rules);
    StatusCode::NO_CONTENT
}

async fn post_fault(State(state): State<SimState>, Json(rule): Json<FaultRule>) -> StatusCode {
    state.faults.add(rule);
    StatusCode::NO_CONTENT
}

/// `POST /_control/publish {"locator_url": "http://…"}`: every provider publishes its
/// pointers to that gateway now; answers when done with the counts.
async fn post_publish(State(state): State<SimState>, Json(body): Json<Value>) -> Response {
    let Some(url) = body["locator_url"].as_str() else {
        return (StatusCode::BAD_REQUEST, "locator_url is required").into_response();
    };
    let done = crate::publisher::publish_all(&state, url).await;
    let status = if done.failures.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_GATEWAY
    };
    (status, Json(done)).into_response()
}

/// `PUT /_control/locator {"locator_url": "http://…"}`: the gateway providers tell of
/// patients they first see from now on, without publishing everyone in bulk.
async fn put_locator(State(state): State<SimState>, Json(body): Json<Value>) -> Response {
    let Some(url) = body["locator_url"].as_str() else {
        return (StatusCode::BAD_REQUEST, "locator_url is required").into_response();
    };
    state.publisher.set_locator(url);
    StatusCode::NO_CONTENT.into_response()
}

async fn delete_faults(State(state): State<SimState>) -> StatusCode {
    state.faults.replace(Vec::new());
    StatusCode::NO_CONTENT
}

/// One example NHS number per edge case, where the population has one.
pub fn examples(state: &SimState) -> Value {
    let mut out = serde_json::Map::new();
    for case in EdgeCase::ALL {
        if let Some(p) = state.population.example(case) {
            let key = serde_json::to_value(case)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            out.insert(
                key,
                json!({"nhs_number": p.nhs_number.as_digits(), "practice": p.practice_ods}),
            );
        }
    }
    Value::Object(out)
}

async fn get_replay(State(state): State<SimState>) -> Json<Value> {
    Json(state.replays.report())
}

async fn get_examples(State(state): State<SimState>) -> Json<Value> {
    Json(examples(&state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_on_this_machine_get_cors() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "http://[::1]:9",
        ] {
            assert!(is_loopback_origin(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "https://127.0.0.1:8080",
            "http://127.0.0.1.evil.example:80",
            "http://127.0.0.1:",
            "http://localhost",
            "http://example.com:8080",
        ] {
            assert!(!is_loopback_origin(bad.as_bytes()), "{bad}");
        }
    }
}
