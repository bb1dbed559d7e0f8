//! The filter bar above the record: words to look for, a date range and the order.
//! It sits outside the part of the panel that is rebuilt as sources answer, so what the
//! reader types is never lost while the record streams in.

use leptos::prelude::*;

use crate::filter::EntryFilter;

/// The filter bar, editing `filter`.
#[component]
pub fn FilterBar(
    /// The filter the record view applies.
    filter: RwSignal<EntryFilter>,
) -> impl IntoView {
    let date = |v: String| (!v.is_empty()).then_some(v);
    view! {
        <form class="mcr-filter" role="search" aria-label="Filter the record"
            on:submit=|ev| ev.prevent_default()>
            <label>
                "Find"
                <input type="search" class="mcr-filter-text" placeholder="e.g. metformin"
                    prop:value=move || filter.with(|f| f.text.clone())
                    on:input=move |ev| filter.update(|f| f.text = event_target_value(&ev))/>
            </label>
            <label>
                "From"
                <input type="date" class="mcr-filter-from"
                    prop:value=move || filter.with(|f| f.from.clone().unwrap_or_default())
                    on:change=move |ev| filter.update(|f| f.from = date(event_target_value(&ev)))/>
            </label>
            <label>
                "To"
                <input type="date" class="mcr-filter-to"
                    prop:value=move || filter.with(|f| f.to.clone().unwrap_or_default())
                    on:change=move |ev| filter.update(|f| f.to = date(event_target_value(&ev)))/>
            </label>
            <label>
                "Order"
                <select class="mcr-filter-order"
                    on:change=move |ev| filter.update(|f| f.oldest_first = event_target_value(&ev) == "oldest")>
                    <option value="newest" selected=move || filter.with(|f| !f.oldest_first)>"Newest first"</option>
                    <option value="oldest" selected=move || filter.with(|f| f.oldest_first)>"Oldest first"</option>
                </select>
            </label>
            {move || filter.with(EntryFilter::is_active).then(|| view! {
                <button type="button" class="mcr-filter-clear"
                    on:click=move |_| filter.update(|f| *f = EntryFilter { oldest_first: f.oldest_first, ..Default::default() })>
                    "Clear filter"
                </button>
            })}
        </form>
    }
}
