//! The patient banner, in the NHS common user interface style: name as FAMILY, Given;
//! NHS number 3-3-4; date of birth with age; gender; address; registered practice; a
//! deceased flag. Every value is labelled, and a missing one says "Not known".

use leptos::prelude::*;
use mcr_model::Demographics;

use crate::dates::{age_on, display_date, parse_ymd};

const NOT_KNOWN: &str = "Not known";

/// `FAMILY, Given Middle`.
pub fn display_name(p: &Demographics) -> String {
    let family = p.family_name.as_deref().map(crate::text::uppercase);
    let given = (!p.given_names.is_empty()).then(|| p.given_names.join(" "));
    match (family, given) {
        (Some(f), Some(g)) => format!("{f}, {g}"),
        (Some(f), None) => f,
        (None, Some(g)) => g,
        (None, None) => NOT_KNOWN.into(),
    }
}

fn today() -> (i32, u32, u32) {
    let now = js_sys::Date::new_0();
    (
        now.get_full_year() as i32,
        now.get_month() + 1,
        now.get_date(),
    )
}

/// Date of birth with age, e.g. `03-Feb-1950 (76y)`.
fn birth_text(p: &Demographics) -> String {
    let Some(birth) = p.birth_date.as_deref() else {
        return NOT_KNOWN.into();
    };
    // A deceased patient's age stops at the date of death.
    let at = p
        .deceased_date
        .as_deref()
        .and_then(parse_ymd)
        .unwrap_or_else(today);
    match parse_ymd(birth).and_then(|b| age_on(b, at)) {
        Some(age) => format!("{} ({age}y)", display_date(birth)),
        None => display_date(birth),
    }
}

fn title_case(s: &str) -> String {
    let first = s.chars().next().map_or(0, char::len_utf8);
    crate::text::uppercase(&s[..first]) + &s[first..]
}

/// The banner; `None` when no source could say who the patient is.
#[component]
pub fn PatientBanner(
    /// Demographics, if a source gave them.
    patient: Option<Demographics>,
) -> impl IntoView {
    let Some(p) = patient else {
        return view! {
            <header class="mcr-banner mcr-banner--unknown" aria-label="Patient">
                <p>"Patient details not available: the registered practice did not answer."</p>
            </header>
        }
        .into_any();
    };
    let field = |label: &'static str, value: String| {
        view! {
            <div class="mcr-field">
                <dt>{label}</dt>
                <dd>{value}</dd>
            </div>
        }
    };
    let deceased = p.deceased_date.clone().map(|d| {
        view! { <p class="mcr-deceased" role="alert">"Deceased: " {display_date(&d)}</p> }
    });
    let address = if p.address.is_empty() {
        NOT_KNOWN.to_string()
    } else {
        p.address.join(", ")
    };
    let practice = p
        .registered_practice
        .as_ref()
        .map(|r| format!("{} ({})", r.name, r.ods_code))
        .unwrap_or_else(|| NOT_KNOWN.into());
    view! {
        <header class="mcr-banner" aria-label="Patient">
            <h2 class="mcr-name">{display_name(&p)}</h2>
            {deceased}
            <dl class="mcr-demographics">
                {field("NHS number", p.nhs_number.to_string())}
                {field("Born", birth_text(&p))}
                {field("Gender", p.gender.as_deref().map(title_case).unwrap_or_else(|| NOT_KNOWN.into()))}
                {field("Address", address)}
                {field("Registered GP", practice)}
            </dl>
        </header>
    }
    .into_any()
}
