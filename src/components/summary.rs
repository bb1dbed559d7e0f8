//! The summary at the top of the record (see [`crate::summary`]): a few lines from each
//! part of the record, every item with its source and date, and what a short or empty
//! part means.

use leptos::prelude::*;
use mcr_model::{Entry, Record, SectionKind, SourceStatus};

use crate::components::section::empty_text;
use crate::dates::{display_date, today_iso};
use crate::summary::{Part, summary};

fn item(e: Entry) -> impl IntoView {
    let date = e.date.as_deref().map(display_date);
    view! {
        <li class="mcr-summary-item">
            <span class="mcr-entry-title">{e.title}</span>
            {e.value.map(|v| view! { " " <span class="mcr-entry-value">{v}</span> })}
            <span class="mcr-entry-meta">
                {e.source.organisation}
                {date.map(|d| view! { " · " {d} })}
            </span>
        </li>
    }
}

fn part_view(p: Part, empty: &'static str) -> impl IntoView {
    let count = if p.total > p.items.len() {
        format!(
            " ({} of {}; all under {})",
            p.items.len(),
            p.total,
            p.kind.title()
        )
    } else {
        String::new()
    };
    let body = if p.items.is_empty() {
        view! { <p class="mcr-empty">{empty}</p> }.into_any()
    } else {
        view! { <ul class="mcr-entries">{p.items.into_iter().map(item).collect_view()}</ul> }
            .into_any()
    };
    view! {
        <div class="mcr-summary-part">
            <h4>{p.title}<span class="mcr-count">{count}</span></h4>
            {body}
        </div>
    }
}

/// The summary of `record`, limited to the sections `shown` allows (a function, not a
/// component, so the record is read in place rather than copied).
pub fn record_summary(
    record: &Record,
    shown: fn(&Record, SectionKind) -> bool,
) -> impl IntoView + use<> {
    let statuses: Vec<&SourceStatus> = record.sources.iter().collect();
    let waiting = record.sources.len() < record.located.len();
    let empty = if waiting {
        crate::components::section::WAITING
    } else {
        empty_text(&statuses)
    };
    let parts = summary(record, &today_iso())
        .into_iter()
        .filter(|p| shown(record, p.kind))
        .map(|p| part_view(p, empty))
        .collect_view();
    view! {
        <section class="mcr-summary" aria-label="Summary">
            <h3>"Summary"</h3>
            <div class="mcr-summary-grid">{parts}</div>
        </section>
    }
}
