//! The panel's calls to the gateway: open a patient context, stream the record, and
//! read, add and retract comments in that context.
//!
//! Every request carries the token in the `Authorization` header and an abort signal, so
//! unmounting the panel (or switching patient) cancels what is in flight.

use gloo_net::http::{Request, Response};
use mcr_model::{
    ApiError, BreakGlassReason, CommentView, Comments, ContextCreated, GrantView,
    NewCommentRequest, NhsNumber, RecordEvent,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader};

use crate::PanelOptions;
use crate::wire::{self, FromJson};

/// Why something could not be loaded or saved, in words for the clinician, with the
/// gateway's error code and HTTP status where it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// What went wrong, for people.
    pub message: String,
    /// The gateway's stable code (e.g. `patient_dissent`), or the panel's own
    /// (`patient_mismatch`, `network`).
    pub code: String,
    /// The HTTP status, when the gateway answered.
    pub status: Option<u16>,
}

impl LoadError {
    /// An error the panel itself detected.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: code.into(),
            status: None,
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

async fn error_from(response: Response) -> LoadError {
    let status = Some(response.status());
    let text = response.text().await.unwrap_or_default();
    match wire::from_text::<ApiError>(&text) {
        Ok(e) => LoadError {
            message: e.message,
            code: e.code,
            status,
        },
        Err(_) => LoadError {
            message: format!("the gateway answered {}", response.status()),
            code: "http".into(),
            status,
        },
    }
}

fn network(e: gloo_net::Error) -> LoadError {
    LoadError::new("network", format!("the gateway could not be reached ({e})"))
}

/// A successful answer's JSON body read as a `T`.
fn decode<T: FromJson>(text: &str) -> Result<T, LoadError> {
    wire::from_text(text).map_err(|e| {
        LoadError::new(
            "unreadable",
            format!("the gateway sent something unreadable ({e})"),
        )
    })
}

/// Sends the request `build` makes (see [`send`]) and reads its answer's JSON body as
/// a `T`. Only the last step depends on `T`: the sending and the waiting are compiled
/// once, not once per answer type.
async fn fetch<T: FromJson>(options: &PanelOptions, build: &Build<'_>) -> Result<T, LoadError> {
    decode(&fetch_text(options, build).await?)
}

/// Sends the request `build` makes (see [`send`]) and waits for its answer's body.
async fn fetch_text(options: &PanelOptions, build: &Build<'_>) -> Result<String, LoadError> {
    send(options, build).await?.text().await.map_err(network)
}

/// A request with a JSON body (already written as text).
fn with_json(
    request: gloo_net::http::RequestBuilder,
    body: &str,
) -> Result<Request, gloo_net::Error> {
    request
        .header("Content-Type", "application/json")
        .body(body)
}

/// The code of the error raised when an answer names a patient other than the one asked for.
pub const PATIENT_MISMATCH: &str = "patient_mismatch";

/// How many times a request refused with `503` and `Retry-After` is sent again.
const OVERLOAD_RETRIES: usize = 2;

/// Waits `ms` milliseconds.
async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                i32::try_from(ms).unwrap_or(i32::MAX),
            );
        }
    });
    let _ = JsFuture::from(promise).await;
}

fn bearer(options: &PanelOptions) -> String {
    format!("Bearer {}", options.token.current())
}

/// Makes a request given the `Authorization` header's value. A trait object, so that
/// [`send`], with its retries and token refresh, is compiled once for every request.
type Build<'a> = dyn Fn(&str) -> Result<Request, gloo_net::Error> + 'a;

/// Sends the request `build` makes with the current `Authorization` header; a refusal
/// becomes the gateway's own error. When the host gave a `getToken` callback it is asked
/// for the first token, and for a fresh one after a 401, and the request is sent once
/// more.
async fn send(options: &PanelOptions, build: &Build<'_>) -> Result<Response, LoadError> {
    if options.token.current().is_empty() {
        options.token.refresh().await;
    }
    // One sending of the request, with the token as it stands now.
    let attempt = || async {
        build(&bearer(options))
            .map_err(network)?
            .send()
            .await
            .map_err(network)
    };
    let mut response = attempt().await?;
    if response.status() == 401 && options.token.refresh().await {
        response = attempt().await?;
    }
    // A gateway at capacity says when to come back: wait that long (at most 5 s), twice.
    for _ in 0..OVERLOAD_RETRIES {
        if response.status() != 503 {
            break;
        }
        let Some(seconds) = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.trim().parse::<u32>().ok())
        else {
            break;
        };
        sleep_ms(seconds.clamp(1, 5) * 1000).await;
        response = attempt().await?;
    }
    if !response.ok() {
        return Err(error_from(response).await);
    }
    Ok(response)
}

/// Opens a context for the patient in `options`; returns the checked NHS number and
/// the context id.
pub async fn open_context(
    options: &PanelOptions,
    signal: Option<&AbortSignal>,
) -> Result<(NhsNumber, String), LoadError> {
    let nhs = NhsNumber::parse(&options.nhs_number).map_err(|e| {
        LoadError::new(
            "invalid_nhs_number",
            format!("the host passed an invalid NHS number: {e}"),
        )
    })?;
    let body = wire::create_context_body(
        &nhs.as_digits(),
        options.reason.as_ref(),
        options.birth_date.as_ref(),
    );
    let url = format!("{}/api/v1/contexts", options.gateway_url);
    let request = |auth: &str| {
        with_json(
            Request::post(&url)
                .header("Authorization", auth)
                .abort_signal(signal),
            &body,
        )
    };
    let created: ContextCreated = fetch(options, &request).await?;
    Ok((nhs, created.context_id))
}

fn js_error(e: JsValue) -> LoadError {
    LoadError::new(
        "network",
        format!(
            "the record stream broke off ({})",
            e.as_string().unwrap_or_else(|| "network error".into())
        ),
    )
}

/// Streams the record of context `context_id` (`application/x-ndjson`) — from every
/// located source, or with `only` from that one source again — calling `on_event` for
/// each event as it arrives. A `patient` event for anyone other than `nhs`, the patient
/// the context was opened for, ends the stream with an error: it is never shown.
pub async fn stream_record(
    options: &PanelOptions,
    nhs: &NhsNumber,
    context_id: &str,
    only: Option<&str>,
    signal: Option<&AbortSignal>,
    on_event: &mut dyn FnMut(RecordEvent),
) -> Result<(), LoadError> {
    let query = only
        .map(|id| format!("?source={}", js_sys::encode_uri_component(id)))
        .unwrap_or_default();
    let url = format!(
        "{}/api/v1/contexts/{context_id}/record{query}",
        options.gateway_url
    );
    let request = |auth: &str| {
        Request::get(&url)
            .header("Authorization", auth)
            .header("Accept", "application/x-ndjson")
            .abort_signal(signal)
            .build()
    };
    let response = send(options, &request).await?;
    let body = response
        .body()
        .ok_or_else(|| LoadError::new("network", "the gateway sent no record"))?;
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(js_error)?;
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .map_err(js_error)?
            .as_bool()
            .unwrap_or(true);
        if done {
            break;
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(js_error)?;
        pending.extend(js_sys::Uint8Array::new(&value).to_vec());
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let event = std::str::from_utf8(&line)
                .map_err(|_| crate::json::JsonError::new("invalid UTF-8"))
                .and_then(wire::from_text::<RecordEvent>)
                .map_err(|e| {
                    LoadError::new(
                        "unreadable",
                        format!("the gateway sent something unreadable ({e})"),
                    )
                })?;
            if let RecordEvent::Patient { patient: Some(p) } = &event
                && p.nhs_number != *nhs
            {
                return Err(LoadError::new(
                    PATIENT_MISMATCH,
                    "the gateway returned a record for a different patient; it has not been shown",
                ));
            }
            on_event(event);
        }
    }
    Ok(())
}

fn comments_url(options: &PanelOptions, context_id: &str) -> String {
    format!(
        "{}/api/v1/contexts/{context_id}/comments",
        options.gateway_url
    )
}

/// The comments on the context's patient.
pub async fn load_comments(
    options: &PanelOptions,
    context_id: &str,
    signal: Option<&AbortSignal>,
) -> Result<Comments, LoadError> {
    let url = comments_url(options, context_id);
    let request = |auth: &str| {
        Request::get(&url)
            .header("Authorization", auth)
            .abort_signal(signal)
            .build()
    };
    fetch(options, &request).await
}

/// Posts a comment with idempotency key `key`: resending the same key after a failure
/// never stores it twice.
pub async fn post_comment(
    options: &PanelOptions,
    context_id: &str,
    key: &str,
    comment: &NewCommentRequest,
    signal: Option<&AbortSignal>,
) -> Result<CommentView, LoadError> {
    let url = comments_url(options, context_id);
    let body = wire::new_comment_body(&comment.body, comment.entry.as_ref());
    let request = |auth: &str| {
        with_json(
            Request::post(&url)
                .header("Authorization", auth)
                .header(mcr_model::comments::IDEMPOTENCY_KEY_HEADER, key)
                .abort_signal(signal),
            &body,
        )
    };
    fetch(options, &request).await
}

/// Retracts the reader's own comment `id`.
pub async fn retract_comment(
    options: &PanelOptions,
    context_id: &str,
    id: &str,
    signal: Option<&AbortSignal>,
) -> Result<(), LoadError> {
    let url = format!("{}/{id}/retract", comments_url(options, context_id));
    let request = |auth: &str| {
        Request::post(&url)
            .header("Authorization", auth)
            .abort_signal(signal)
            .build()
    };
    send(options, &request).await.map(drop)
}

/// Breaks the glass in context `context_id`, giving the coded reason `code` and the
/// clinician's explanation `reason`.
pub async fn break_glass(
    options: &PanelOptions,
    context_id: &str,
    code: BreakGlassReason,
    reason: &str,
) -> Result<GrantView, LoadError> {
    let url = format!(
        "{}/api/v1/contexts/{context_id}/break-glass",
        options.gateway_url
    );
    let body = wire::break_glass_body(code, reason);
    let request = |auth: &str| with_json(Request::post(&url).header("Authorization", auth), &body);
    fetch(options, &request).await
}

/// Ends context `context_id` (and any break-glass grant in it) without waiting for the
/// answer; `keepalive` lets the request finish even if the page is being closed.
pub fn end_context(options: &PanelOptions, context_id: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let init = web_sys::RequestInit::new();
    init.set_method("DELETE");
    // `keepalive` is not in web-sys's stable API; set it on the init dictionary directly.
    let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &JsValue::TRUE);
    let Ok(headers) = web_sys::Headers::new() else {
        return;
    };
    if headers.set("Authorization", &bearer(options)).is_err() {
        return;
    }
    init.set_headers(&headers);
    let url = format!("{}/api/v1/contexts/{context_id}", options.gateway_url);
    // The promise is dropped: an unanswered end leaves the context to expire when idle.
    let _ = window.fetch_with_str_and_init(&url, &init);
}
