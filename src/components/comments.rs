//! Comments on the record: the list (author, role, organisation, local time; "new since
//! your last view" marked), an accessible add-comment form with a character count, and
//! retraction of one's own comments. A failed post keeps the text and says why; a
//! retried post reuses its idempotency key, so it is never stored twice.
//!
//! Comment text is only ever inserted as text (never as HTML) and each body is
//! direction-isolated, so bidirectional control characters cannot reorder the page.

use std::collections::HashMap;

use leptos::ev::SubmitEvent;
use leptos::html::Textarea;
use leptos::prelude::*;
use mcr_model::{CommentView, Comments, EntryRef, MAX_COMMENT_CHARS, NewCommentRequest};

use crate::PanelOptions;
use crate::api::{load_comments, post_comment, retract_comment};
use crate::dates::local_date_time;

/// The comments shared by the list, the form and the markers on entries.
#[derive(Clone, Copy)]
pub struct CommentsModel {
    /// The comments once loaded, or why they could not be.
    pub loaded: RwSignal<Option<Result<Comments, String>>>,
    /// The entry the next comment is about (none: the whole record), with its title.
    pub target: RwSignal<Option<(EntryRef, String)>>,
    /// The form's text box, focused when an entry's "Comment" button is pressed.
    pub textarea: NodeRef<Textarea>,
}

impl CommentsModel {
    /// An empty model (nothing loaded yet).
    pub fn new() -> Self {
        Self {
            loaded: RwSignal::new(None),
            target: RwSignal::new(None),
            textarea: NodeRef::new(),
        }
    }

    /// Whether the reader may add comments.
    pub fn may_write(&self) -> bool {
        self.loaded
            .with(|l| matches!(l, Some(Ok(c)) if c.may_write))
    }

    /// How many standing (not retracted) comments `entry` has.
    pub fn count_for(&self, entry: &EntryRef) -> usize {
        self.loaded.with(|l| match l {
            Some(Ok(c)) => c
                .comments
                .iter()
                .filter(|x| x.retracted.is_none() && x.entry.as_ref() == Some(entry))
                .count(),
            _ => 0,
        })
    }

    /// Starts a comment about `entry`, titled `title`, and moves focus to the form.
    pub fn comment_on(&self, entry: EntryRef, title: String) {
        self.target.set(Some((entry, title)));
        if let Some(t) = self.textarea.get_untracked() {
            let _ = t.focus();
        }
    }

    /// Loads (or reloads) the comments of `context_id`.
    pub async fn reload(&self, options: &PanelOptions, context_id: &str) {
        let loaded = load_comments(options, context_id, None)
            .await
            .map_err(|e| e.message);
        self.loaded.try_set(Some(loaded));
    }
}

impl Default for CommentsModel {
    fn default() -> Self {
        Self::new()
    }
}

/// A fresh idempotency key for the next post.
fn new_key() -> String {
    let part = || (js_sys::Math::random() * 4_294_967_296.0) as u32;
    format!("{:08x}{:08x}{:08x}{:08x}", part(), part(), part(), part())
}

/// The role as people say it.
pub fn role_label(role: Option<&str>) -> &str {
    match role {
        Some("hospital-clinician") => "Hospital clinician",
        Some("gp-clinician") => "GP",
        Some("social-worker") => "Social worker",
        Some(other) => other,
        None => "Role not known",
    }
}

/// "n of 2,000 characters", counted as the gateway counts them.
pub fn count_text(text: &str) -> String {
    let n = text.chars().count();
    if n > MAX_COMMENT_CHARS {
        format!(
            "{n} characters: {} over the limit of 2,000",
            n - MAX_COMMENT_CHARS
        )
    } else {
        format!("{n} of 2,000 characters")
    }
}

fn comment_item(
    c: CommentView,
    titles: &HashMap<EntryRef, String>,
    on_retract: impl Fn(String) + 'static,
) -> impl IntoView {
    let class = if c.new {
        "mcr-comment mcr-comment--new"
    } else {
        "mcr-comment"
    };
    let about = c.entry.as_ref().map(|e| {
        let title = titles
            .get(e)
            .cloned()
            .unwrap_or_else(|| "an entry not in this view".into());
        view! { <p class="mcr-comment-about">"On: " <bdi>{title}</bdi></p> }
    });
    let body = match (&c.body, &c.retracted) {
        (_, Some(at)) => view! {
            <p class="mcr-comment-retracted">"Retracted by its author on " {local_date_time(at)}</p>
        }
        .into_any(),
        (Some(text), None) => {
            view! { <p class="mcr-comment-body" dir="auto">{text.clone()}</p> }.into_any()
        }
        (None, None) => view! { <p class="mcr-comment-retracted">"No text"</p> }.into_any(),
    };
    let retract = (c.mine && c.retracted.is_none()).then(|| {
        let id = c.id.clone();
        view! {
            <button type="button" class="mcr-comment-retract" on:click=move |_| on_retract(id.clone())>
                "Retract my comment"
            </button>
        }
    });
    let author = c.author.name.clone().unwrap_or_else(|| c.author.id.clone());
    let org = c.author.organisation.clone().unwrap_or_default();
    view! {
        <li class=class data-comment-id=c.id.clone()>
            <p class="mcr-comment-meta">
                <strong><bdi>{author}</bdi></strong>
                " · " {role_label(c.author.role.as_deref()).to_string()}
                {(!org.is_empty()).then(|| view! { " · " <bdi>{org}</bdi> })}
                " · " <time datetime=c.created.clone()>{local_date_time(&c.created)}</time>
                {c.new.then(|| view! { " " <span class="mcr-comment-new">"New since your last view"</span> })}
            </p>
            {about}
            {body}
            {retract}
        </li>
    }
}

/// The comments section with its form.
#[component]
pub fn CommentsSection(
    /// The shared comments state.
    model: CommentsModel,
    /// Gateway and token.
    options: PanelOptions,
    /// The patient context the comments belong to.
    context_id: String,
    /// Entry titles, to say what an entry comment is about.
    titles: Signal<HashMap<EntryRef, String>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    // The last post tried and its key: sending the same post again reuses the key.
    let attempt = RwSignal::new(None::<(NewCommentRequest, String)>);
    let pending = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let (opts, ctx) = (StoredValue::new(options), StoredValue::new(context_id));

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let body = text.get_untracked();
        if body.trim().is_empty() {
            error.set(Some("Write a comment before adding it.".into()));
            return;
        }
        let request = NewCommentRequest {
            body,
            entry: model.target.get_untracked().map(|(e, _)| e),
        };
        let idempotency = match attempt.get_untracked() {
            Some((tried, key)) if tried == request => key,
            _ => new_key(),
        };
        attempt.set(Some((request.clone(), idempotency.clone())));
        let (options, context_id) = (opts.get_value(), ctx.get_value());
        pending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match post_comment(&options, &context_id, &idempotency, &request, None).await {
                Ok(stored) => {
                    text.try_set(String::new());
                    attempt.try_set(None);
                    model.target.try_set(None);
                    model.loaded.try_update(|l| {
                        if let Some(Ok(c)) = l
                            && !c.comments.iter().any(|x| x.id == stored.id)
                        {
                            c.comments.push(stored);
                        }
                    });
                }
                // The text stays in the box; sending again reuses the same key.
                Err(e) => {
                    error.try_set(Some(format!("Your comment was not saved: {e}")));
                }
            }
            pending.try_set(false);
        });
    };
    let on_retract = move |id: String| {
        let (options, context_id) = (opts.get_value(), ctx.get_value());
        leptos::task::spawn_local(async move {
            match retract_comment(&options, &context_id, &id, None).await {
                Ok(()) => model.reload(&options, &context_id).await,
                Err(e) => {
                    error.try_set(Some(format!("The comment was not retracted: {e}")));
                }
            }
        });
    };

    let list = move || {
        let titles = titles.get();
        match model.loaded.get() {
            None => view! { <p class="mcr-loading" role="status">"Loading comments…"</p> }.into_any(),
            Some(Err(e)) => view! {
                <p class="mcr-error" role="alert">"Comments could not be loaded: " {e}</p>
            }
            .into_any(),
            Some(Ok(c)) if c.comments.is_empty() => {
                view! { <p class="mcr-empty">"No comments on this record yet"</p> }.into_any()
            }
            Some(Ok(c)) => view! {
                <ol class="mcr-comments-list">
                    {c.comments.into_iter().map(|c| comment_item(c, &titles, on_retract)).collect_view()}
                </ol>
            }
            .into_any(),
        }
    };
    let state = move || match model.loaded.get() {
        None => "loading",
        Some(Ok(_)) => "ready",
        Some(Err(_)) => "failed",
    };
    let count = move || {
        model.loaded.with(|l| match l {
            Some(Ok(c)) => c.comments.iter().filter(|c| c.retracted.is_none()).count(),
            _ => 0,
        })
    };
    let too_long = move || text.with(|t| t.chars().count() > MAX_COMMENT_CHARS);
    let form = move || {
        model.may_write().then(|| {
            view! {
                <form class="mcr-comment-form" on:submit=submit aria-busy=move || pending.get().to_string()>
                    <label for="mcr-comment-text">"Add a comment for the next clinician"</label>
                    {move || model.target.get().map(|(_, title)| view! {
                        <p class="mcr-comment-about">
                            "About: " <bdi>{title}</bdi> " "
                            <button type="button" on:click=move |_| model.target.set(None)>
                                "Comment on the whole record instead"
                            </button>
                        </p>
                    })}
                    <textarea
                        id="mcr-comment-text"
                        node_ref=model.textarea
                        rows="3"
                        aria-describedby="mcr-comment-count"
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                    ></textarea>
                    <p id="mcr-comment-count" class="mcr-comment-count" class:mcr-comment-count--over=too_long aria-live="polite">
                        {move || text.with(|t| count_text(t))}
                    </p>
                    {move || error.get().map(|e| view! { <p class="mcr-error" role="alert">{e}</p> })}
                    <button type="submit" disabled=move || pending.get() || too_long()>
                        {move || if pending.get() { "Saving…" } else { "Add comment" }}
                    </button>
                </form>
            }
        })
    };
    view! {
        <section class="mcr-comments" aria-label="Comments" data-comments=state>
            <h3>"Comments " <span class="mcr-count">"(" {count} ")"</span></h3>
            {list}
            {form}
        </section>
    }
}
