//! One clinical section, GP and other services side by side (stacked on a narrow
//! panel): every entry with its organisation, date, value and any warning. An empty
//! column says whether nothing is recorded or a source did not answer, so partial data
//! never reads as complete.

use leptos::prelude::*;
use mcr_model::{
    Entry, EntryFlag, EntryRef, SectionKind, SourceKind, SourceRef, SourceState, SourceStatus,
};

use crate::components::comments::CommentsModel;
use crate::dates::display_date;

/// What an empty column says while its source has not answered yet.
pub const WAITING: &str = "Waiting for the source to answer…";

/// What an empty column should say, given its sources' status.
pub fn empty_text(sources: &[&SourceStatus]) -> &'static str {
    if sources.iter().any(|s| s.state != SourceState::Answered) {
        "No entries shown: a source did not answer, so this may be incomplete"
    } else {
        "None recorded"
    }
}

/// The warning shown on a flagged entry.
pub fn flag_text(flag: EntryFlag) -> &'static str {
    match flag {
        EntryFlag::UnknownModifier => {
            "Check at source: this entry carries information this viewer cannot interpret"
        }
        EntryFlag::InvalidDate => "The source gave a date that could not be read",
    }
}

/// Sections open on first view; the rest start folded, with their count visible.
fn open_by_default(kind: SectionKind) -> bool {
    matches!(
        kind,
        SectionKind::Problems | SectionKind::Medications | SectionKind::Allergies
    )
}

/// The comment marker and "Comment" button of one entry.
fn entry_comments(e: &Entry, comments: CommentsModel) -> impl IntoView + use<> {
    let entry = EntryRef {
        source: e.source.id.clone(),
        entry: e.id.clone(),
    };
    let title = e.title.clone();
    let marker = {
        let entry = entry.clone();
        move || {
            let n = comments.count_for(&entry);
            (n > 0).then(|| {
                let text = if n == 1 {
                    "1 comment".to_string()
                } else {
                    format!("{n} comments")
                };
                view! { <span class="mcr-entry-comments">{text}</span> }
            })
        }
    };
    let button = move || {
        comments.may_write().then(|| {
            let (entry, title) = (entry.clone(), title.clone());
            let label = format!("Comment on {title}");
            view! {
                <button type="button" class="mcr-entry-comment" aria-label=label
                    on:click=move |_| comments.comment_on(entry.clone(), title.clone())>
                    "Comment"
                </button>
            }
        })
    };
    view! { <span class="mcr-entry-annotations">{marker}{button}</span> }
}

fn entry_view(e: Entry, comments: Option<CommentsModel>) -> impl IntoView {
    let annotations = comments.map(|c| entry_comments(&e, c));
    let date = e.date.as_deref().map(display_date);
    let end = e.end_date.as_deref().map(display_date);
    let status = e.status.filter(|s| s != "active");
    let flags = e
        .flags
        .iter()
        .map(|f| view! { <span class="mcr-entry-flag" role="note">{flag_text(*f)}</span> })
        .collect_view();
    let value = e.value.map(|v| {
        let range = e.reference_range.map(|r| format!(" (range {r})"));
        view! { <span class="mcr-entry-value">{v}{range}</span> }
    });
    view! {
        <li class="mcr-entry">
            <span class="mcr-entry-title">{e.title}</span>
            {status.map(|s| view! { <span class="mcr-entry-status">" (" {s} ")"</span> })}
            {value}
            {e.detail.map(|d| view! { <span class="mcr-entry-detail">{d}</span> })}
            {flags}
            <span class="mcr-entry-meta">
                {e.source.organisation}
                {date.map(|d| view! { " · " {d} })}
                {end.map(|d| view! { " – " {d} })}
            </span>
            {annotations}
        </li>
    }
}

fn column(
    heading: &'static str,
    class: &'static str,
    mut entries: Vec<Entry>,
    empty: &'static str,
    comments: Option<CommentsModel>,
) -> impl IntoView {
    // Newest first; undated entries last.
    entries.sort_by(|a, b| b.date.cmp(&a.date));
    let body = if entries.is_empty() {
        view! { <p class="mcr-empty">{empty}</p> }.into_any()
    } else {
        view! { <ul class="mcr-entries">{entries.into_iter().map(|e| entry_view(e, comments)).collect_view()}</ul> }
            .into_any()
    };
    view! {
        <div class=class>
            <h4>{heading}</h4>
            {body}
        </div>
    }
}

/// A section of the record.
#[component]
pub fn RecordSection(
    /// Which section.
    kind: SectionKind,
    /// Its entries from every source.
    entries: Vec<Entry>,
    /// The sources' status, to explain an empty column.
    sources: Vec<SourceStatus>,
    /// Located sources that have not answered yet.
    #[prop(optional)]
    waiting: Vec<SourceRef>,
    /// Comments, for the markers and "Comment" buttons on entries.
    #[prop(optional_no_strip)]
    comments: Option<CommentsModel>,
) -> impl IntoView {
    let count = entries.len();
    let is_gp = |k: SourceKind| k == SourceKind::GpPractice;
    let (gp, other): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| is_gp(e.source.kind));
    let gp_sources: Vec<&SourceStatus> = sources.iter().filter(|s| is_gp(s.source.kind)).collect();
    let other_sources: Vec<&SourceStatus> =
        sources.iter().filter(|s| !is_gp(s.source.kind)).collect();
    let waiting_gp = waiting.iter().any(|s| is_gp(s.kind));
    let waiting_other = waiting.iter().any(|s| !is_gp(s.kind));
    let gp_empty = if waiting_gp {
        WAITING
    } else if gp_sources.is_empty() {
        "No GP practice record was located for this patient"
    } else {
        empty_text(&gp_sources)
    };
    let gp_column = column(
        "GP record",
        "mcr-column mcr-column--gp",
        gp,
        gp_empty,
        comments,
    );
    let other_empty = if waiting_other {
        WAITING
    } else {
        empty_text(&other_sources)
    };
    let other_column = (!other_sources.is_empty() || waiting_other).then(|| {
        column(
            "Hospital and other services",
            "mcr-column mcr-column--other",
            other,
            other_empty,
            comments,
        )
    });
    let class = format!("mcr-section mcr-section--{}", kind.slug());
    view! {
        <section class=class aria-label=kind.title()>
            <details open=open_by_default(kind)>
                <summary><h3>{kind.title()} <span class="mcr-count">" (" {count} ")"</span></h3></summary>
                <div class="mcr-columns">{gp_column}{other_column}</div>
            </details>
        </section>
    }
}
