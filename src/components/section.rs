//! One clinical section (the body of its tab), GP and other services side by side
//! (stacked on a narrow panel): every entry with its organisation, date, value and any warning. An empty
//! column says whether nothing is recorded or a source did not answer, so partial data
//! never reads as complete.

use leptos::prelude::*;
use mcr_model::{
    Entry, EntryFlag, EntryRef, SectionKind, SourceKind, SourceRef, SourceState, SourceStatus,
};

use crate::components::comments::CommentsModel;
use crate::components::med_compare::MedicationComparison;
use crate::components::trend_plot::TrendPlots;
use crate::dates::display_date;
use crate::filter::EntryFilter;

/// What an empty column says while its source has not answered yet.
pub const WAITING: &str = "Waiting for the source to answer…";

/// What an empty column should say, given its sources' status: a source that did not
/// answer, entries withheld, or nothing recorded — three different kinds of empty.
pub fn empty_text(sources: &[&SourceStatus]) -> &'static str {
    if sources.iter().any(|s| s.state != SourceState::Answered) {
        "No entries shown: a source did not answer, so this may be incomplete"
    } else if sources.iter().any(|s| s.withheld > 0) {
        "No entries shown: some entries were withheld (see Sources), so this may be incomplete"
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

/// A section's count as its heading and tab show it: " (12)", or " (3 of 12 match)"
/// while the reader's filter leaves some out.
pub fn count_text(entries: &[Entry], filter: &EntryFilter) -> String {
    let count = entries.len();
    let matching = if filter.is_active() {
        entries.iter().filter(|e| filter.matches(e)).count()
    } else {
        count
    };
    if matching == count {
        format!(" ({count})")
    } else {
        format!(" ({matching} of {count} match)")
    }
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

/// A document's or entry's full text, folded. The gateway has already sanitised it
/// against an allow-list (no scripts, event attributes, styles or `javascript:` URLs),
/// so it is inserted as markup; nothing else from a source ever is.
fn narrative_view(html: String) -> impl IntoView {
    view! {
        <details class="mcr-narrative">
            <summary>"Full text"</summary>
            <div class="mcr-narrative-body" inner_html=html></div>
        </details>
    }
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
            {e.narrative.map(narrative_view)}
            <span class="mcr-entry-meta">
                {e.source.organisation}
                {date.map(|d| view! { " · " {d} })}
                {end.map(|d| view! { " – " {d} })}
            </span>
            {annotations}
        </li>
    }
}

/// Entries shown at first in a column, and added by each "Show more": a column of
/// thousands of entries builds only what can be read.
pub const PAGE: usize = 50;

/// What a column says when it has entries but none passes the reader's filter.
pub const NO_MATCH: &str = "No entries match the filter";

fn column(
    heading: &'static str,
    class: &'static str,
    mut entries: Vec<Entry>,
    empty: &'static str,
    comments: Option<CommentsModel>,
    filter: &EntryFilter,
) -> impl IntoView + use<> {
    let before = entries.len();
    entries.retain(|e| filter.matches(e));
    let empty = if before > 0 { NO_MATCH } else { empty };
    filter.sort(&mut entries);
    let body = if entries.is_empty() {
        view! { <p class="mcr-empty">{empty}</p> }.into_any()
    } else {
        let total = entries.len();
        let shown = RwSignal::new(PAGE.min(total));
        let entries = StoredValue::new(entries);
        let list = move || {
            entries.with_value(|all| {
                all[..shown.get()]
                    .iter()
                    .map(|e| entry_view(e.clone(), comments))
                    .collect_view()
            })
        };
        let more = move || {
            let left = total - shown.get();
            (left > 0).then(|| {
                let next = left.min(PAGE);
                view! {
                    <button type="button" class="mcr-more"
                        on:click=move |_| shown.update(|n| *n = (*n + PAGE).min(total))>
                        {format!("Show {next} more ({left} not shown)")}
                    </button>
                }
            })
        };
        view! { <ul class="mcr-entries">{list}</ul>{more} }.into_any()
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
    /// The reader's filter and order.
    #[prop(optional)]
    filter: EntryFilter,
) -> impl IntoView {
    let count_text = count_text(&entries, &filter);
    let all = if matches!(kind, SectionKind::Medications | SectionKind::Results) {
        entries.clone()
    } else {
        vec![]
    };
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
        &filter,
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
            &filter,
        )
    });
    let extra = match kind {
        SectionKind::Medications => {
            view! { <MedicationComparison entries=all.clone()/> }.into_any()
        }
        SectionKind::Results => view! { <TrendPlots entries=all.clone()/> }.into_any(),
        _ => ().into_any(),
    };
    let class = format!("mcr-section mcr-section--{}", kind.slug());
    view! {
        <section class=class aria-label=kind.title()>
            <h3>{kind.title()} <span class="mcr-count">{count_text}</span></h3>
            {extra}
            <div class="mcr-columns">{gp_column}{other_column}</div>
        </section>
    }
}
