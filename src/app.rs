//! The panel's root component: opens the patient's context, streams the record into
//! it, loads the comments beside it, and renders both.

use std::collections::HashMap;

use leptos::prelude::*;
use mcr_model::{EntryRef, Record, SectionKind};
use send_wrapper::SendWrapper;
use web_sys::AbortController;

use crate::PanelOptions;
use crate::api::{LoadError, open_context, stream_record};
use crate::components::banner::PatientBanner;
use crate::components::comments::{CommentsModel, CommentsSection};
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
    let (context, set_context) = signal(None::<String>);
    let comments = CommentsModel::new();
    let opts = options.clone();
    leptos::task::spawn_local(async move {
        let (nhs, context_id) = match open_context(&opts, abort.as_deref()).await {
            Ok(opened) => opened,
            Err(e) => {
                set_failure.try_set(Some(e));
                return;
            }
        };
        set_context.try_set(Some(context_id.clone()));
        // The comments load beside the record, not after it.
        let (for_comments, ctx) = (opts.clone(), context_id.clone());
        leptos::task::spawn_local(async move { comments.reload(&for_comments, &ctx).await });
        let streamed = stream_record(&opts, &nhs, &context_id, abort.as_deref(), |event| {
            // After unmount the signal is gone and the event is dropped.
            set_state.try_update(|s| s.apply(event));
        })
        .await;
        if let Err(e) = streamed {
            set_failure.try_set(Some(e));
        }
    });
    let titles = Signal::derive(move || state.with(|s| entry_titles(&s.record)));
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
                            <RecordView record=s.record comments=Some(comments)/>
                        }
                        .into_any(),
                    }
                }
            }}
            {move || match (failure.with(Option::is_some), context.get()) {
                (false, Some(context_id)) => Some(view! {
                    <CommentsSection
                        model=comments
                        options=options.clone()
                        context_id=context_id
                        titles=titles
                    />
                }),
                _ => None,
            }}
        </section>
    }
}

/// The record: banner, source status, and the sections.
#[component]
pub fn RecordView(
    /// The record to show.
    record: Record,
    /// Comments, for the markers and "Comment" buttons on entries.
    #[prop(optional_no_strip)]
    comments: Option<CommentsModel>,
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
                    comments=comments
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

/// Every entry's title by its reference, to say what an entry comment is about.
fn entry_titles(record: &Record) -> HashMap<EntryRef, String> {
    record
        .sections
        .iter()
        .flat_map(|s| &s.entries)
        .map(|e| {
            (
                EntryRef {
                    source: e.source.id.clone(),
                    entry: e.id.clone(),
                },
                e.title.clone(),
            )
        })
        .collect()
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
