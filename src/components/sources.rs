//! Which sources were asked and what each did: answered (as of when), timed out, failed.

use leptos::prelude::*;
use mcr_model::{SourceState, SourceStatus};

use crate::dates::display_date;

fn reason(s: &SourceStatus) -> &str {
    s.message.as_deref().unwrap_or("no reason given")
}

/// A short status text for one source.
pub fn status_text(s: &SourceStatus) -> String {
    match s.state {
        SourceState::Answered => match &s.as_of {
            Some(t) => format!(
                "answered {} {}",
                display_date(t),
                t.get(11..16).unwrap_or("")
            ),
            None => "answered".into(),
        },
        SourceState::TimedOut => "did not answer in time".into(),
        SourceState::Failed => format!("failed: {}", reason(s)),
        SourceState::Refused => format!("refused: {}", reason(s)),
        SourceState::IdentityMismatch => {
            "answered about a different patient; its answer was discarded".into()
        }
        SourceState::Unavailable => "unavailable: not asked while it is failing".into(),
    }
}

/// The list of sources and their status.
#[component]
pub fn SourceList(
    /// Every source asked.
    sources: Vec<SourceStatus>,
) -> impl IntoView {
    let items = sources
        .into_iter()
        .map(|s| {
            let class = match s.state {
                SourceState::Answered => "mcr-source mcr-source--answered",
                _ => "mcr-source mcr-source--problem",
            };
            let text = status_text(&s);
            view! {
                <li class=class>
                    <span class="mcr-source-name">{s.source.organisation}</span>
                    " — "
                    <span class="mcr-source-state">{text}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="mcr-sources" aria-label="Sources">
            <h3>"Sources"</h3>
            <ul>{items}</ul>
        </section>
    }
}
