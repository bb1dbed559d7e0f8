//! The panel's inputs, read from the JS object a host passes to `mount`.

use std::sync::{Arc, Mutex};

use js_sys::Reflect;
use send_wrapper::SendWrapper;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::crosscheck::HostDemographics;

/// `hostDemographics` from the options object, if the host gave any.
fn host_demographics(value: &JsValue) -> Option<HostDemographics> {
    host_demographics_from(&Reflect::get(value, &JsValue::from_str("hostDemographics")).ok()?)
}

/// `{ familyName?, birthDate? }` as the host's demographics; `None` unless an object.
pub fn host_demographics_from(host: &JsValue) -> Option<HostDemographics> {
    if !host.is_object() {
        return None;
    }
    let text = |name: &str| {
        Reflect::get(host, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.trim().is_empty())
    };
    Some(HostDemographics {
        family_name: text("familyName"),
        birth_date: text("birthDate"),
    })
}

/// The host user's bearer token, kept in memory only and shared by every clone of the
/// options, with the host's `getToken` callback (if it gave one) to fetch a fresh one.
#[derive(Clone)]
pub struct Token {
    value: Arc<Mutex<String>>,
    get_token: Option<Arc<SendWrapper<js_sys::Function>>>,
}

impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.value, &other.value)
    }
}

impl Token {
    /// A token the host set, without a callback.
    pub fn fixed(value: impl Into<String>) -> Self {
        Self {
            value: Arc::new(Mutex::new(value.into())),
            get_token: None,
        }
    }

    /// The token as it stands (empty before a callback has given one).
    pub fn current(&self) -> String {
        self.value.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Whether the host gave a `getToken` callback.
    pub fn can_refresh(&self) -> bool {
        self.get_token.is_some()
    }

    /// Asks the host's `getToken` for a fresh token (it may return a promise) and keeps
    /// it; `false` without a callback or when it gives nothing usable.
    pub async fn refresh(&self) -> bool {
        let Some(get_token) = &self.get_token else {
            return false;
        };
        let Ok(mut answer) = get_token.call0(&JsValue::NULL) else {
            return false;
        };
        if let Some(promise) = answer.dyn_ref::<js_sys::Promise>() {
            match JsFuture::from(promise.clone()).await {
                Ok(v) => answer = v,
                Err(_) => return false,
            }
        }
        match answer.as_string().filter(|t| !t.is_empty()) {
            Some(fresh) => {
                if let Ok(mut v) = self.value.lock() {
                    *v = fresh;
                }
                true
            }
            None => false,
        }
    }
}

/// What the host gives the panel.
#[derive(Clone, PartialEq)]
pub struct PanelOptions {
    /// Base URL of the gateway, e.g. `https://mcr.example.nhs.uk`.
    pub gateway_url: String,
    /// The patient's NHS number as the host holds it.
    pub nhs_number: String,
    /// The host user's bearer token (kept in memory only), and how to refresh it.
    pub token: Token,
    /// For a search (the portal) rather than a launch: why the record is opened.
    pub reason: Option<String>,
    /// For a search in a role that must give it: the patient's date of birth.
    pub birth_date: Option<String>,
    /// What the host holds about the patient, to cross-check against the record.
    pub host: Option<HostDemographics>,
    /// Minutes after which the record on screen is flagged as possibly out of date.
    pub stale_after_minutes: f64,
}

/// The default for [`PanelOptions::stale_after_minutes`].
pub const STALE_AFTER_MINUTES: f64 = 10.0;

impl std::fmt::Debug for PanelOptions {
    /// Redacts the token and the NHS number so neither can reach a console log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelOptions")
            .field("gateway_url", &self.gateway_url)
            .finish_non_exhaustive()
    }
}

impl PanelOptions {
    /// Reads `{ gatewayUrl, nhsNumber, token, getToken?, reason?, birthDate?,
    /// hostDemographics?: { familyName?, birthDate? }, staleAfterMinutes? }`; the first
    /// two must be non-empty strings, and there must be a `token` or a `getToken`
    /// function (called for the first token, and again whenever the gateway answers 401).
    pub fn from_js(value: &JsValue) -> Result<Self, String> {
        let optional = |name: &str| {
            Reflect::get(value, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
                .filter(|s| !s.trim().is_empty())
        };
        let field = |name: &str| -> Result<String, String> {
            Reflect::get(value, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("mcr-panel: option {name} is required"))
        };
        Ok(Self {
            gateway_url: field("gatewayUrl")?.trim_end_matches('/').to_string(),
            nhs_number: field("nhsNumber")?,
            token: {
                let get_token = Reflect::get(value, &JsValue::from_str("getToken"))
                    .ok()
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                    .map(|f| Arc::new(SendWrapper::new(f)));
                let token = match (field("token"), &get_token) {
                    (Ok(t), _) => t,
                    (Err(_), Some(_)) => String::new(),
                    (Err(e), None) => return Err(e),
                };
                Token {
                    value: Arc::new(Mutex::new(token)),
                    get_token,
                }
            },
            reason: optional("reason"),
            birth_date: optional("birthDate"),
            host: host_demographics(value),
            stale_after_minutes: Reflect::get(value, &JsValue::from_str("staleAfterMinutes"))
                .ok()
                .and_then(|v| v.as_f64())
                .filter(|m| m.is_finite() && *m > 0.0)
                .unwrap_or(STALE_AFTER_MINUTES),
        })
    }
}
