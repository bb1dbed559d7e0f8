//! The medication comparison table: the GP's current medicines against each hospital's
//! latest list, one row per medicine with both entries as recorded (see
//! [`crate::compare`]).

use leptos::prelude::*;
use mcr_model::Entry;

use crate::compare::{Comparison, Row, compare};
use crate::dates::{display_date, today_iso};

fn cell(e: Option<Entry>, missing: &'static str) -> impl IntoView {
    match e {
        Some(e) => {
            let date = e.date.as_deref().map(display_date);
            view! {
                <td>
                    <span class="mcr-entry-title">{e.title}</span>
                    {e.detail.map(|d| view! { <span class="mcr-entry-detail">{d}</span> })}
                    {date.map(|d| view! { <span class="mcr-entry-meta">{d}</span> })}
                </td>
            }
            .into_any()
        }
        None => view! { <td class="mcr-empty">{missing}</td> }.into_any(),
    }
}

fn row(r: Row) -> impl IntoView {
    let class = format!("mcr-change mcr-change--{}", r.change.slug());
    view! {
        <tr class=class>
            <th scope="row">{r.change.label()}</th>
            {cell(r.gp, "Not current at the GP")}
            {cell(r.hospital, "Not on this list")}
        </tr>
    }
}

/// Rows shown at first in a comparison, and added by each "Show more" (changes come
/// first, so they are always among them).
const ROWS_PAGE: usize = 50;

fn table(c: Comparison) -> impl IntoView {
    let caption = match c.list_date.as_deref() {
        Some(d) => format!(
            "GP current medicines and {} list of {}",
            c.hospital.organisation,
            display_date(d)
        ),
        None => format!("GP current medicines and {} list", c.hospital.organisation),
    };
    let hospital = c.hospital.organisation.clone();
    let total = c.rows.len();
    let shown = RwSignal::new(ROWS_PAGE.min(total));
    let rows = StoredValue::new(c.rows);
    let rows_view =
        move || rows.with_value(|all| all[..shown.get()].iter().cloned().map(row).collect_view());
    let more = move || {
        let left = total - shown.get();
        (left > 0).then(|| {
            view! {
                <button type="button" class="mcr-more"
                    on:click=move |_| shown.update(|n| *n = (*n + ROWS_PAGE).min(total))>
                    {format!("Show {} more medicines ({left} not shown)", left.min(ROWS_PAGE))}
                </button>
            }
        })
    };
    view! {
        <table class="mcr-compare">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"Change"</th>
                    <th scope="col">"GP record"</th>
                    <th scope="col">{hospital}</th>
                </tr>
            </thead>
            <tbody>{rows_view}</tbody>
        </table>
        {more}
    }
}

/// The comparison for a Medications section; nothing unless the GP and at least one
/// other service both have medication entries.
#[component]
pub fn MedicationComparison(
    /// The section's entries from every source.
    entries: Vec<Entry>,
) -> impl IntoView {
    let has_gp = entries
        .iter()
        .any(|e| e.source.kind == mcr_model::SourceKind::GpPractice);
    let comparisons = if has_gp {
        compare(&entries, &today_iso())
    } else {
        vec![]
    };
    (!comparisons.is_empty()).then(|| {
        view! {
            <details class="mcr-comparison" open=true>
                <summary><h4>"GP and hospital medicines compared"</h4></summary>
                <p class="mcr-legend">
                    "Matched by code, then by medicine name; each side as its source recorded it. "
                    "A medicine missing from a hospital's list may not have been stopped."
                </p>
                {comparisons.into_iter().map(table).collect_view()}
            </details>
        }
    })
}
