//! One clinical section (problems, medications): every entry with its source and date.
//! An empty section says whether nothing is recorded or a source did not answer.

use leptos::prelude::*;
use mcr_model::{Entry, SectionKind, SourceState, SourceStatus};

use crate::dates::display_date;

/// What an empty section should say, given the sources' status.
pub fn empty_text(sources: &[SourceStatus]) -> &'static str {
    if sources.iter().any(|s| s.state != SourceState::Answered) {
        "No entries shown: a source did not answer, so this may be incomplete"
    } else {
        "None recorded"
    }
}

/// A section of the record.
#[component]
pub fn RecordSection(
    /// Which section.
    kind: SectionKind,
    /// Its entries from every source.
    entries: Vec<Entry>,
    /// The sources' status, to explain an empty section.
    sources: Vec<SourceStatus>,
) -> impl IntoView {
    let body = if entries.is_empty() {
        view! { <p class="mcr-empty">{empty_text(&sources)}</p> }.into_any()
    } else {
        let items = entries
            .into_iter()
            .map(|e| {
                let date = e.date.as_deref().map(display_date);
                let status = e.status.filter(|s| s != "active");
                view! {
                    <li class="mcr-entry">
                        <span class="mcr-entry-title">{e.title}</span>
                        {status.map(|s| view! { <span class="mcr-entry-status">" (" {s} ")"</span> })}
                        {e.detail.map(|d| view! { <span class="mcr-entry-detail">{d}</span> })}
                        <span class="mcr-entry-meta">
                            {e.source.organisation}
                            {date.map(|d| view! { " · " {d} })}
                        </span>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="mcr-entries">{items}</ul> }.into_any()
    };
    let class = format!("mcr-section mcr-section--{}", kind.slug());
    view! {
        <section class=class aria-label=kind.title()>
            <h3>{kind.title()}</h3>
            {body}
        </section>
    }
}
