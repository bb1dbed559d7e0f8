//! Browser tests of the panel, run by wasm-bindgen-test in headless Chromium:
//! `cargo test --target wasm32-unknown-unknown --test web` (or `cargo xtask test`).
#![cfg(target_arch = "wasm32")]
#![allow(missing_docs)]

use leptos::prelude::*;
use mcr_model::{
    Demographics, Entry, NhsNumber, PracticeRef, Record, Section, SectionKind, SourceKind,
    SourceRef, SourceState, SourceStatus,
};
use mcr_panel::app::RecordView;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

fn gp() -> SourceRef {
    SourceRef {
        id: "gp-y90001".into(),
        organisation: "Riverside Medical Practice".into(),
        ods_code: "Y90001".into(),
        kind: SourceKind::GpPractice,
    }
}

fn trust() -> SourceRef {
    SourceRef {
        id: "rr8".into(),
        organisation: "Leeds Teaching Hospitals NHS Trust".into(),
        ods_code: "RR8".into(),
        kind: SourceKind::AcuteTrust,
    }
}

fn entry(id: &str, title: &str, detail: Option<&str>) -> Entry {
    Entry {
        date: Some("2019-06-01".into()),
        status: Some("active".into()),
        detail: detail.map(Into::into),
        ..Entry::new(id, gp(), title)
    }
}

fn record(state: SourceState) -> Record {
    Record {
        patient: Some(Demographics {
            nhs_number: NhsNumber::parse("9434765919").unwrap(),
            family_name: Some("Jones".into()),
            given_names: vec!["Ann".into()],
            birth_date: Some("1950-02-03".into()),
            gender: Some("female".into()),
            address: vec!["1 Mill Lane".into(), "Leeds".into(), "LS6 1AB".into()],
            registered_practice: Some(PracticeRef {
                ods_code: "Y90001".into(),
                name: "Riverside Medical Practice".into(),
            }),
            deceased_date: None,
        }),
        located: vec![gp()],
        sources: vec![SourceStatus::new(
            gp(),
            state,
            Some("2026-11-25T14:00:00Z".into()),
            None,
        )],
        sections: vec![
            Section {
                kind: SectionKind::Problems,
                entries: vec![entry("c1", "Asthma", None)],
            },
            Section {
                kind: SectionKind::Medications,
                entries: vec![],
            },
        ],
    }
}

fn host() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let el: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&el).unwrap();
    el
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn the_record_view_shows_the_banner_sources_and_sections() {
    let el = host();
    let mut rec = record(SourceState::Answered);
    rec.sections[1].entries.push(entry(
        "m1",
        "Amlodipine 10mg tablets",
        Some("One tablet once a day"),
    ));
    let _handle = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    let text = el.text_content().unwrap();
    assert!(text.contains("JONES, Ann"), "{text}");
    assert!(text.contains("943 476 5919"), "{text}");
    assert!(text.contains("03-Feb-1950"), "{text}");
    assert!(
        text.contains("Riverside Medical Practice (Y90001)"),
        "{text}"
    );
    let meds = el
        .query_selector(".mcr-section--medications")
        .unwrap()
        .unwrap();
    let meds_text = meds.text_content().unwrap();
    assert!(meds_text.contains("Amlodipine 10mg tablets"));
    assert!(meds_text.contains("One tablet once a day"));
    assert!(
        meds_text.contains("Riverside Medical Practice"),
        "each entry names its source"
    );
    let labels: Vec<String> = (0..el.query_selector_all("dt").unwrap().length())
        .map(|i| {
            el.query_selector_all("dt")
                .unwrap()
                .item(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert_eq!(
        labels,
        ["NHS number", "Born", "Gender", "Address", "Registered GP"]
    );
}

#[wasm_bindgen_test]
async fn an_empty_section_says_none_recorded_only_when_every_source_answered() {
    let el = host();
    let _h = leptos::mount::mount_to(
        el.clone(),
        || view! { <RecordView record=record(SourceState::Answered)/> },
    );
    let meds = el
        .query_selector(".mcr-section--medications")
        .unwrap()
        .unwrap();
    assert_eq!(
        meds.query_selector(".mcr-empty")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "None recorded"
    );

    let el = host();
    let _h = leptos::mount::mount_to(
        el.clone(),
        || view! { <RecordView record=record(SourceState::TimedOut)/> },
    );
    let meds = el
        .query_selector(".mcr-section--medications")
        .unwrap()
        .unwrap();
    let text = meds.text_content().unwrap();
    assert!(text.contains("may be incomplete"), "{text}");
    assert!(
        el.text_content()
            .unwrap()
            .contains("did not answer in time")
    );
}

#[wasm_bindgen_test]
async fn mount_renders_into_an_open_shadow_root_and_reports_an_unreachable_gateway() {
    let el = host();
    let options = js_sys::Object::new();
    for (k, v) in [
        ("gatewayUrl", "http://127.0.0.1:9"),
        ("nhsNumber", "9434765919"),
        ("token", "t"),
    ] {
        js_sys::Reflect::set(&options, &k.into(), &v.into()).unwrap();
    }
    let mut handle = mcr_panel::mount(el.clone(), options.into()).unwrap();
    let root = el.shadow_root().expect("an open shadow root");
    assert!(
        el.text_content().unwrap().is_empty(),
        "nothing leaks into the light DOM"
    );
    assert!(root.query_selector("style").unwrap().is_some());
    let mut error = None;
    for _ in 0..100 {
        error = root.query_selector(".mcr-error").unwrap();
        if error.is_some() {
            break;
        }
        sleep(50).await;
    }
    let error = error.expect("an error is shown").text_content().unwrap();
    assert!(error.contains("could not be reached"), "{error}");
    handle.unmount();
    assert!(
        root.query_selector(".mcr-panel").unwrap().is_none(),
        "unmount removes the panel"
    );
}

#[wasm_bindgen_test]
fn mount_refuses_missing_options_with_a_clear_message() {
    let err = mcr_panel::mount(host(), js_sys::Object::new().into())
        .err()
        .unwrap();
    assert!(err.as_string().unwrap().contains("gatewayUrl"));
}

#[wasm_bindgen_test]
fn the_custom_element_is_defined() {
    mcr_panel::define_element();
    let registry = web_sys::window().unwrap().custom_elements();
    assert!(registry.get("mcr-panel").is_function());
}

#[wasm_bindgen_test]
async fn gp_and_hospital_entries_sit_in_their_own_columns_with_warnings_shown() {
    let trust = trust();
    let mut rec = record(SourceState::Answered);
    let mut trust_status = SourceStatus::new(trust.clone(), SourceState::Answered, None, None);
    trust_status.warnings = vec!["not-supported: ServiceRequest".into()];
    trust_status.entered_in_error = 2;
    rec.located.push(trust.clone());
    rec.sources.push(trust_status);
    let mut flagged = Entry::new("m9", trust, "Ramipril 5mg capsules");
    flagged.flags = vec![mcr_model::EntryFlag::UnknownModifier];
    rec.sections[1].entries.push(flagged);
    rec.sections[1]
        .entries
        .push(entry("m1", "Amlodipine 10mg tablets", None));
    let el = host();
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    let meds = el
        .query_selector(".mcr-section--medications")
        .unwrap()
        .unwrap();
    let gp = meds
        .query_selector(".mcr-column--gp")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    let other = meds
        .query_selector(".mcr-column--other")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        gp.contains("Amlodipine") && !gp.contains("Ramipril"),
        "{gp}"
    );
    assert!(
        other.contains("Ramipril") && !other.contains("Amlodipine"),
        "{other}"
    );
    assert!(
        other.contains("Check at source"),
        "a flagged entry says so: {other}"
    );
    let sources = el
        .query_selector(".mcr-sources")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        sources.contains("does not provide: ServiceRequest"),
        "{sources}"
    );
    assert!(
        sources.contains("2 entries marked entered in error were left out"),
        "{sources}"
    );
    // A section with nothing from a provider that answered says so in that column.
    let problems = el
        .query_selector(".mcr-section--problems .mcr-column--other")
        .unwrap()
        .unwrap();
    assert_eq!(
        problems.text_content().unwrap(),
        "Hospital and other servicesNone recorded"
    );
}

#[wasm_bindgen_test]
async fn a_located_source_that_has_not_answered_shows_as_being_asked_not_as_empty() {
    let trust = trust();
    let mut rec = record(SourceState::Answered);
    rec.located.push(trust);
    let el = host();
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    let sources = el
        .query_selector(".mcr-sources")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        sources.contains("Leeds Teaching Hospitals NHS Trust — asking…"),
        "{sources}"
    );
    let other = el
        .query_selector(".mcr-section--medications .mcr-column--other")
        .unwrap()
        .unwrap();
    assert!(
        other
            .text_content()
            .unwrap()
            .contains("Waiting for the source to answer"),
        "never 'None recorded' while waiting"
    );
}
