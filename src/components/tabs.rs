//! The record's tabs (the WAI-ARIA tabs pattern): a "Summary" tab, then one tab per
//! section of the reader's dataset, each naming its entry count.
//!
//! Only the selected tab's panel is built, so a 10,000-entry record renders one
//! section, not ten. The selection lives in a [`TabsModel`] owned above the record
//! view, which is rebuilt as each source answers; the reader stays where they were.
//! Keys: Left and Right move to the previous and next tab and select it (wrapping),
//! Home and End to the first and the last; the selected tab alone is in the Tab order.

use std::sync::atomic::{AtomicU32, Ordering};

use leptos::prelude::*;
use mcr_model::SectionKind;
use wasm_bindgen::JsCast;

/// One tab: the summary, or a section of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// What is read first (selected when the panel opens).
    Summary,
    /// One section.
    Section(SectionKind),
}

impl Tab {
    /// The tab's name.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Summary => "Summary",
            Tab::Section(kind) => kind.title(),
        }
    }

    /// The name used in ids and `data-tab` (`summary`, `care-plans`).
    pub fn slug(self) -> &'static str {
        match self {
            Tab::Summary => "summary",
            Tab::Section(kind) => kind.slug(),
        }
    }
}

/// Gives each model its own ids: a page may hold more than one record view.
static NEXT_MODEL: AtomicU32 = AtomicU32::new(0);

/// The selected tab, kept by whoever owns the model (the panel keeps one per patient,
/// so a record rebuilt as sources answer keeps its tab, and a new patient opens on the
/// summary).
#[derive(Debug, Clone, Copy)]
pub struct TabsModel {
    selected: RwSignal<Tab>,
    id: u32,
}

impl Default for TabsModel {
    fn default() -> Self {
        Self::new()
    }
}

impl TabsModel {
    /// A model with the summary selected.
    pub fn new() -> Self {
        Self {
            selected: RwSignal::new(Tab::Summary),
            id: NEXT_MODEL.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The tab the reader chose (tracked). A view shows the summary instead when this
    /// tab is not among its tabs (see [`shown`]).
    pub fn selected(&self) -> Tab {
        self.selected.get()
    }

    /// Selects `tab`.
    pub fn select(&self, tab: Tab) {
        self.selected.set(tab);
    }

    /// The `id` of `tab`'s button.
    pub fn tab_id(&self, tab: Tab) -> String {
        format!("mcr-tab-{}-{}", self.id, tab.slug())
    }

    /// The `id` of `tab`'s panel.
    pub fn panel_id(&self, tab: Tab) -> String {
        format!("mcr-tabpanel-{}-{}", self.id, tab.slug())
    }
}

/// The tab to show: the selected one if `tabs` has it (a dataset arriving later may
/// leave it out), the summary otherwise.
pub fn shown(selected: Tab, tabs: &[Tab]) -> Tab {
    if tabs.contains(&selected) {
        selected
    } else {
        Tab::Summary
    }
}

/// Where `key` moves the selection from tab `current` of `n`: Left and Right to the
/// previous and the next (wrapping), Home and End to the first and the last; `None`
/// for any other key.
pub fn step(key: &str, current: usize, n: usize) -> Option<usize> {
    if n == 0 {
        return None;
    }
    match key {
        "ArrowRight" => Some((current + 1) % n),
        "ArrowLeft" => Some((current + n - 1) % n),
        "Home" => Some(0),
        "End" => Some(n - 1),
        _ => None,
    }
}

/// The tab list: one button per tab with its name and count.
#[component]
pub fn TabList(
    /// The selection.
    model: TabsModel,
    /// The tabs, in order.
    tabs: Vec<Tab>,
    /// The tab shown (see [`shown`]).
    #[prop(into)]
    current: Signal<Tab>,
    /// Each tab's count text (" (12)", " (3 of 12 match)"), by position; empty for none.
    #[prop(into)]
    counts: Signal<Vec<String>>,
) -> impl IntoView {
    let order = tabs.clone();
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        let Some(i) = order.iter().position(|t| *t == current.get_untracked()) else {
            return;
        };
        let Some(next) = step(&ev.key(), i, order.len()) else {
            return;
        };
        ev.prevent_default();
        model.select(order[next]);
        // The buttons stay while the selection changes, so focus can move at once.
        let button = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|list| list.query_selector_all("[role=tab]").ok())
            .and_then(|all| all.item(next as u32))
            .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(button) = button {
            let _ = button.focus();
        }
    };
    let buttons = tabs
        .into_iter()
        .enumerate()
        .map(|(i, tab)| {
            let is_current = move || current.get() == tab;
            view! {
                <button type="button" role="tab" id=model.tab_id(tab)
                    aria-controls=model.panel_id(tab)
                    aria-selected=move || if is_current() { "true" } else { "false" }
                    tabindex=move || if is_current() { "0" } else { "-1" }
                    class=move || if is_current() { "mcr-tab mcr-tab--selected" } else { "mcr-tab" }
                    data-tab=tab.slug()
                    on:click=move |_| model.select(tab)>
                    {tab.title()}
                    <span class="mcr-count">
                        {move || counts.with(|c| c.get(i).cloned().unwrap_or_default())}
                    </span>
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="mcr-tablist" role="tablist" aria-label="Record sections" on:keydown=on_keydown>
            {buttons}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_and_right_wrap_around_the_ends() {
        assert_eq!(step("ArrowRight", 0, 3), Some(1));
        assert_eq!(step("ArrowRight", 2, 3), Some(0));
        assert_eq!(step("ArrowLeft", 1, 3), Some(0));
        assert_eq!(step("ArrowLeft", 0, 3), Some(2));
    }

    #[test]
    fn home_and_end_go_to_the_first_and_the_last_tab() {
        assert_eq!(step("Home", 2, 4), Some(0));
        assert_eq!(step("End", 0, 4), Some(3));
    }

    #[test]
    fn other_keys_and_an_empty_list_move_nothing() {
        assert_eq!(step("ArrowDown", 1, 3), None);
        assert_eq!(step("Enter", 1, 3), None);
        assert_eq!(step("ArrowRight", 0, 0), None);
    }

    #[test]
    fn a_selected_tab_the_view_does_not_have_shows_the_summary() {
        let tabs = [Tab::Summary, Tab::Section(SectionKind::Problems)];
        assert_eq!(
            shown(Tab::Section(SectionKind::Problems), &tabs),
            Tab::Section(SectionKind::Problems)
        );
        assert_eq!(
            shown(Tab::Section(SectionKind::Results), &tabs),
            Tab::Summary
        );
    }

    #[test]
    fn ids_pair_each_tab_with_its_panel_and_differ_between_models() {
        let (a, b) = (TabsModel::new(), TabsModel::new());
        let tab = Tab::Section(SectionKind::CarePlans);
        assert!(a.tab_id(tab).ends_with("care-plans"));
        assert_ne!(a.tab_id(tab), a.panel_id(tab));
        assert_ne!(a.tab_id(tab), b.tab_id(tab));
    }
}
