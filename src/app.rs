//! The panel's root component: loads the record for one patient and renders it.

use leptos::prelude::*;
use mcr_model::{Record, SectionKind};
use send_wrapper::SendWrapper;
use web_sys::AbortController;

use crate::PanelOptions;
use crate::api::{LoadError, stream_record};
use crate::components::banner::PatientBanner;
use crate::components::section::RecordSection;
use crate::components::sources::SourceList;
use crate::state::{PanelState, Progress, waiting_for};
use crate::style::PANEL_CSS;

/// The whole panel for one patient: the record streamed in, each source's data shown
/// as it arrives.
#[component]
pub fn Panel(
    /// Gateway URL, NHS number and token from the host.
    options: PanelOptions,
) -> impl IntoView {
    let controller = AbortController::new().ok().map(SendWrapper::new);
    let abort = controller.as_ref().map(|c| SendWrapper::new(c.signal()));
    // Unmounting aborts whatever is still in flight for this patient.
    on_cleanup(move || {
        if let Some(c) = controller {
            c.abort();
        }
    });
    let (state, set_state) = signal(PanelState::default());
    let (failure, set_failure) = signal(None::<LoadError>);
    leptos::task::spawn_local(async move {
        let streamed = stream_record(&options, abort.as_deref(), |event| {
            // After unmount the signal is gone and the event is dropped.
            set_state.try_update(|s| s.apply(event));
        })
        .await;
        if let Err(e) = streamed {
            set_failure.try_set(Some(e));
        }
    });
    let progress = move || match state.with(|s| s.progress) {
        Progress::Opening => "opening",
        Progress::Receiving => "receiving",
        Progress::Complete => "complete",
        Progress::Aborted => "aborted",
    };
    view! {
        <style>{PANEL_CSS}</style>
        <section class="mcr-panel" aria-label="My Care Record" data-progress=progress>
            {move || match failure.get() {
                Some(e) => view! { <LoadFailed error=e/> }.into_any(),
                None => {
                    let s = state.get();
                    match s.progress {
                        Progress::Opening => view! {
                            <p class="mcr-loading" role="status">"Loading the shared care record…"</p>
                        }
                        .into_any(),
                        _ => view! {
                            {s.aborted.map(|m| view! {
                                <div class="mcr-error" role="alert">
                                    <strong>"The record stopped loading. "</strong>
                                    <span>{m}</span>
                                </div>
                            })}
                            <RecordView record=s.record/>
                        }
                        .into_any(),
                    }
                }
            }}
        </section>
    }
}

/// The record: banner, source status, and the sections.
#[component]
pub fn RecordView(
    /// The record to show.
    record: Record,
) -> impl IntoView {
    let waiting = waiting_for(&record);
    let sections = SectionKind::ALL
        .into_iter()
        .map(|kind| {
            let entries = record
                .section(kind)
                .map(|s| s.entries.clone())
                .unwrap_or_default();
            view! {
                <RecordSection
                    kind=kind
                    entries=entries
                    sources=record.sources.clone()
                    waiting=waiting.clone()
                />
            }
        })
        .collect_view();
    view! {
        <PatientBanner patient=record.patient.clone()/>
        <SourceList sources=record.sources.clone() waiting=waiting.clone()/>
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
