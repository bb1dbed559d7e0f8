//! Break-glass: when the patient has dissented from sharing, a clinician may override it
//! in an emergency by choosing the kind of need and explaining it. The form says plainly
//! what happens (the access is flagged and reviewed); once granted, a marker stays on the
//! panel for as long as the emergency access lasts.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use mcr_model::{BreakGlassReason, GrantView};

use crate::PanelOptions;
use crate::api::break_glass;
use crate::dates::local_date_time;

/// The reason form shown under a dissent refusal.
#[component]
pub fn BreakGlassForm(
    /// Gateway and token.
    options: PanelOptions,
    /// The context to break the glass in.
    context_id: String,
    /// Called with the grant once the gateway has recorded it.
    on_granted: Callback<GrantView>,
) -> impl IntoView {
    let code = RwSignal::new(None::<BreakGlassReason>);
    let reason = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let (opts, ctx) = (StoredValue::new(options), StoredValue::new(context_id));
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(chosen) = code.get_untracked() else {
            error.set(Some("Choose the reason for emergency access.".into()));
            return;
        };
        let text = reason.get_untracked();
        if text.trim().chars().count() < 5 {
            error.set(Some(
                "Explain the reason for emergency access (at least 5 characters).".into(),
            ));
            return;
        }
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        let (options, context_id) = (opts.get_value(), ctx.get_value());
        leptos::task::spawn_local(async move {
            match break_glass(&options, &context_id, chosen, text.trim()).await {
                // Only while the form is still mounted.
                Ok(grant) if pending.try_get_untracked().is_some() => on_granted.run(grant),
                Ok(_) => {}
                Err(e) => {
                    error.try_set(Some(format!("Emergency access was not granted: {e}")));
                }
            }
            pending.try_set(false);
        });
    };
    view! {
        <form class="mcr-break-glass" on:submit=submit>
            <h3>"Emergency access"</h3>
            <p>
                "If this is an emergency and the record is needed for the patient's care, you may "
                "override their objection. Your name, the reason and everything you view are "
                "recorded and reviewed by a privacy officer."
            </p>
            <label for="mcr-break-glass-code">"Reason for emergency access"</label>
            <select
                id="mcr-break-glass-code"
                aria-required="true"
                on:change=move |ev| code.set(BreakGlassReason::from_code(&event_target_value(&ev)))
            >
                <option value="" selected=true>"Choose a reason"</option>
                {BreakGlassReason::ALL
                    .into_iter()
                    .map(|c| view! { <option value=c.code()>{c.label()}</option> })
                    .collect_view()}
            </select>
            <label for="mcr-break-glass-reason">"Explain why"</label>
            <textarea
                id="mcr-break-glass-reason"
                rows="2"
                aria-required="true"
                prop:value=move || reason.get()
                on:input=move |ev| reason.set(event_target_value(&ev))
            ></textarea>
            {move || error.get().map(|e| view! { <p class="mcr-error" role="alert">{e}</p> })}
            <button type="submit" disabled=move || pending.get()>
                {move || if pending.get() { "Recording…" } else { "Break the glass and open the record" }}
            </button>
        </form>
    }
}

/// The marker shown for as long as emergency access lasts.
#[component]
pub fn EmergencyMarker(
    /// The grant in force.
    grant: GrantView,
) -> impl IntoView {
    view! {
        <div class="mcr-emergency" role="status">
            <strong>"Emergency access. "</strong>
            "You broke the glass at " {local_date_time(&grant.granted)} ": "
            {grant.code.label()} ", “"
            <bdi>{grant.reason.clone()}</bdi>
            "”. It ends at " {local_date_time(&grant.expires)}
            " or when this record is closed, and is flagged for review."
        </div>
    }
}
