//! Browser tests of the panel, run by wasm-bindgen-test in headless Chromium:
//! `cargo test --target wasm32-unknown-unknown --test web` (or `cargo xtask test`).
#![cfg(target_arch = "wasm32")]
#![allow(missing_docs)]

use leptos::prelude::*;
use mcr_model::{
    CommentAuthor, CommentView, Comments, Demographics, Entry, EntryRef, NhsNumber, PracticeRef,
    Record, Section, SectionKind, SourceKind, SourceRef, SourceState, SourceStatus,
};
use mcr_panel::PanelOptions;
use mcr_panel::app::RecordView;
use mcr_panel::components::comments::{CommentsModel, CommentsSection};
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
        dataset: None,
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

/// Clicks the tab whose `data-tab` is `slug` (`summary`, `medications`) under `root`,
/// and waits for its panel: a section's entries are in the page only while its tab is
/// selected.
async fn open_tab(root: &web_sys::Element, slug: &str) {
    let tab: HtmlElement = root
        .query_selector(&format!("[role=tab][data-tab={slug}]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no {slug} tab"))
        .unchecked_into();
    tab.click();
    sleep(10).await;
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
    open_tab(&el, "medications").await;
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
    open_tab(&el, "medications").await;
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
    open_tab(&el, "medications").await;
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
    let options = js_options(&[
        ("gatewayUrl", "http://127.0.0.1:9".into()),
        ("nhsNumber", "9434765919".into()),
        ("token", "t".into()),
    ]);
    // The host hears about the failure through a composed event on its own element.
    let heard = std::rc::Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
    let listener = {
        let heard = heard.clone();
        wasm_bindgen::closure::Closure::<dyn Fn(web_sys::CustomEvent)>::new(
            move |e: web_sys::CustomEvent| {
                let code = js_sys::Reflect::get(&e.detail(), &"code".into()).unwrap();
                heard.borrow_mut().push(format!(
                    "{}:{}",
                    e.type_(),
                    code.as_string().unwrap_or_default()
                ));
            },
        )
    };
    el.add_event_listener_with_callback("mcr-error", listener.as_ref().unchecked_ref())
        .unwrap();
    let mut handle = mcr_panel::mount(el.clone(), options).unwrap();
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
    assert_eq!(*heard.borrow(), ["mcr-error:network"]);
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
    open_tab(&el, "medications").await;
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
    open_tab(&el, "problems").await;
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
        sources.contains("Leeds Teaching Hospitals NHS Trust (hospital) — asking…"),
        "{sources}"
    );
    open_tab(&el, "medications").await;
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

fn comment(id: &str, body: &str, entry: Option<&str>, new: bool, mine: bool) -> CommentView {
    CommentView {
        id: id.into(),
        entry: entry.map(|e| EntryRef {
            source: "gp-y90001".into(),
            entry: e.into(),
        }),
        author: CommentAuthor {
            id: "ae-doctor".into(),
            name: Some("Dr Priya Shah".into()),
            role: Some("hospital-clinician".into()),
            organisation: Some("Y91001".into()),
        },
        body: Some(body.into()),
        created: "2026-11-25T14:00:00.000Z".into(),
        retracted: None,
        new,
        mine,
    }
}

fn loaded(comments: Vec<CommentView>, may_write: bool) -> CommentsModel {
    let model = CommentsModel::new();
    model.loaded.set(Some(Ok(Comments {
        comments,
        last_viewed: None,
        may_write,
    })));
    model
}

fn options() -> PanelOptions {
    PanelOptions {
        gateway_url: "http://127.0.0.1:9".into(),
        nhs_number: "9434765919".into(),
        token: mcr_panel::options::Token::fixed("t"),
        reason: None,
        birth_date: None,
        host: None,
        stale_after_minutes: 10.0,
    }
}

#[wasm_bindgen_test]
async fn comment_text_is_shown_as_typed_and_never_becomes_markup() {
    let el = host();
    let hostile =
        "<img src=x onerror=\"window.__mcrHacked=1\"><script>window.__mcrHacked=2</script>";
    let bidi = "abc \u{202e}gnp.exe\u{202c} def";
    let model = loaded(
        vec![
            comment("c1", hostile, None, true, false),
            comment("c2", bidi, Some("c1"), false, true),
        ],
        true,
    );
    let titles = Signal::derive(|| {
        std::collections::HashMap::from([(
            EntryRef {
                source: "gp-y90001".into(),
                entry: "c1".into(),
            },
            "Asthma".to_string(),
        )])
    });
    let _h = leptos::mount::mount_to(el.clone(), move || {
        view! { <CommentsSection model=model options=options() context_id="ctx".to_string() titles=titles/> }
    });
    sleep(50).await;
    let bodies = el.query_selector_all(".mcr-comment-body").unwrap();
    assert_eq!(bodies.length(), 2);
    assert_eq!(bodies.item(0).unwrap().text_content().unwrap(), hostile);
    assert_eq!(bodies.item(1).unwrap().text_content().unwrap(), bidi);
    assert!(
        el.query_selector("img, script").unwrap().is_none(),
        "no element made from text"
    );
    let hacked = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__mcrHacked".into()).unwrap();
    assert!(hacked.is_undefined());
    // Each body is direction-isolated.
    let style = web_sys::window()
        .unwrap()
        .get_computed_style(&bodies.item(1).unwrap().unchecked_into())
        .unwrap()
        .unwrap();
    assert_eq!(style.get_property_value("unicode-bidi").unwrap(), "isolate");
    let text = el.text_content().unwrap();
    assert!(text.contains("Comments (2)"), "{text}");
    assert!(
        text.contains("Dr Priya Shah · Hospital clinician · Y91001"),
        "{text}"
    );
    assert!(text.contains("On: Asthma"), "{text}");
    // New since the last view is marked, and only one's own comment can be retracted.
    let new = el.query_selector_all(".mcr-comment--new").unwrap();
    assert_eq!(new.length(), 1);
    assert!(
        new.item(0)
            .unwrap()
            .text_content()
            .unwrap()
            .contains("New since your last view")
    );
    assert_eq!(
        el.query_selector_all(".mcr-comment-retract")
            .unwrap()
            .length(),
        1
    );
}

#[wasm_bindgen_test]
async fn the_comment_form_counts_characters_and_is_offered_only_to_writers() {
    let el = host();
    let model = loaded(vec![], true);
    let titles = Signal::derive(std::collections::HashMap::new);
    let _h = leptos::mount::mount_to(el.clone(), move || {
        view! { <CommentsSection model=model options=options() context_id="ctx".to_string() titles=titles/> }
    });
    sleep(20).await;
    let text = el.text_content().unwrap();
    assert!(text.contains("No comments on this record yet"), "{text}");
    let area: web_sys::HtmlTextAreaElement = el
        .query_selector("textarea")
        .unwrap()
        .expect("a text box")
        .unchecked_into();
    // The box is labelled and described by its count.
    let label = el
        .query_selector("label[for=mcr-comment-text]")
        .unwrap()
        .unwrap();
    assert!(label.text_content().unwrap().contains("Add a comment"));
    assert_eq!(
        area.get_attribute("aria-describedby").unwrap(),
        "mcr-comment-count"
    );
    area.set_value(&"😀".repeat(2_001));
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    sleep(20).await;
    let count = el.query_selector("#mcr-comment-count").unwrap().unwrap();
    assert_eq!(
        count.text_content().unwrap(),
        "2001 characters: 1 over the limit of 2,000"
    );
    let submit = el.query_selector("button[type=submit]").unwrap().unwrap();
    assert!(submit.has_attribute("disabled"), "too long: cannot be sent");
    area.set_value("ok");
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    sleep(20).await;
    assert_eq!(count.text_content().unwrap(), "2 of 2,000 characters");
    assert!(!submit.has_attribute("disabled"));

    // A reader who may not write sees the comments but no form.
    let el = host();
    let model = loaded(vec![comment("c1", "hello", None, false, false)], false);
    let _h2 = leptos::mount::mount_to(el.clone(), move || {
        view! { <CommentsSection model=model options=options() context_id="ctx".to_string() titles=titles/> }
    });
    sleep(20).await;
    assert!(el.query_selector("form").unwrap().is_none());
    assert!(el.text_content().unwrap().contains("hello"));
}

#[wasm_bindgen_test]
async fn a_failed_post_keeps_the_text_and_says_why() {
    let el = host();
    let model = loaded(vec![], true);
    let titles = Signal::derive(std::collections::HashMap::new);
    // Port 9 on loopback refuses the connection.
    let _h = leptos::mount::mount_to(el.clone(), move || {
        view! { <CommentsSection model=model options=options() context_id="ctx".to_string() titles=titles/> }
    });
    sleep(20).await;
    let area: web_sys::HtmlTextAreaElement = el
        .query_selector("textarea")
        .unwrap()
        .unwrap()
        .unchecked_into();
    area.set_value("Please review warfarin dose");
    area.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    let form: web_sys::HtmlFormElement =
        el.query_selector("form").unwrap().unwrap().unchecked_into();
    form.request_submit().unwrap();
    let mut alert = None;
    for _ in 0..100 {
        sleep(30).await;
        alert = el.query_selector(".mcr-comment-form [role=alert]").unwrap();
        if alert.is_some() {
            break;
        }
    }
    let alert = alert.expect("an error is shown").text_content().unwrap();
    assert!(alert.starts_with("Your comment was not saved"), "{alert}");
    assert_eq!(area.value(), "Please review warfarin dose");
    let submit = el.query_selector("button[type=submit]").unwrap().unwrap();
    assert_eq!(
        submit.text_content().unwrap(),
        "Add comment",
        "no longer pending"
    );
}

#[wasm_bindgen_test]
async fn entries_with_comments_carry_a_marker_and_writers_get_a_comment_button() {
    let el = host();
    let model = loaded(
        vec![
            comment("x1", "first", Some("c1"), false, false),
            comment("x2", "second", Some("c1"), false, false),
        ],
        true,
    );
    let rec = record(SourceState::Answered);
    let _h = leptos::mount::mount_to(el.clone(), move || {
        view! { <RecordView record=rec comments=Some(model)/> }
    });
    sleep(20).await;
    open_tab(&el, "problems").await;
    let marker = el
        .query_selector(".mcr-section--problems .mcr-entry-comments")
        .unwrap()
        .unwrap();
    assert_eq!(marker.text_content().unwrap(), "2 comments");
    let button = el
        .query_selector(".mcr-section--problems .mcr-entry-comment")
        .unwrap()
        .unwrap();
    assert_eq!(
        button.get_attribute("aria-label").unwrap(),
        "Comment on Asthma"
    );
    button.unchecked_into::<HtmlElement>().click();
    sleep(10).await;
    assert_eq!(
        model.target.get_untracked().map(|(_, t)| t),
        Some("Asthma".to_string())
    );
}

#[wasm_bindgen_test]
async fn a_dataset_view_shows_only_its_sections_and_says_what_it_leaves_out() {
    let el = host();
    let mut rec = record(SourceState::Answered);
    rec.dataset = Some(mcr_model::Dataset {
        name: "social-care dataset".into(),
        sections: vec![SectionKind::Problems, SectionKind::Allergies],
        note: "no results".into(),
    });
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    sleep(10).await;
    let tabs = attributes(&el, "[role=tab]", "data-tab");
    assert_eq!(
        tabs,
        ["summary", "problems", "allergies"],
        "sections outside the dataset have no tab, not even one saying none recorded"
    );
    open_tab(&el, "allergies").await;
    assert_eq!(
        attributes(&el, ".mcr-section", "class"),
        ["mcr-section mcr-section--allergies"]
    );
    let note = el
        .query_selector(".mcr-dataset")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert_eq!(note, "Showing the social-care dataset: no results");
}

/// The test record with the trust located too, and answered.
fn record_with_trust() -> Record {
    let mut rec = record(SourceState::Answered);
    rec.located.push(trust());
    rec.sources.push(SourceStatus::new(
        trust(),
        SourceState::Answered,
        None,
        None,
    ));
    rec
}

fn dated(mut e: Entry, source: SourceRef, date: &str) -> Entry {
    e.source = source;
    e.date = Some(date.into());
    e
}

/// `name` of every element under `el` that matches `selector`.
fn attributes(el: &web_sys::Element, selector: &str, name: &str) -> Vec<String> {
    let list = el.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| {
            list.item(i)
                .unwrap()
                .unchecked_into::<web_sys::Element>()
                .get_attribute(name)
                .unwrap_or_default()
        })
        .collect()
}

fn texts(el: &HtmlElement, selector: &str) -> Vec<String> {
    let list = el.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn a_column_with_withheld_entries_says_so_rather_than_none_recorded() {
    let el = host();
    let mut rec = record(SourceState::Answered);
    rec.sources[0].withheld = 2;
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    open_tab(&el, "medications").await;
    let meds = el
        .query_selector(".mcr-section--medications .mcr-empty")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(meds.contains("withheld"), "{meds}");
    assert!(!meds.contains("None recorded"), "{meds}");
}

#[wasm_bindgen_test]
async fn gp_and_hospital_medicines_are_compared_row_by_row() {
    let el = host();
    let mut rec = record_with_trust();
    let discharge = |id: &str, title: &str, status: &str| {
        let mut e = dated(entry(id, title, None), trust(), "2026-03-12");
        e.category = Some("Discharge".into());
        e.status = Some(status.into());
        e
    };
    rec.sections[1].entries = vec![
        entry("m1", "Ramipril 2.5mg capsules", None),
        entry("m2", "Simvastatin 40mg tablets", None),
        discharge("d1", "Ramipril 5mg capsules", "active"),
        discharge("d2", "Simvastatin 40mg tablets", "stopped"),
        discharge("d3", "Lansoprazole 15mg capsules", "active"),
    ];
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    open_tab(&el, "medications").await;
    let caption = texts(&el, ".mcr-compare caption");
    assert_eq!(
        caption,
        ["GP current medicines and Leeds Teaching Hospitals NHS Trust list of 12-Mar-2026"]
    );
    let rows = texts(&el, ".mcr-compare tbody th");
    assert_eq!(
        rows,
        ["Started in hospital", "Stopped in hospital", "Dose changed"]
    );
    let dose = el
        .query_selector(".mcr-change--dose-changed")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(
        dose.contains("Ramipril 2.5mg capsules") && dose.contains("Ramipril 5mg capsules"),
        "both sides are shown, not merged: {dose}"
    );
    // The entries are still listed in their own columns too.
    assert_eq!(
        el.query_selector_all(".mcr-section--medications .mcr-entry")
            .unwrap()
            .length(),
        5
    );
}

#[wasm_bindgen_test]
async fn results_from_both_sources_are_plotted_with_source_markers_and_abnormal_flags() {
    let el = host();
    let mut rec = record_with_trust();
    let result = |id: &str, source: SourceRef, date: &str, value: &str| {
        let mut e = dated(entry(id, "HbA1c", None), source, date);
        e.codes = vec![mcr_model::Coding {
            system: Some("http://loinc.org".into()),
            code: Some("4548-4".into()),
            display: None,
        }];
        e.value = Some(value.into());
        e.reference_range = Some("20-41 mmol/mol".into());
        e
    };
    rec.sections.push(Section {
        kind: SectionKind::Results,
        entries: vec![
            result("r1", gp(), "2024-05-01", "39 mmol/mol"),
            result("r2", gp(), "2025-05-01", "47 mmol/mol"),
            result("r3", trust(), "2026-03-10", "58 mmol/mol"),
        ],
    });
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    open_tab(&el, "results").await;
    let svg = el
        .query_selector(".mcr-section--results svg[role=img]")
        .unwrap()
        .expect("a trend plot");
    let label = svg.get_attribute("aria-label").unwrap();
    assert!(
        label.starts_with("HbA1c: 3 results from 2 sources; latest 58 mmol/mol on 10-Mar-2026"),
        "{label}"
    );
    // One path per kind of marker, one shape per result in it.
    let shapes = |selector: &str| {
        let list = svg.query_selector_all(selector).unwrap();
        (0..list.length())
            .map(|i| {
                let d = list
                    .item(i)
                    .unwrap()
                    .unchecked_into::<web_sys::Element>()
                    .get_attribute("d")
                    .unwrap();
                d.matches('M').count()
            })
            .sum::<usize>()
    };
    assert_eq!(shapes("path.mcr-points--gp"), 2, "GP circles");
    assert_eq!(shapes("path.mcr-points--other"), 1, "hospital squares");
    assert_eq!(shapes("path.mcr-points--abnormal"), 2, "abnormal, filled");
    assert!(
        svg.query_selector("path.mcr-points--gp:not(.mcr-points--abnormal)")
            .unwrap()
            .unwrap()
            .get_attribute("d")
            .unwrap()
            .contains('a'),
        "GP results are circles (arcs)"
    );
    assert!(
        svg.query_selector("rect.mcr-range").unwrap().is_some(),
        "reference range band"
    );
    assert_eq!(texts(&el, ".mcr-trend figcaption"), [label]);
}

#[wasm_bindgen_test]
async fn a_long_column_is_shown_a_page_at_a_time() {
    let el = host();
    let mut rec = record(SourceState::Answered);
    rec.sections[0].entries = (0..120)
        .map(|i| {
            let mut e = entry(&format!("p{i}"), &format!("Problem {i:03}"), None);
            e.date = Some(format!("2020-01-{:02}", 1 + i % 28));
            e
        })
        .collect();
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    open_tab(&el, "problems").await;
    let count = || {
        el.query_selector_all(".mcr-section--problems .mcr-entry")
            .unwrap()
            .length()
    };
    assert_eq!(count(), 50);
    let more: HtmlElement = el
        .query_selector(".mcr-section--problems .mcr-more")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(more.text_content().unwrap(), "Show 50 more (70 not shown)");
    more.click();
    sleep(20).await;
    assert_eq!(count(), 100);
    let more: HtmlElement = el
        .query_selector(".mcr-section--problems .mcr-more")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(more.text_content().unwrap(), "Show 20 more (20 not shown)");
    more.click();
    sleep(20).await;
    assert_eq!(count(), 120);
    assert!(
        el.query_selector(".mcr-section--problems .mcr-more")
            .unwrap()
            .is_none()
    );
    // The section heading and its tab still count every entry.
    assert!(texts(&el, ".mcr-section--problems .mcr-count")[0].contains("120"));
    assert!(texts(&el, "[data-tab=problems] .mcr-count")[0].contains("120"));
}

/// The NDJSON record stream of a patient held by no source: `patient`, `located`,
/// `complete`.
fn stream_of(patient: Option<Demographics>) -> String {
    [
        mcr_model::RecordEvent::Patient { patient },
        mcr_model::RecordEvent::Located {
            sources: vec![],
            dataset: None,
        },
        mcr_model::RecordEvent::Complete,
    ]
    .iter()
    .map(|e| serde_json::to_string(e).unwrap() + "\n")
    .collect()
}

/// A JS object of `pairs`, as a host passes options to `mount`.
fn js_options(pairs: &[(&str, wasm_bindgen::JsValue)]) -> wasm_bindgen::JsValue {
    let options = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&options, &(*k).into(), v).unwrap();
    }
    options.into()
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
// Stand-ins for the gateway inside the page. `fake_gateway` answers what every panel
// asks — contexts open at once (`ctx-` and the NHS number), ends, no comments — after
// `gate` (a Response refuses the request), and leaves the record to `record(nhs)`.
// Each installer returns a function that puts the real fetch back.
function fake_gateway(record, gate = () => null) {
  const real = window.fetch;
  window.fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    const refused = gate(req);
    if (refused) return refused;
    if (req.method === 'POST' && url.pathname === '/api/v1/contexts') {
      const { nhs_number } = await req.json();
      return json({ context_id: `ctx-${nhs_number}` }, 201);
    }
    if (req.method === 'DELETE') return new Response(null, { status: 204 });
    if (url.pathname.endsWith('/comments')) return json({ comments: [], may_write: false });
    return record(url.pathname.split('/')[4].slice(4));
  };
  return () => { window.fetch = real; };
}

// For the patient-switch test: each record answers after a delay drawn from `delays`
// (in turn), so answers for earlier patients arrive after later switches; abort is
// ignored, as a response already on its way would be.
export function install_fake_gateway(records, delays) {
  let turn = 0;
  return fake_gateway(async (nhs) => {
    const delay = delays[turn++ % delays.length];
    await new Promise((r) => setTimeout(r, delay));
    // Counted: answers that arrive once their patient is no longer the one shown.
    if (!records[nhs].includes(window.__mcrCurrent)) window.__mcrLateAnswers = (window.__mcrLateAnswers ?? 0) + 1;
    return new Response(records[nhs], { headers: { 'Content-Type': 'application/x-ndjson' } });
  });
}

// A gateway that accepts only `Bearer fresh`, counting what it refuses (and, from now,
// the calls of get_token_callback's functions).
export function install_token_checking_gateway(record) {
  window.__mcrRefused = 0;
  window.__mcrTokenCalls = 0;
  return fake_gateway(() => new Response(record), (req) => {
    if (req.headers.get('Authorization') === 'Bearer fresh') return null;
    window.__mcrRefused++;
    return new Response(JSON.stringify({ code: 'unauthorised', message: 'token expired' }), { status: 401 });
  });
}

// A getToken that counts its calls and resolves to "fresh".
export function get_token_callback() {
  return () => { window.__mcrTokenCalls++; return Promise.resolve('fresh'); };
}

// A gateway at capacity: its first answer for the record is 503 with `Retry-After: 1`,
// then it serves; the time of each ask is kept.
export function install_busy_gateway(record) {
  window.__mcrRecordAsks = [];
  return fake_gateway(() => {
    window.__mcrRecordAsks.push(performance.now());
    if (window.__mcrRecordAsks.length === 1) {
      return new Response(JSON.stringify({ code: 'overloaded', message: 'busy' }), { status: 503, headers: { 'Retry-After': '1' } });
    }
    return new Response(record);
  });
}

// Records, on every change to `root`'s subtree, any of `names` other than the current one
// (window.__mcrCurrent) found in its text.
export function watch_for_other_patients(root, names) {
  const seen = [];
  const check = () => {
    const text = root.textContent;
    for (const n of names) if (n !== window.__mcrCurrent && text.includes(n)) seen.push(n);
  };
  new MutationObserver(check).observe(root, { subtree: true, childList: true, characterData: true });
  return () => { check(); return seen; };
}

export function set_current(name) { window.__mcrCurrent = name; }

// A record stream that sends `first` at once and `rest` after `delay` ms, as a slow
// source answering later would.
export function install_streaming_gateway(first, rest, delay) {
  const bytes = new TextEncoder();
  return fake_gateway(() => new Response(new ReadableStream({
    start(c) {
      c.enqueue(bytes.encode(first));
      setTimeout(() => { c.enqueue(bytes.encode(rest)); c.close(); }, delay);
    },
  }), { headers: { 'Content-Type': 'application/x-ndjson' } }));
}
"#)]
extern "C" {
    fn install_fake_gateway(records: &js_sys::Object, delays: Vec<i32>) -> js_sys::Function;
    fn install_token_checking_gateway(record: &str) -> js_sys::Function;
    fn get_token_callback() -> js_sys::Function;
    fn install_busy_gateway(record: &str) -> js_sys::Function;
    fn watch_for_other_patients(root: &web_sys::Node, names: Vec<String>) -> js_sys::Function;
    fn set_current(name: &str);
    fn install_streaming_gateway(first: &str, rest: &str, delay: i32) -> js_sys::Function;
}

/// The `index`-th valid NHS number from 999 000 0000 up (Modulus 11).
fn nhs_number(index: usize) -> String {
    (0u64..)
        .map(|n| format!("999{:06}", n))
        .filter_map(|nine| {
            let sum: u32 = nine
                .bytes()
                .enumerate()
                .map(|(i, b)| u32::from(b - b'0') * (10 - i as u32))
                .sum();
            let check = (11 - sum % 11) % 11;
            (check != 10).then(|| format!("{nine}{check}"))
        })
        .nth(index)
        .unwrap()
}

#[wasm_bindgen_test]
async fn a_hundred_rapid_switches_never_show_the_previous_patient() {
    const PATIENTS: usize = 101;
    let names: Vec<String> = (0..PATIENTS).map(|i| format!("ZED{i:03}Q")).collect();
    let records = js_sys::Object::new();
    for (i, name) in names.iter().enumerate() {
        let nhs = nhs_number(i);
        let mut patient = record(SourceState::Answered).patient.unwrap();
        patient.nhs_number = NhsNumber::parse(&nhs).unwrap();
        patient.family_name = Some(name.clone());
        let body = stream_of(Some(patient));
        js_sys::Reflect::set(&records, &nhs.as_str().into(), &body.into()).unwrap();
    }
    // Earlier answers are slower than the switches, so most arrive after them.
    let restore = install_fake_gateway(&records, vec![40, 5, 25, 0, 60, 15, 35, 10]);
    let el = host();
    let options = js_options(&[
        ("gatewayUrl", "http://gateway.test".into()),
        ("nhsNumber", nhs_number(0).into()),
        ("token", "t".into()),
    ]);
    set_current(&names[0].to_uppercase());
    let mut handle = mcr_panel::mount(el.clone(), options).unwrap();
    let root: web_sys::Node = el.shadow_root().unwrap().into();
    let seen = watch_for_other_patients(&root, names.clone());
    for (i, name) in names.iter().enumerate().skip(1) {
        set_current(name);
        handle
            .set_patient(nhs_number(i), wasm_bindgen::JsValue::UNDEFINED)
            .unwrap();
        sleep(if i % 3 == 0 { 0 } else { 4 }).await;
    }
    // Every late answer has arrived by now.
    sleep(300).await;
    let late = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__mcrLateAnswers".into())
        .unwrap()
        .as_f64()
        .unwrap_or(0.0);
    assert!(
        late >= 50.0,
        "most answers arrived after their patient was switched away from: {late}"
    );
    let last = names.last().unwrap();
    let text = root.text_content().unwrap();
    assert!(text.contains(last), "the last patient is shown: {text}");
    let others: js_sys::Array = seen.call0(&wasm_bindgen::JsValue::NULL).unwrap().into();
    assert_eq!(
        others.length(),
        0,
        "another patient's name appeared: {:?}",
        others.to_vec()
    );
    handle.unmount();
    restore.call0(&wasm_bindgen::JsValue::NULL).unwrap();
}

#[wasm_bindgen_test]
async fn every_source_state_is_named_and_only_those_that_may_recover_offer_try_again() {
    use mcr_panel::components::sources::SourceList;
    let states = [
        (SourceState::Answered, "answered 25-Nov-2026"),
        (SourceState::TimedOut, "did not answer in time"),
        (SourceState::Failed, "failed: HTTP 503"),
        (SourceState::Refused, "refused: the patient has dissented"),
        (
            SourceState::IdentityMismatch,
            "answered about a different patient; its answer was discarded",
        ),
        (
            SourceState::Unavailable,
            "unavailable: not asked while it is failing",
        ),
    ];
    let statuses: Vec<SourceStatus> = states
        .iter()
        .enumerate()
        .map(|(i, (state, _))| {
            let mut source = trust();
            source.id = format!("s{i}");
            source.organisation = format!("Org {i}");
            let message = match state {
                SourceState::Failed => Some("HTTP 503".to_string()),
                SourceState::Refused => Some("the patient has dissented".to_string()),
                _ => None,
            };
            let mut s =
                SourceStatus::new(source, *state, Some("2026-11-25T14:00:00Z".into()), message);
            if i == 0 {
                s.withheld = 3;
            }
            s
        })
        .collect();
    let asked = RwSignal::new(Vec::<String>::new());
    let on_retry = Callback::new(move |id: String| asked.update(|a| a.push(id)));
    let el = host();
    let _h = leptos::mount::mount_to(el.clone(), move || {
        view! { <SourceList sources=statuses on_retry=Some(on_retry)/> }
    });
    let items = texts(&el, ".mcr-source");
    assert_eq!(items.len(), states.len());
    for ((_, words), item) in states.iter().zip(&items) {
        assert!(item.contains(words), "{item} should say {words}");
        assert!(item.contains("(hospital)"), "{item} names the kind");
    }
    assert!(items[0].contains("3 items withheld"), "{}", items[0]);
    let buttons = el.query_selector_all(".mcr-retry").unwrap();
    let labels: Vec<String> = (0..buttons.length())
        .map(|i| {
            buttons
                .item(i)
                .unwrap()
                .unchecked_into::<web_sys::Element>()
                .get_attribute("aria-label")
                .unwrap()
        })
        .collect();
    assert_eq!(
        labels,
        ["Ask Org 1 again", "Ask Org 2 again", "Ask Org 5 again"],
        "timed out, failed and unavailable sources may be asked again; refusals and \
         wrong-patient answers may not"
    );
    buttons
        .item(1)
        .unwrap()
        .unchecked_into::<HtmlElement>()
        .click();
    assert_eq!(asked.get_untracked(), ["s2"]);
}

#[wasm_bindgen_test]
async fn an_expired_token_is_refreshed_through_get_token_and_the_request_sent_again() {
    let body = stream_of(record(SourceState::Answered).patient);
    let restore = install_token_checking_gateway(&body);
    let options = js_options(&[
        ("gatewayUrl", "http://gateway.test".into()),
        ("nhsNumber", "9434765919".into()),
        ("token", "stale".into()),
        ("getToken", get_token_callback().into()),
    ]);
    let el = host();
    let mut handle = mcr_panel::mount(el.clone(), options).unwrap();
    sleep(300).await;
    let window = web_sys::window().unwrap();
    let read = |name: &str| {
        js_sys::Reflect::get(&window, &name.into())
            .unwrap()
            .as_f64()
            .unwrap()
    };
    let text = el.shadow_root().unwrap().text_content().unwrap();
    assert!(text.contains("JONES, Ann"), "the record is shown: {text}");
    // The stale token was refused once; the fresh one, fetched once, was used after.
    assert_eq!(read("__mcrTokenCalls"), 1.0);
    assert_eq!(read("__mcrRefused"), 1.0);
    handle.unmount();

    // Without a token at all, getToken gives the first one.
    let options = js_options(&[
        ("gatewayUrl", "http://gateway.test".into()),
        ("nhsNumber", "9434765919".into()),
        ("getToken", get_token_callback().into()),
    ]);
    let el = host();
    let mut handle = mcr_panel::mount(el.clone(), options).unwrap();
    sleep(300).await;
    assert!(
        el.shadow_root()
            .unwrap()
            .text_content()
            .unwrap()
            .contains("JONES, Ann")
    );
    assert_eq!(read("__mcrTokenCalls"), 2.0);
    assert_eq!(
        read("__mcrRefused"),
        1.0,
        "no request went out without a token"
    );
    handle.unmount();
    restore.call0(&wasm_bindgen::JsValue::NULL).unwrap();
}

#[wasm_bindgen_test]
async fn a_gateway_at_capacity_is_asked_again_after_its_retry_after() {
    let body = stream_of(record(SourceState::Answered).patient);
    let restore = install_busy_gateway(&body);
    let options = js_options(&[
        ("gatewayUrl", "http://gateway.test".into()),
        ("nhsNumber", "9434765919".into()),
        ("token", "t".into()),
    ]);
    let el = host();
    let mut handle = mcr_panel::mount(el.clone(), options).unwrap();
    sleep(1600).await;
    let text = el.shadow_root().unwrap().text_content().unwrap();
    assert!(text.contains("JONES, Ann"), "shown after the retry: {text}");
    let asks: js_sys::Array =
        js_sys::Reflect::get(&web_sys::window().unwrap(), &"__mcrRecordAsks".into())
            .unwrap()
            .into();
    assert_eq!(asks.length(), 2);
    let waited = asks.get(1).as_f64().unwrap() - asks.get(0).as_f64().unwrap();
    assert!(waited >= 990.0, "waited {waited} ms, as Retry-After said");
    handle.unmount();
    restore.call0(&wasm_bindgen::JsValue::NULL).unwrap();
}

#[wasm_bindgen_test]
async fn a_documents_sanitised_text_is_shown_folded_beneath_it() {
    let el = host();
    let mut rec = record_with_trust();
    let mut letter = dated(
        entry("d1", "Discharge summary", None),
        trust(),
        "2026-03-12",
    );
    letter.narrative = Some("<p>Discharged <b>home</b> on 12 March.</p>".into());
    rec.sections.push(Section {
        kind: SectionKind::Documents,
        entries: vec![letter],
    });
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    open_tab(&el, "documents").await;
    let body = el
        .query_selector(".mcr-section--documents .mcr-narrative .mcr-narrative-body")
        .unwrap()
        .expect("the text, folded");
    assert_eq!(
        body.query_selector("b")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "home"
    );
    assert_eq!(body.text_content().unwrap(), "Discharged home on 12 March.");
    assert!(
        el.query_selector(".mcr-section--documents details.mcr-narrative:not([open])")
            .unwrap()
            .is_some(),
        "folded until asked for"
    );
}

#[wasm_bindgen_test]
async fn the_summary_leads_with_active_problems_current_medicines_and_latest_results() {
    let el = host();
    let mut rec = record(SourceState::Answered);
    let mut old = entry("p2", "Fractured wrist", None);
    old.status = Some("resolved".into());
    rec.sections[0].entries.push(old);
    rec.sections[1]
        .entries
        .push(entry("m1", "Metformin 500mg tablets", None));
    let mut hba1c = entry("r1", "HbA1c", None);
    hba1c.value = Some("52 mmol/mol".into());
    rec.sections.push(Section {
        kind: SectionKind::Results,
        entries: vec![hba1c],
    });
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    let parts = texts(&el, ".mcr-summary .mcr-summary-part");
    assert_eq!(parts.len(), 5, "{parts:?}");
    assert!(parts[0].starts_with("Active problems") && parts[0].contains("Asthma"));
    assert!(
        !parts[0].contains("Fractured wrist"),
        "resolved problems are left out"
    );
    assert!(
        parts[1].contains("Metformin 500mg tablets")
            && parts[1].contains("Riverside Medical Practice")
    );
    assert!(parts[2].contains("None recorded"), "{}", parts[2]);
    assert!(parts[3].contains("HbA1c 52 mmol/mol"), "{}", parts[3]);
}

/// Presses `key` on `el` (a bubbling, cancellable keydown).
fn press(el: &web_sys::Element, key: &str) {
    js_sys::Function::new_with_args(
        "el, key",
        "el.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }))",
    )
    .call2(&wasm_bindgen::JsValue::NULL, el, &key.into())
    .unwrap();
}

/// The record with the trust, and an entry in every section from one source or other.
fn record_in_every_section() -> Record {
    let mut rec = record_with_trust();
    rec.sections = SectionKind::ALL
        .iter()
        .enumerate()
        .map(|(i, &kind)| Section {
            kind,
            entries: vec![dated(
                entry(&format!("e{i}"), &format!("{} entry", kind.title()), None),
                if i % 2 == 0 { gp() } else { trust() },
                "2024-01-01",
            )],
        })
        .collect();
    rec
}

#[wasm_bindgen_test]
async fn the_record_is_a_tab_list_a_summary_tab_first_then_a_tab_per_section() {
    let el = host();
    let _h = leptos::mount::mount_to(
        el.clone(),
        || view! { <RecordView record=record_in_every_section()/> },
    );
    let list = el.query_selector("[role=tablist]").unwrap().unwrap();
    assert_eq!(list.get_attribute("aria-label").unwrap(), "Record sections");
    let slugs: Vec<String> = std::iter::once("summary")
        .chain(SectionKind::ALL.iter().map(|k| k.slug()))
        .map(String::from)
        .collect();
    assert_eq!(attributes(&el, "[role=tab]", "data-tab"), slugs);
    let tabs = texts(&el, "[role=tab]");
    assert_eq!(tabs[0], "Summary");
    assert_eq!(tabs[1], "Problems and diagnoses (1)", "name and count");
    let check = |selected: usize| {
        let expected = |on: &str, off: &str| -> Vec<String> {
            (0..slugs.len())
                .map(|i| if i == selected { on } else { off }.to_string())
                .collect()
        };
        assert_eq!(
            attributes(&el, "[role=tab]", "aria-selected"),
            expected("true", "false")
        );
        assert_eq!(
            attributes(&el, "[role=tab]", "tabindex"),
            expected("0", "-1"),
            "roving tabindex: only the selected tab is in the Tab order"
        );
        let panels = el.query_selector_all("[role=tabpanel]").unwrap();
        assert_eq!(panels.length(), 1, "one panel at a time");
        let panel: web_sys::Element = panels.item(0).unwrap().unchecked_into();
        let tab = el
            .query_selector_all("[role=tab]")
            .unwrap()
            .item(selected as u32)
            .unwrap()
            .unchecked_into::<web_sys::Element>();
        assert_eq!(tab.get_attribute("aria-controls"), Some(panel.id()));
        assert_eq!(panel.get_attribute("aria-labelledby"), Some(tab.id()));
        assert_eq!(panel.get_attribute("tabindex").as_deref(), Some("0"));
        panel
    };
    let panel = check(0);
    assert!(panel.query_selector(".mcr-summary").unwrap().is_some());
    assert!(
        el.query_selector(".mcr-section").unwrap().is_none(),
        "no section is built while the summary is shown"
    );
    open_tab(&el, "results").await;
    let panel = check(4);
    assert_eq!(
        attributes(&panel, ".mcr-section", "class"),
        ["mcr-section mcr-section--results"]
    );
    assert_eq!(
        texts(&el, ".mcr-entry .mcr-entry-title"),
        ["Results entry"],
        "only the selected section's entries are in the page"
    );
    assert!(el.query_selector(".mcr-summary").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn arrow_keys_home_and_end_move_the_selection_and_the_focus_along_the_tabs() {
    let el = host();
    let _h = leptos::mount::mount_to(
        el.clone(),
        || view! { <RecordView record=record_with_trust()/> },
    );
    let tabs = el.query_selector_all("[role=tab]").unwrap();
    let n = tabs.length();
    assert_eq!(n, 11, "the summary and ten sections");
    let tab = |i: u32| -> HtmlElement { tabs.item(i).unwrap().unchecked_into() };
    let focused = || {
        let active = web_sys::window()
            .unwrap()
            .document()
            .unwrap()
            .active_element()
            .unwrap();
        (0..n).find(|&i| tabs.item(i).unwrap().is_same_node(Some(active.as_ref())))
    };
    let selected = || {
        attributes(&el, "[role=tab]", "aria-selected")
            .iter()
            .position(|s| s == "true")
            .map(|i| i as u32)
    };
    tab(0).focus().unwrap();
    for (key, expected) in [
        ("ArrowRight", 1),
        ("ArrowLeft", 0),
        ("ArrowLeft", n - 1),
        ("ArrowRight", 0),
        ("End", n - 1),
        ("Home", 0),
        ("ArrowRight", 1),
    ] {
        press(&tab(focused().unwrap()), key);
        sleep(10).await;
        assert_eq!(focused(), Some(expected), "{key} moves the focus");
        assert_eq!(selected(), Some(expected), "{key} selects the tab");
    }
    assert!(
        el.query_selector(".mcr-section--problems")
            .unwrap()
            .is_some(),
        "the selected tab's panel is shown"
    );
    // Other keys are left alone (Down does not move along a horizontal tab list).
    press(&tab(1), "ArrowDown");
    sleep(10).await;
    assert_eq!((focused(), selected()), (Some(1), Some(1)));
}

#[wasm_bindgen_test]
async fn the_selected_tab_survives_a_source_answering_later_and_a_change_of_filter() {
    let line = |e: mcr_model::RecordEvent| serde_json::to_string(&e).unwrap() + "\n";
    let rec = record(SourceState::Answered);
    let first = [
        line(mcr_model::RecordEvent::Patient {
            patient: rec.patient.clone(),
        }),
        line(mcr_model::RecordEvent::Located {
            sources: vec![gp(), trust()],
            dataset: None,
        }),
        line(mcr_model::RecordEvent::Source {
            status: rec.sources[0].clone(),
            sections: rec.sections.clone(),
        }),
    ]
    .concat();
    let rest = [
        line(mcr_model::RecordEvent::Source {
            status: SourceStatus::new(trust(), SourceState::Answered, None, None),
            sections: vec![Section {
                kind: SectionKind::Problems,
                entries: vec![dated(
                    entry("t1", "Fractured neck of femur", None),
                    trust(),
                    "2025-02-02",
                )],
            }],
        }),
        line(mcr_model::RecordEvent::Complete),
    ]
    .concat();
    let restore = install_streaming_gateway(&first, &rest, 400);
    let el = host();
    let options = js_options(&[
        ("gatewayUrl", "http://gateway.test".into()),
        ("nhsNumber", "9434765919".into()),
        ("token", "t".into()),
    ]);
    let mut handle = mcr_panel::mount(el.clone(), options).unwrap();
    sleep(150).await;
    let panel = el
        .shadow_root()
        .unwrap()
        .query_selector(".mcr-panel")
        .unwrap()
        .unwrap();
    open_tab(&panel, "problems").await;
    let shadow = el.shadow_root().unwrap();
    let focused_tab = || {
        shadow
            .active_element()
            .and_then(|e| e.get_attribute("data-tab"))
    };
    panel
        .query_selector("[data-tab=problems]")
        .unwrap()
        .unwrap()
        .unchecked_into::<HtmlElement>()
        .focus()
        .unwrap();
    let other = || texts(&panel.clone().unchecked_into(), ".mcr-column--other")[0].clone();
    assert!(other().contains("Waiting for the source"), "{}", other());
    sleep(500).await;
    assert_eq!(
        focused_tab().as_deref(),
        Some("problems"),
        "a reader on the tabs keeps the focus as the view is rebuilt"
    );
    assert_eq!(
        panel.get_attribute("data-progress").as_deref(),
        Some("complete")
    );
    assert!(other().contains("Fractured neck of femur"), "{}", other());
    let selected = || {
        panel
            .query_selector("[role=tab][aria-selected=true]")
            .unwrap()
            .unwrap()
            .get_attribute("data-tab")
            .unwrap()
    };
    assert_eq!(selected(), "problems", "still on the tab the reader chose");
    // Filtering keeps the tab too, and its count says how many match.
    let search: web_sys::HtmlInputElement = panel
        .query_selector(".mcr-filter-text")
        .unwrap()
        .unwrap()
        .unchecked_into();
    search.set_value("femur");
    search
        .dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    sleep(20).await;
    assert_eq!(selected(), "problems");
    assert_eq!(
        texts(
            &panel.clone().unchecked_into(),
            "[data-tab=problems] .mcr-count"
        ),
        [" (1 of 2 match)"]
    );
    handle.unmount();
    restore.call0(&wasm_bindgen::JsValue::NULL).unwrap();
}

#[wasm_bindgen_test]
async fn printing_builds_every_tab_and_takes_the_copy_away_afterwards() {
    let el = host();
    let mut rec = record_in_every_section();
    rec.sections[6].entries[0].narrative = Some("<p>Seen in clinic.</p>".into());
    let _h = leptos::mount::mount_to(el.clone(), move || view! { <RecordView record=rec/> });
    open_tab(&el, "medications").await;
    let window = web_sys::window().unwrap();
    // No waiting: a host's window.print() lays the page out straight after the event.
    window
        .dispatch_event(&web_sys::Event::new("beforeprint").unwrap())
        .unwrap();
    let copy: Vec<String> = attributes(&el, ".mcr-print-all > section", "class");
    let mut expected = vec!["mcr-summary".to_string()];
    expected.extend(
        SectionKind::ALL
            .iter()
            .map(|k| format!("mcr-section mcr-section--{}", k.slug())),
    );
    assert_eq!(copy, expected, "the summary and every section, in order");
    assert!(
        el.query_selector(".mcr-print-all details.mcr-narrative[open]")
            .unwrap()
            .is_some(),
        "folded text is printed open"
    );
    assert_eq!(
        texts(&el, ".mcr-tabpanel .mcr-section h3"),
        ["Medications (1)"],
        "the screen keeps its tab"
    );
    window
        .dispatch_event(&web_sys::Event::new("afterprint").unwrap())
        .unwrap();
    assert_eq!(
        el.query_selector(".mcr-print-all")
            .unwrap()
            .unwrap()
            .child_element_count(),
        0
    );
    assert_eq!(
        attributes(&el, ".mcr-section", "class"),
        ["mcr-section mcr-section--medications"]
    );
}

/// A host element `width` wide holding the panel's stylesheet and outer section in its
/// shadow root, with `rec` in it.
fn styled_panel(width: &str, rec: Record) -> (web_sys::Element, Box<dyn std::any::Any>) {
    let el = host();
    el.set_attribute("style", &format!("display: block; width: {width}"))
        .unwrap();
    let shadow = el
        .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
        .unwrap();
    let document = web_sys::window().unwrap().document().unwrap();
    let root: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    shadow.append_child(&root).unwrap();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <style>{mcr_panel::style::PANEL_CSS}</style>
            <section class="mcr-panel"><RecordView record=rec/></section>
        }
    });
    (root.unchecked_into(), Box::new(handle))
}

#[wasm_bindgen_test]
async fn the_columns_sit_side_by_side_in_a_wide_panel_and_stack_in_a_narrow_one_in_one_window() {
    let mut rec = record_with_trust();
    rec.sections[0].entries.push(dated(
        entry("t1", "Hip fracture", None),
        trust(),
        "2025-01-01",
    ));
    let (narrow, _n) = styled_panel("320px", rec.clone());
    let (wide, _w) = styled_panel("1000px", rec);
    let columns = |root: &web_sys::Element| {
        let get = |selector: &str| -> HtmlElement {
            root.query_selector(selector)
                .unwrap()
                .unwrap()
                .unchecked_into()
        };
        (get(".mcr-column--gp"), get(".mcr-column--other"))
    };
    open_tab(&narrow, "problems").await;
    open_tab(&wide, "problems").await;
    let (gp, other) = columns(&wide);
    assert_eq!(gp.offset_top(), other.offset_top(), "wide: tops level");
    assert!(
        other.offset_left() > gp.offset_left(),
        "wide: side by side ({} vs {})",
        other.offset_left(),
        gp.offset_left()
    );
    let (gp, other) = columns(&narrow);
    assert!(
        other.offset_top() >= gp.offset_top() + gp.offset_height(),
        "narrow: the other services below the GP ({} vs {})",
        other.offset_top(),
        gp.offset_top()
    );
    assert_eq!(gp.offset_left(), other.offset_left(), "narrow: one column");
}
