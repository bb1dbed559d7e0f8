//! Which sources were asked and what each did: answered (as of when), timed out,
//! failed, refused, identity mismatch, unavailable; with a "Try again" for a source that
//! did not answer.

use leptos::prelude::*;
use mcr_model::{SourceKind, SourceRef, SourceState, SourceStatus};

use crate::dates::local_date_time;

fn reason(s: &SourceStatus) -> &str {
    s.message.as_deref().unwrap_or("no reason given")
}

/// A short status text for one source.
pub fn status_text(s: &SourceStatus) -> String {
    match s.state {
        // The viewer's local time, as everything else on their screen.
        SourceState::Answered => match &s.as_of {
            Some(t) => format!("answered {}", local_date_time(t)),
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

/// The kind of organisation, in words.
pub fn kind_text(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::GpPractice => "GP practice",
        SourceKind::AcuteTrust => "hospital",
        SourceKind::MentalHealth => "mental health",
        SourceKind::Community => "community services",
        SourceKind::Ambulance => "ambulance service",
        SourceKind::SocialCare => "social care",
    }
}

/// Whether asking a source again may help: it did not answer, failed or was down —
/// not a refusal or an answer about someone else.
pub fn may_retry(state: SourceState) -> bool {
    matches!(
        state,
        SourceState::TimedOut | SourceState::Failed | SourceState::Unavailable
    )
}

/// Plain words for a source's warnings and counts.
pub fn notes(s: &SourceStatus) -> Vec<String> {
    let mut out: Vec<String> = s
        .warnings
        .iter()
        .map(|w| match w.as_str() {
            "confidential-items" => "some items are withheld by the source".to_string(),
            "data-in-transit" => {
                "some data is in transit between practices and may be missing".to_string()
            }
            "data-awaiting-filing" => "some data is awaiting filing and is not shown".to_string(),
            "no-record" => "holds no record for this patient".to_string(),
            other => match other.strip_prefix("not-supported: ") {
                Some(types) => format!("does not provide: {types}"),
                None => other.to_string(),
            },
        })
        .collect();
    if s.withheld > 0 {
        out.push(format!("{} items withheld", s.withheld));
    }
    if s.entered_in_error > 0 {
        out.push(format!(
            "{} entries marked entered in error were left out",
            s.entered_in_error
        ));
    }
    out
}

/// The list of sources and their status.
#[component]
pub fn SourceList(
    /// Every source that has answered (or failed).
    sources: Vec<SourceStatus>,
    /// Located sources that have not answered yet.
    #[prop(optional)]
    waiting: Vec<SourceRef>,
    /// Asks one source (by registry id) again; without it no "Try again" is offered.
    #[prop(optional_no_strip)]
    on_retry: Option<Callback<String>>,
) -> impl IntoView {
    let waiting_items = waiting
        .into_iter()
        .map(|s| {
            view! {
                <li class="mcr-source mcr-source--waiting">
                    <span class="mcr-source-name">{s.organisation}</span>
                    <span class="mcr-source-kind">{format!(" ({})", kind_text(s.kind))}</span>
                    " — "
                    <span class="mcr-source-state">"asking…"</span>
                </li>
            }
        })
        .collect_view();
    let items = sources
        .into_iter()
        .map(|s| {
            let class = match s.state {
                SourceState::Answered => "mcr-source mcr-source--answered",
                _ => "mcr-source mcr-source--problem",
            };
            let text = status_text(&s);
            let retry = on_retry.filter(|_| may_retry(s.state)).map(|retry| {
                let (id, label) = (
                    s.source.id.clone(),
                    format!("Ask {} again", s.source.organisation),
                );
                view! {
                    <button type="button" class="mcr-retry" aria-label=label
                        on:click=move |_| retry.run(id.clone())>"Try again"</button>
                }
            });
            let kind = format!(" ({})", kind_text(s.source.kind));
            let notes = notes(&s)
                .into_iter()
                .map(|n| view! { <span class="mcr-source-note">{n}</span> })
                .collect_view();
            view! {
                <li class=class>
                    <span class="mcr-source-name">{s.source.organisation}</span>
                    <span class="mcr-source-kind">{kind}</span>
                    " — "
                    <span class="mcr-source-state">{text}</span>
                    {retry}
                    {notes}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="mcr-sources" aria-label="Sources">
            <h3>"Sources"</h3>
            <ul>{items}{waiting_items}</ul>
        </section>
    }
}
