//! The panel's inputs, read from the JS object a host passes to `mount`.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

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

/// What the host gives the panel.
#[derive(Clone, PartialEq)]
pub struct PanelOptions {
    /// Base URL of the gateway, e.g. `https://mcr.example.nhs.uk`.
    pub gateway_url: String,
    /// The patient's NHS number as the host holds it.
    pub nhs_number: String,
    /// The host user's bearer token (kept in memory only).
    pub token: String,
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
    /// Reads `{ gatewayUrl, nhsNumber, token, reason?, birthDate?, hostDemographics?:
    /// { familyName?, birthDate? }, staleAfterMinutes? }`; the first three must be
    /// non-empty strings.
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
            token: field("token")?,
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
