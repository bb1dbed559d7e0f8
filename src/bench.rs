//! Benchmark entry point (cargo feature `bench`, built only by `cargo xtask bench`):
//! renders the clinician's [`RecordView`] for a record handed over as JSON, without a
//! gateway, so the bench page can time the same view the panel shows.
//!
//! It mounts exactly as [`crate::mount`] does — a `div.mcr-root` in the element's open
//! shadow root, the panel's stylesheet and its outer section — but with the record
//! already complete, so what is timed is parsing the record and building its DOM.

use leptos::mount::mount_to;
use leptos::prelude::*;
use mcr_model::Record;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::PanelHandle;
use crate::app::RecordView;
use crate::style::PANEL_CSS;

#[wasm_bindgen(inline_js = "export function utf8(text) { return new TextEncoder().encode(text); }")]
extern "C" {
    /// `text` (a JS string) as UTF-8 bytes, encoded by the browser.
    fn utf8(text: &JsValue) -> js_sys::Uint8Array;
}

/// Parses `record_json` (a JS string holding an [`mcr_model::Record`], as the gateway's
/// `application/json` form sends it) and mounts its [`RecordView`] into `element`'s
/// shadow root.
///
/// The text is taken as the panel takes the gateway's stream, as UTF-8 bytes: the
/// browser's `TextEncoder` encodes it in one call and the bytes are copied into wasm
/// memory (wasm-bindgen's own `&str` argument walks a string of megabytes character by
/// character in JS first). Returns when the view's DOM is built; `unmount()` on the
/// handle removes it.
#[wasm_bindgen]
pub fn render_record_for_bench(
    element: HtmlElement,
    record_json: JsValue,
) -> Result<PanelHandle, JsValue> {
    let text = String::from_utf8(utf8(&record_json).to_vec())
        .map_err(|_| JsValue::from_str("the record is not UTF-8"))?;
    let record: Record = crate::wire::from_text(&text).map_err(|e| JsValue::from_str(&e.0))?;
    drop(text);
    let container = crate::shadow_container(&element)?;
    let handle = mount_to(container.clone(), move || {
        view! {
            <style>{PANEL_CSS}</style>
            <section class="mcr-panel" aria-label="My Care Record" data-progress="complete">
                <RecordView record=record/>
            </section>
        }
        .into_any()
    });
    Ok(PanelHandle {
        handle: Some(Box::new(handle)),
        container,
        options: None,
    })
}
