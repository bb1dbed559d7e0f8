//! The panel's root component: opens the patient's context, streams the record into
//! it, loads the comments beside it, and renders both.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use leptos::prelude::*;
use mcr_model::{EntryRef, GrantView, NhsNumber, Record, SectionKind};
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal};

use crate::PanelOptions;
use crate::api::{LoadError, end_context, open_context, stream_record};
use crate::components::banner::PatientBanner;
use crate::components::break_glass::{BreakGlassForm, EmergencyMarker};
use crate::components::comments::{CommentsModel, CommentsSection};
use crate::components::filter_bar::FilterBar;
use crate::components::section::{RecordSection, count_text};
use crate::components::sources::SourceList;
use crate::components::summary::record_summary;
use crate::components::tabs::{Tab, TabList, TabsModel, shown};
use crate::crosscheck;
use crate::dates::local_date_time;
use crate::events;
use crate::filter::EntryFilter;
use crate::json::Json;
use crate::state::{PanelState, Progress, waiting_for};
use crate::style::PANEL_CSS;

/// The whole panel for one patient: the record streamed in, each source's data shown
/// as it arrives, and the comments beside it.
///
/// Unmounting (the host removed the panel or switched patient) aborts what is in
/// flight, ends the patient context at the gateway, and drops any late answer.
#[component]
pub fn Panel(
    /// Gateway URL, NHS number and token from the host.
    options: PanelOptions,
) -> impl IntoView {
    let controller = AbortController::new().ok().map(SendWrapper::new);
    let abort = controller.as_ref().map(|c| SendWrapper::new(c.signal()));
    // The open context, readable in the cleanup (which may run after signals are gone).
    let opened: Arc<Mutex<Option<String>>> = Arc::default();
    // Cleared on unmount: late answers and failures of an unmounted panel (including
    // the abort itself) are dropped, never shown or reported to the host.
    let alive = Arc::new(AtomicBool::new(true));
    {
        let (opened, options, alive) = (opened.clone(), options.clone(), alive.clone());
        on_cleanup(move || {
            alive.store(false, Ordering::SeqCst);
            if let Some(c) = controller {
                c.abort();
            }
            if let Some(ctx) = opened.lock().ok().and_then(|mut o| o.take()) {
                end_context(&options, &ctx);
            }
        });
    }
    let stale_after = options.stale_after_minutes;
    let host = options.host.clone();
    let (retrieved, set_retrieved) = signal(None::<String>);
    let (stale, set_stale) = signal(false);
    let views = RwSignal::new(0u64);
    let (state, set_state) = signal(PanelState::default());
    let (failure, set_failure) = signal(None::<LoadError>);
    let (context, set_context) = signal(None::<String>);
    let (emergency, set_emergency) = signal(None::<GrantView>);
    let comments = CommentsModel::new();
    let filter = RwSignal::new(EntryFilter::default());
    // Above the record view, which is rebuilt as sources answer: the tab stays.
    let tabs = TabsModel::new();
    let root = NodeRef::<leptos::html::Section>::new();
    let live = {
        let alive = alive.clone();
        move || alive.load(Ordering::SeqCst)
    };
    let emit = move |name: &str, detail: Json| {
        if let Some(Some(el)) = root.try_get_untracked() {
            events::dispatch(&el, name, &detail);
        }
    };
    let fail = {
        let live = live.clone();
        move |e: LoadError| {
            if !live() {
                return;
            }
            for (name, detail) in events::for_failure(&e) {
                emit(name, detail);
            }
            set_failure.try_set(Some(e));
        }
    };
    // Streams the record into the panel (again, after the glass is broken).
    let show = {
        let (fail, live) = (fail.clone(), live.clone());
        move |opts: PanelOptions,
              nhs: NhsNumber,
              ctx: String,
              abort: Option<SendWrapper<AbortSignal>>| {
            let (fail, live) = (fail.clone(), live.clone());
            async move {
                set_state.try_set(PanelState::default());
                set_failure.try_set(None);
                set_stale.try_set(false);
                set_retrieved.try_set(Some(String::from(js_sys::Date::new_0().to_iso_string())));
                let generation = views.try_update(|n| {
                    *n += 1;
                    *n
                });
                // The comments load beside the record, not after it.
                let (for_comments, comments_ctx) = (opts.clone(), ctx.clone());
                leptos::task::spawn_local(async move {
                    comments.reload(&for_comments, &comments_ctx).await
                });
                let streamed =
                    stream_record(&opts, &nhs, &ctx, None, abort.as_deref(), &mut |event| {
                        // After unmount the signal is gone and the event is dropped.
                        set_state.try_update(|s| s.apply(event));
                    })
                    .await;
                match streamed {
                    Err(e) => fail(e),
                    Ok(()) if live() => {
                        let sources = state
                            .try_with_untracked(|s| s.record.sources.len())
                            .unwrap_or(0);
                        emit(
                            events::READY,
                            Json::object([("sources", Some(Json::Number(sources as f64)))]),
                        );
                        // Flag the record as possibly out of date after a while, unless
                        // it has been refreshed (or the panel closed) meanwhile.
                        set_timeout(
                            move || {
                                if views.try_get_untracked() == generation {
                                    set_stale.try_set(true);
                                }
                            },
                            Duration::from_secs_f64(stale_after * 60.0),
                        );
                    }
                    Ok(()) => {}
                }
            }
        }
    };
    // Asks one source again in the same context; the rest of the record stays.
    let retry = {
        let (options, abort, fail) = (options.clone(), abort.clone(), fail.clone());
        Callback::new(move |id: String| {
            let (opts, abort, fail) = (options.clone(), abort.clone(), fail.clone());
            let (Some(ctx), Ok(nhs)) = (
                context.try_get_untracked().flatten(),
                NhsNumber::parse(&opts.nhs_number),
            ) else {
                return;
            };
            set_state.try_update(|s| s.forget_source(&id));
            leptos::task::spawn_local(async move {
                let streamed = stream_record(
                    &opts,
                    &nhs,
                    &ctx,
                    Some(&id),
                    abort.as_deref(),
                    &mut |event| {
                        set_state.try_update(|s| s.apply_retry(&id, event));
                    },
                )
                .await;
                if let Err(e) = streamed {
                    fail(e);
                }
            });
        })
    };
    // Opens a context and shows the record in it; again on refresh, after ending the
    // previous context (and with it any break-glass grant).
    let start = {
        let (options, abort, show) = (options.clone(), abort.clone(), show.clone());
        move || {
            let (opts, abort, show, fail, opened) = (
                options.clone(),
                abort.clone(),
                show.clone(),
                fail.clone(),
                opened.clone(),
            );
            leptos::task::spawn_local(async move {
                let previous = opened.lock().ok().and_then(|mut o| o.take());
                if let Some(ctx) = previous {
                    end_context(&opts, &ctx);
                    set_emergency.try_set(None);
                }
                match open_context(&opts, abort.as_deref()).await {
                    Ok((nhs, ctx)) => {
                        if let Ok(mut o) = opened.lock() {
                            *o = Some(ctx.clone());
                        }
                        set_context.try_set(Some(ctx.clone()));
                        show(opts, nhs, ctx, abort).await;
                    }
                    Err(e) => fail(e),
                }
            });
        }
    };
    start();
    let refresh = Callback::new(move |()| start());
    let on_granted = {
        let (options, abort) = (options.clone(), abort.clone());
        Callback::new(move |grant: GrantView| {
            let (options, abort) = (options.clone(), abort.clone());
            let ctx = context.try_get_untracked().flatten();
            let nhs = NhsNumber::parse(&options.nhs_number).ok();
            set_emergency.try_set(Some(grant));
            if let (Some(ctx), Some(nhs)) = (ctx, nhs) {
                leptos::task::spawn_local(show(options, nhs, ctx, abort));
            }
        })
    };
    // The host's own details for the patient, checked against the record's.
    let differences = Memo::new(move |_| {
        state.with(|s| match (&host, &s.record.patient) {
            (Some(h), Some(p)) => crosscheck::differences(h, p),
            _ => vec![],
        })
    });
    Effect::new(move |reported: Option<bool>| {
        let found = !differences.with(Vec::is_empty);
        if found && reported != Some(true) {
            let fields: Vec<&str> = differences.with_untracked(|d| {
                d.iter()
                    .filter_map(|t| t.split(':').next())
                    .map(|f| {
                        if f == "family name" {
                            "family_name"
                        } else {
                            "birth_date"
                        }
                    })
                    .collect()
            });
            emit(
                events::PATIENT_MISMATCH_EVENT,
                Json::object([(
                    "fields",
                    Some(Json::Array(fields.into_iter().map(Json::str).collect())),
                )]),
            );
        }
        found || reported == Some(true)
    });
    let show_filter = Memo::new(move |_| {
        failure.with(Option::is_none) && state.with(|s| s.progress != Progress::Opening)
    });
    // Only the titles comments refer to, and only recomputed when they change: the
    // comment list is not rebuilt (nor every entry walked) on each source's answer.
    let titles = Memo::new(move |_| {
        let wanted: Vec<EntryRef> = comments.loaded.with(|c| match c {
            Some(Ok(c)) => c.comments.iter().filter_map(|c| c.entry.clone()).collect(),
            _ => vec![],
        });
        if wanted.is_empty() {
            return HashMap::new();
        }
        state.with(|s| entry_titles(&s.record, &wanted))
    });
    let progress = move || match state.with(|s| s.progress) {
        Progress::Opening => "opening",
        Progress::Receiving => "receiving",
        Progress::Complete => "complete",
        Progress::Aborted => "aborted",
    };
    // The record as the view reads it: borrowed from the state, never copied.
    let shown = Signal::derive(move || state.with(|s| s.record.clone()));
    let failed_view = {
        let options = options.clone();
        move |e: LoadError| {
            let form = (e.code == "patient_dissent")
                .then(|| context.get_untracked())
                .flatten()
                .map(|ctx| {
                    view! { <BreakGlassForm options=options.clone() context_id=ctx on_granted=on_granted/> }
                });
            view! { <LoadFailed error=e/> {form} }
        }
    };
    view! {
        <style>{PANEL_CSS}</style>
        <section class="mcr-panel" aria-label="My Care Record" data-progress=progress node_ref=root>
            {move || emergency.get().map(|grant| view! { <EmergencyMarker grant=grant/> })}
            {move || {
                let d = differences.get();
                (!d.is_empty()).then(|| view! {
                    <div class="mcr-mismatch" role="alert">
                        <strong>"Check this is the right patient. "</strong>
                        "Your system's details differ from the shared record: " {d.join("; ")} "."
                    </div>
                })
            }}
            {move || stale.get().then(|| view! {
                <div class="mcr-stale" role="alert">
                    "This record was retrieved at "
                    {retrieved.get().map(|t| local_date_time(&t))}
                    " and may be out of date. "
                    <button type="button" on:click=move |_| refresh.run(())>"Refresh"</button>
                </div>
            })}
            {move || retrieved.get().map(|t| view! {
                <p class="mcr-retrieved">"Retrieved " <time datetime=t.clone()>{local_date_time(&t)}</time></p>
            })}
            // A memo, so the bar is not rebuilt (losing what is typed) as sources answer.
            {move || show_filter.get().then(|| view! { <FilterBar filter=filter/> })}
            {move || match failure.get() {
                Some(e) => failed_view(e).into_any(),
                None => {
                    let (progress, aborted) = state.with(|s| (s.progress, s.aborted.clone()));
                    match progress {
                        Progress::Opening => view! {
                            <p class="mcr-loading" role="status">"Loading the shared care record…"</p>
                        }
                        .into_any(),
                        _ => view! {
                            {aborted.map(|m| view! {
                                <div class="mcr-error" role="alert">
                                    <strong>"The record stopped loading. "</strong>
                                    <span>{m}</span>
                                </div>
                            })}
                            <RecordView record=shown comments=Some(comments) on_retry=Some(retry)
                                filter=Some(filter) tabs=Some(tabs)/>
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
                        titles=Signal::from(titles)
                    />
                }),
                _ => None,
            }}
        </section>
    }
}

/// Where a [`RecordView`] reads its record. The view keeps no copy and holds no
/// reference between reads: the panel's state keeps the only one, so the next source's
/// entries are added to it in place (a copy of a 10,000-entry record was a sixth of the
/// time to show it). A record given by value is kept for the view alone.
#[derive(Clone, Copy)]
pub struct RecordSource(Signal<Arc<Record>>);

impl RecordSource {
    /// Reads the record (untracked: the panel rebuilds the view when it changes), or
    /// `None` once it is gone with the view's owner.
    fn with<T>(&self, f: impl FnOnce(&Record) -> T) -> Option<T> {
        self.0.try_with_untracked(|r| f(r))
    }
}

impl From<Record> for RecordSource {
    fn from(record: Record) -> Self {
        Self(Signal::stored(Arc::new(record)))
    }
}

impl From<Signal<Arc<Record>>> for RecordSource {
    fn from(record: Signal<Arc<Record>>) -> Self {
        Self(record)
    }
}

/// The record: banner, source status, and its tabs — the summary, then each section
/// of the reader's dataset — with the selected tab's panel beneath them.
#[component]
pub fn RecordView(
    /// The record to show.
    #[prop(into)]
    record: RecordSource,
    /// Comments, for the markers and "Comment" buttons on entries.
    #[prop(optional_no_strip)]
    comments: Option<CommentsModel>,
    /// Asks one source again (the "Try again" beside a source that did not answer).
    #[prop(optional_no_strip)]
    on_retry: Option<Callback<String>>,
    /// The reader's filter (the filter bar's); none shows everything, newest first.
    #[prop(optional_no_strip)]
    filter: Option<RwSignal<EntryFilter>>,
    /// The selected tab, kept by the caller so that it outlives this view (which the
    /// panel rebuilds as each source answers); a fresh one, on the summary, if none.
    #[prop(optional_no_strip)]
    tabs: Option<TabsModel>,
) -> impl IntoView {
    let model = tabs.unwrap_or_default();
    let (banner, dataset_note, tabs) = record
        .with(|record| {
            let waiting = waiting_for(record);
            // A role that sees only part of the record is told which part; the other
            // sections are not shown at all (never as "none recorded"), in the summary
            // either.
            let dataset_note = record.dataset.as_ref().map(|d| {
                view! {
                    <p class="mcr-dataset" role="note">
                        <strong>"Showing the " {d.name.clone()} ": "</strong>
                        {d.note.clone()}
                    </p>
                }
            });
            let tabs: Vec<Tab> = std::iter::once(Tab::Summary)
                .chain(
                    SectionKind::ALL
                        .into_iter()
                        .filter(|kind| in_dataset(record, *kind))
                        .map(Tab::Section),
                )
                .collect();
            let banner = view! {
                <PatientBanner patient=record.patient.clone()/>
                <SourceList sources=record.sources.clone() waiting=waiting on_retry=on_retry/>
            };
            (Some(banner), dataset_note, tabs)
        })
        .unwrap_or((None, None, vec![Tab::Summary]));
    let filter_now = move || filter.map(|f| f.get()).unwrap_or_default();
    let current = Memo::new({
        let tabs = tabs.clone();
        move |_| shown(model.selected(), &tabs)
    });
    let counts = Memo::new({
        let tabs = tabs.clone();
        move |_| {
            let filter = filter_now();
            tabs.iter()
                .map(|tab| match tab {
                    Tab::Summary => String::new(),
                    Tab::Section(kind) => record
                        .with(|r| count_text(entries_of(r, *kind), &filter))
                        .unwrap_or_default(),
                })
                .collect::<Vec<_>>()
        }
    });
    // Rebuilt when the tab or the filter changes; the filter bar lives outside this view.
    // A section's entries are copied only when its tab is shown.
    let panel = move || {
        let tab = current.get();
        let filter = match tab {
            Tab::Summary => EntryFilter::default(),
            Tab::Section(_) => filter_now(),
        };
        record
            .with(|r| tab_view(tab, r, comments, filter))
            .unwrap_or_else(|| ().into_any())
    };
    let print_all = print_every_tab(tabs.clone(), record, comments, filter);
    view! {
        {banner}
        {dataset_note}
        <div class="mcr-record">
            <TabList model=model tabs=tabs current=current counts=counts/>
            <div class="mcr-tabpanel" role="tabpanel" tabindex="0"
                id=move || model.panel_id(current.get())
                aria-labelledby=move || model.tab_id(current.get())>
                {panel}
            </div>
            {print_all}
        </div>
    }
}

/// A section's entries in `record` (none if no source sent any).
fn entries_of(record: &Record, kind: SectionKind) -> &[mcr_model::Entry] {
    record
        .sections
        .iter()
        .find(|s| s.kind == kind)
        .map_or(&[], |s| &s.entries)
}

/// What `tab` shows of `record`.
fn tab_view(
    tab: Tab,
    record: &Record,
    comments: Option<CommentsModel>,
    filter: EntryFilter,
) -> AnyView {
    match tab {
        Tab::Summary => record_summary(record, in_dataset).into_any(),
        Tab::Section(kind) => view! {
            <RecordSection
                kind=kind
                entries=entries_of(record, kind).to_vec()
                sources=record.sources.clone()
                waiting=waiting_for(record)
                comments=comments
                filter=filter
            />
        }
        .into_any(),
    }
}

/// The print-only copy while it is mounted (dropping the handle unmounts it).
type PrintCopy = Rc<RefCell<Option<Box<dyn Any>>>>;

/// The printout holds every tab, not only the one selected: on `beforeprint` every
/// tab's content is built into a container that only print media shows, and removed
/// on `afterprint`. It is built at once, inside the event, rather than through a
/// signal: a host's `window.print()` lays the page out before any queued render runs.
/// Folded text (`details`) is opened in it, as the panel has always printed.
fn print_every_tab(
    tabs: Vec<Tab>,
    record: RecordSource,
    comments: Option<CommentsModel>,
    filter: Option<RwSignal<EntryFilter>>,
) -> impl IntoView {
    let container = NodeRef::<leptos::html::Div>::new();
    let printed: SendWrapper<PrintCopy> = SendWrapper::new(Rc::default());
    let before = window_event_listener_untyped("beforeprint", {
        let printed = printed.clone();
        move |_| {
            let Some(Some(el)) = container.try_get_untracked() else {
                return;
            };
            printed.borrow_mut().take();
            let (tabs, filter) = (
                tabs.clone(),
                filter
                    .and_then(|f| f.try_get_untracked())
                    .unwrap_or_default(),
            );
            let handle = leptos::mount::mount_to(el.clone().into(), move || {
                tabs.into_iter()
                    .map(|tab| {
                        let filter = filter.clone();
                        record
                            .with(|r| tab_view(tab, r, comments, filter))
                            .unwrap_or_else(|| ().into_any())
                    })
                    .collect_view()
            });
            if let Ok(all) = el.query_selector_all("details") {
                for i in 0..all.length() {
                    if let Some(d) = all
                        .item(i)
                        .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                    {
                        let _ = d.set_attribute("open", "");
                    }
                }
            }
            *printed.borrow_mut() = Some(Box::new(handle));
        }
    });
    let after = window_event_listener_untyped("afterprint", {
        let printed = printed.clone();
        move |_| {
            printed.borrow_mut().take();
        }
    });
    on_cleanup(move || {
        before.remove();
        after.remove();
        printed.borrow_mut().take();
    });
    view! { <div class="mcr-print-all" node_ref=container></div> }
}

/// Whether a section is part of the reader's view of `record` (a dataset may leave some
/// out).
fn in_dataset(record: &Record, kind: SectionKind) -> bool {
    record
        .dataset
        .as_ref()
        .is_none_or(|d| d.sections.contains(&kind))
}

/// The titles of the `wanted` entries found in `record`, by reference, to say what an
/// entry comment is about.
fn entry_titles(record: &Record, wanted: &[EntryRef]) -> HashMap<EntryRef, String> {
    record
        .sections
        .iter()
        .flat_map(|s| &s.entries)
        .filter_map(|e| {
            let found = wanted
                .iter()
                .find(|w| w.entry == e.id && w.source == e.source.id)?;
            Some((found.clone(), e.title.clone()))
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
            <strong>"The shared care record could not be shown: "</strong>
            <span>{error.message}</span>
        </div>
    }
}
