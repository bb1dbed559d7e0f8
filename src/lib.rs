//! My Care Record panel: a Leptos component compiled to WebAssembly, embedded by host
//! pages as the `<mcr-panel>` custom element or through the exported [`mount`].
//!
//! Either way the panel renders inside an open Shadow DOM, so the host's CSS cannot
//! break it and its CSS cannot leak into the host. It talks only to the gateway, keeps
//! the token in memory only (a JS property, never an attribute or browser storage), and
//! opens a patient context before asking for the record.

pub mod api;
pub mod app;
#[cfg(feature = "bench")]
pub mod bench;
pub mod compare;
pub mod components;
pub mod crosscheck;
pub mod dates;
pub mod events;
pub mod filter;
pub mod json;
pub mod options;
pub mod order;
pub mod state;
pub mod style;
pub mod summary;
pub mod text;
pub mod trends;
pub mod wire;

use leptos::mount::mount_to;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

pub use app::Panel;
pub use options::PanelOptions;

/// A mounted panel; `unmount()` removes it and aborts its requests; `setPatient()`
/// switches it to another patient.
#[wasm_bindgen]
pub struct PanelHandle {
    handle: Option<Box<dyn std::any::Any>>,
    container: HtmlElement,
    /// What the panel was mounted with (none for a bench view, which has no patient).
    options: Option<PanelOptions>,
}

#[wasm_bindgen]
impl PanelHandle {
    /// Removes the panel from the page and aborts any request in flight.
    pub fn unmount(&mut self) {
        // Dropping Leptos's unmount handle runs the panel's cleanups (which abort its
        // fetches and end the patient context) and removes its DOM.
        self.handle.take();
        self.container.remove();
    }

    /// Switches to another patient: the old patient's view clears at once, its requests
    /// are aborted, its context ended, and any late answer for it is dropped.
    /// `hostDemographics` (optional) is what the host holds about the new patient.
    #[wasm_bindgen(js_name = setPatient)]
    pub fn set_patient(
        &mut self,
        nhs_number: String,
        host_demographics: JsValue,
    ) -> Result<(), JsValue> {
        let mut options = self
            .options
            .clone()
            .ok_or("this view was not mounted for a patient")?;
        options.nhs_number = nhs_number;
        options.host = options::host_demographics_from(&host_demographics);
        // The old panel goes first, with everything it had in flight.
        self.handle.take();
        self.options = Some(options.clone());
        let handle = mount_to(self.container.clone(), move || {
            view! { <Panel options=options/> }.into_any()
        });
        self.handle = Some(Box::new(handle));
        Ok(())
    }
}

/// Mounts the panel into `element`'s (open) shadow root, creating it if needed.
///
/// `options` is a JS object: `{ gatewayUrl, nhsNumber, token }` (or `getToken`, a
/// function returning the token or a promise of it, called again after a 401), optionally with
/// `hostDemographics: { familyName, birthDate }` (cross-checked against the record),
/// `staleAfterMinutes` (default 10), and for a portal search `reason` and `birthDate`.
#[wasm_bindgen]
pub fn mount(element: HtmlElement, options: JsValue) -> Result<PanelHandle, JsValue> {
    let options = PanelOptions::from_js(&options).map_err(|e| JsValue::from_str(&e))?;
    let container = shadow_container(&element)?;
    let mounted = options.clone();
    let handle = mount_to(container.clone(), move || {
        view! { <Panel options=mounted/> }.into_any()
    });
    Ok(PanelHandle {
        handle: Some(Box::new(handle)),
        container,
        options: Some(options),
    })
}

/// A new `div.mcr-root` in `element`'s (open) shadow root, creating the root if needed:
/// where the panel is mounted.
fn shadow_container(element: &HtmlElement) -> Result<HtmlElement, JsValue> {
    let root = match element.shadow_root() {
        Some(root) => root,
        None => element.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    let document = element.owner_document().ok_or("element has no document")?;
    let container: HtmlElement = document.create_element("div")?.unchecked_into();
    container.set_class_name("mcr-root");
    root.append_child(&container)?;
    Ok(container)
}

#[wasm_bindgen(inline_js = r#"
export function define_mcr_panel(mount) {
  if (customElements.get('mcr-panel')) return;
  class McrPanel extends HTMLElement {
    #options = {};
    #handle = null;
    static get observedAttributes() { return ['gateway-url']; }
    // The token is a property only: attributes are visible in the DOM.
    set token(v) { this.#options.token = v; this.#render(); }
    get token() { return undefined; }
    // Or a function returning the token (or a promise of it): called for the first
    // token and again whenever the gateway answers 401, so the host can refresh it.
    set getToken(f) { this.#options.getToken = f; this.#render(); }
    get getToken() { return undefined; }
    set nhsNumber(v) { this.#options.nhsNumber = v; this.#render(); }
    get nhsNumber() { return this.#options.nhsNumber; }
    set gatewayUrl(v) { this.#options.gatewayUrl = v; this.#render(); }
    // For a search (the portal): why, and the date of birth where the role must give it.
    // Set these before nhsNumber and token, which (re)open the record.
    set reason(v) { this.#options.reason = v; }
    get reason() { return this.#options.reason; }
    set birthDate(v) { this.#options.birthDate = v; }
    get birthDate() { return this.#options.birthDate; }
    // What the host holds about the patient, cross-checked against the shared record.
    set hostDemographics(v) { this.#options.hostDemographics = v; }
    get hostDemographics() { return this.#options.hostDemographics; }
    set staleAfterMinutes(v) { this.#options.staleAfterMinutes = v; }
    get staleAfterMinutes() { return this.#options.staleAfterMinutes; }
    setPatient(nhsNumber, hostDemographics) {
      this.#options.hostDemographics = hostDemographics;
      this.nhsNumber = nhsNumber;
    }
    get gatewayUrl() { return this.#options.gatewayUrl ?? this.getAttribute('gateway-url') ?? ''; }
    attributeChangedCallback() { this.#render(); }
    connectedCallback() {
      if (!this.shadowRoot) this.attachShadow({ mode: 'open' });
      this.#render();
    }
    disconnectedCallback() { this.#unmount(); }
    #unmount() { if (this.#handle) { this.#handle.unmount(); this.#handle.free(); this.#handle = null; } }
    #render() {
      if (!this.isConnected) return;
      const o = { gatewayUrl: this.gatewayUrl, nhsNumber: this.#options.nhsNumber, token: this.#options.token, getToken: this.#options.getToken,
                  reason: this.#options.reason, birthDate: this.#options.birthDate,
                  hostDemographics: this.#options.hostDemographics, staleAfterMinutes: this.#options.staleAfterMinutes };
      if (!o.gatewayUrl || !o.nhsNumber || (!o.token && typeof o.getToken !== 'function')) return;
      this.#unmount();
      this.#handle = mount(this, o);
    }
  }
  customElements.define('mcr-panel', McrPanel);
}
"#)]
extern "C" {
    fn define_mcr_panel(mount: &js_sys::Function);
}

/// Defines the `<mcr-panel>` custom element (idempotent). Runs when the module loads.
#[wasm_bindgen(js_name = defineElement)]
pub fn define_element() {
    let mount_fn =
        Closure::<dyn Fn(HtmlElement, JsValue) -> Result<PanelHandle, JsValue>>::new(mount);
    define_mcr_panel(mount_fn.as_ref().unchecked_ref());
    // The element class keeps calling this function for the life of the page.
    mount_fn.forget();
}

#[wasm_bindgen(start)]
fn start() {
    define_element();
}
