//! Benchmark entry point (cargo feature `bench`, built only by `cargo xtask bench`):
//! the clinician's [`RecordView`] as the panel shows it while a record streams in, fed
//! from JSON handed over by the bench page instead of a gateway, so the page can time
//! the same view the panel shows from the last byte of the data.
//!
//! [`mount_for_bench`] mounts exactly as [`crate::mount`] does — a `div.mcr-root` in the
//! element's open shadow root, the panel's stylesheet and its outer section — showing
//! the record as it stands once the patient and the sources to ask are known and no
//! source has answered: what is on screen while the panel waits. [`BenchView::show`]
//! then takes the complete record, as the panel takes the last source's event: UTF-8
//! bytes as they come from the network, copied in, checked, parsed and set into the
//! view's signal, which rebuilds the `RecordView`, as `Panel` does on each event.

use std::sync::Arc;

use leptos::mount::mount_to;
use leptos::prelude::*;
use mcr_model::Record;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use crate::PanelHandle;
use crate::app::RecordView;
use crate::style::PANEL_CSS;

/// A bench view: the mounted panel and the record it shows.
#[wasm_bindgen]
pub struct BenchView {
    panel: PanelHandle,
    record: RwSignal<Arc<Record>>,
}

/// Reads a record from `bytes` (the UTF-8 JSON of an [`mcr_model::Record`], as the
/// gateway's `application/json` form sends it), as the panel reads the gateway's stream:
/// copied into wasm memory, checked to be UTF-8 and parsed with the panel's reader.
fn read_record(bytes: &js_sys::Uint8Array) -> Result<Record, JsValue> {
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| JsValue::from_str("the record is not UTF-8"))?;
    crate::wire::from_text(&text).map_err(|e| JsValue::from_str(&e.0))
}

/// Mounts the record view into `element`'s shadow root showing `waiting_json` (UTF-8
/// JSON of the record before any source has answered: its patient and `located` list).
/// Returns when its DOM is built.
#[wasm_bindgen]
pub fn mount_for_bench(
    element: HtmlElement,
    waiting_json: js_sys::Uint8Array,
) -> Result<BenchView, JsValue> {
    let record = RwSignal::new(Arc::new(read_record(&waiting_json)?));
    let container = crate::shadow_container(&element)?;
    let handle = mount_to(container.clone(), move || {
        view! {
            <style>{PANEL_CSS}</style>
            <section class="mcr-panel" aria-label="My Care Record">
                {move || {
                    record.track();
                    view! { <RecordView record=Signal::from(record)/> }
                }}
            </section>
        }
        .into_any()
    });
    Ok(BenchView {
        panel: PanelHandle {
            handle: Some(Box::new(handle)),
            container,
            options: None,
        },
        record,
    })
}

#[wasm_bindgen]
impl BenchView {
    /// Shows the complete record in `record_json` (UTF-8 JSON bytes, as they arrive from
    /// the network): read, then set, which rebuilds the view before the browser's next
    /// frame.
    pub fn show(&self, record_json: js_sys::Uint8Array) -> Result<(), JsValue> {
        let record = read_record(&record_json)?;
        self.record.set(Arc::new(record));
        Ok(())
    }

    /// Removes the view from the page.
    pub fn unmount(&mut self) {
        self.panel.unmount();
    }
}
