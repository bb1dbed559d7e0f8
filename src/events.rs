//! The custom events the panel sends its host. Each is dispatched from inside the shadow
//! root with `bubbles` and `composed`, so the host sees it on the `<mcr-panel>` element
//! (or the element it mounted into) and anywhere above it. No event carries a token or
//! patient data.

use wasm_bindgen::JsValue;
use web_sys::{CustomEvent, CustomEventInit, Element};

use crate::api::{LoadError, PATIENT_MISMATCH};
use crate::json::Json;

/// The record has been shown: every located source has answered, timed out or failed.
pub const READY: &str = "mcr-ready";
/// The gateway refused the token (it has expired or is not valid): the host should set
/// a fresh one.
pub const TOKEN_EXPIRED: &str = "mcr-token-expired";
/// An answer named a patient other than the one the host asked for; nothing was shown.
pub const PATIENT_MISMATCH_EVENT: &str = "mcr-patient-mismatch";
/// Something could not be loaded; `detail` has `code` and `message`.
pub const ERROR: &str = "mcr-error";

/// Dispatches `name` from `from` with `detail` (a JSON value).
pub fn dispatch(from: &Element, name: &str, detail: &Json) {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    let detail = js_sys::JSON::parse(&detail.to_text()).unwrap_or(JsValue::NULL);
    init.set_detail(&detail);
    if let Ok(event) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = from.dispatch_event(&event);
    }
}

/// The events a failure raises: always `mcr-error`, and before it `mcr-token-expired`
/// for a refused token or `mcr-patient-mismatch` for an answer about someone else.
pub fn for_failure(error: &LoadError) -> Vec<(&'static str, Json)> {
    let mut events = vec![];
    if error.status == Some(401) {
        events.push((TOKEN_EXPIRED, Json::Object(vec![])));
    }
    if error.code == PATIENT_MISMATCH {
        events.push((
            PATIENT_MISMATCH_EVENT,
            Json::object([("message", Some(Json::str(&error.message)))]),
        ));
    }
    events.push((
        ERROR,
        Json::object([
            ("code", Some(Json::str(&error.code))),
            ("message", Some(Json::str(&error.message))),
        ]),
    ));
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_token_raises_token_expired_then_error() {
        let e = LoadError {
            message: "a valid bearer token is required".into(),
            code: "unauthorised".into(),
            status: Some(401),
        };
        let names: Vec<&str> = for_failure(&e).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [TOKEN_EXPIRED, ERROR]);
    }

    #[test]
    fn an_answer_about_someone_else_raises_patient_mismatch_then_error() {
        let e = LoadError::new(PATIENT_MISMATCH, "different patient");
        let events = for_failure(&e);
        assert_eq!(events[0].0, PATIENT_MISMATCH_EVENT);
        assert_eq!(
            events[1].1.get("code").and_then(Json::as_str),
            Some(PATIENT_MISMATCH)
        );
    }
}
