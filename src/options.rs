//! The panel's inputs, read from the JS object a host passes to `mount`.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// What the host gives the panel.
#[derive(Clone, PartialEq, Eq)]
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
}

impl std::fmt::Debug for PanelOptions {
    /// Redacts the token and the NHS number so neither can reach a console log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PanelOptions")
            .field("gateway_url", &self.gateway_url)
            .finish_non_exhaustive()
    }
}

impl PanelOptions {
    /// Reads `{ gatewayUrl, nhsNumber, token, reason?, birthDate? }`; the first three
    /// must be non-empty strings.
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
        })
    }
}
