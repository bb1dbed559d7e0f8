//! The panel's root component: loads the record for one patient and renders it.

use leptos::prelude::*;
use mcr_model::{Record, SectionKind};
use send_wrapper::SendWrapper;
use web_sys::AbortController;

use crate::PanelOptions;
use crate::api::{LoadError, load_record};
use crate::components::banner::PatientBanner;
use crate::components::section::RecordSection;
use crate::components::sources::SourceList;
use crate::style::PANEL_CSS;

/// The whole panel for one patient.
#[component]
pub fn Panel(
    /// Gateway URL, NHS number and token from the host.
    options: PanelOptions,
) -> impl IntoView {
    let controller = AbortController::new().ok().map(SendWrapper::new);
    let signal = controller.as_ref().map(|c| SendWrapper::new(c.signal()));
    // Unmounting aborts whatever is still in flight for this patient.
    on_cleanup(move || {
        if let Some(c) = controller {
            c.abort();
        }
    });
    let record = LocalResource::new(move || {
        let options = options.clone();
        let signal = signal.clone();
        async move { load_record(&options, signal.as_deref()).await }
    });
    view! {
        <style>{PANEL_CSS}</style>
        <section class="mcr-panel" aria-label="My Care Record">
            <Suspense fallback=|| {
                view! { <p class="mcr-loading" role="status">"Loading the shared care record…"</p> }
            }>
                {move || Suspend::new(async move {
                    match record.await {
                        Ok(record) => view! { <RecordView record=record/> }.into_any(),
                        Err(e) => view! { <LoadFailed error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The record: banner, source status, and the sections.
#[component]
pub fn RecordView(
    /// The record to show.
    record: Record,
) -> impl IntoView {
    let sections = SectionKind::ALL
        .into_iter()
        .map(|kind| {
            let entries = record
                .section(kind)
                .map(|s| s.entries.clone())
                .unwrap_or_default();
            view! { <RecordSection kind=kind entries=entries sources=record.sources.clone()/> }
        })
        .collect_view();
    view! {
        <PatientBanner patient=record.patient.clone()/>
        <SourceList sources=record.sources.clone()/>
        <div class="mcr-sections">{sections}</div>
    }
}

/// The record could not be loaded at all.
#[component]
fn LoadFailed(
    /// What went wrong.
    error: LoadError,
) -> impl IntoView {
    view! {
        <div class="mcr-error" role="alert">
            <strong>"The shared care record could not be shown. "</strong>
            <span>{error.0}</span>
        </div>
    }
}
