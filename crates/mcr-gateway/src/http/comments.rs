//! `GET`/`POST /api/v1/contexts/{ctx}/comments` and
//! `POST /api/v1/contexts/{ctx}/comments/{id}/retract`: comments on a patient's record or
//! one of its entries, the record's only clinical write. The author comes from the token;
//! every read and write is audited before it happens.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use mcr_model::{CommentView, Comments, NewCommentRequest};

use super::AppState;
use super::access::{self, Access, Rule};
use crate::audit::{Action, AuditEntry, Outcome};
use crate::auth::Claims;
use crate::comments::{clean_body, clean_entry, idempotency_key, new_id, same_request, view};
use crate::contexts::PatientContext;
use crate::error::AppError;
use crate::policy::Permission;
use crate::store::NewComment;
use crate::time_fmt::now_ms;

/// Reading comments: clinicians and social workers, subject to the dissent register.
const READ: Rule = Rule {
    action: Action::CommentsRead,
    permissions: &[Permission::CommentsRead],
    refused: "your role may not read comments on a record",
    dissent_applies: true,
};

/// Adding or retracting comments: clinicians, subject to the dissent register.
fn write(action: Action) -> Rule {
    Rule {
        action,
        permissions: &[Permission::CommentsWrite],
        refused: "your role may not add or retract comments on a record",
        dissent_applies: true,
    }
}

/// Commits one allowed audit row for `action` on the context's patient.
async fn audit(
    state: &AppState,
    claims: &Claims,
    context: &PatientContext,
    action: Action,
    detail: Option<&str>,
) -> Result<(), AppError> {
    state
        .audit
        .record(AuditEntry {
            claims,
            nhs_number: Some(&context.nhs_number.as_digits()),
            context_id: Some(&context.id),
            action,
            outcome: Outcome::Allowed,
            detail,
        })
        .await?;
    Ok(())
}

/// The patient's comments, oldest first, with those added by others since the reader's
/// previous view marked new.
pub async fn list(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Comments>, AppError> {
    let Access {
        claims, context, ..
    } = access::check(&state, &headers, &ctx, READ).await?;
    audit(&state, &claims, &context, Action::CommentsRead, None).await?;
    let nhs = context.nhs_number.as_digits();
    let stored = state.store.comments_for(&nhs).await?;
    let last = state
        .store
        .previous_view_ms(&claims.sub, &nhs, &context.id)
        .await?;
    Ok(Json(Comments {
        comments: stored.iter().map(|c| view(c, &claims.sub, last)).collect(),
        last_viewed: last.map(crate::time_fmt::ms_to_audit),
        may_write: state
            .policy
            .allows(claims.role.as_deref(), Permission::CommentsWrite),
    }))
}

/// Adds a comment. `201` with the comment; a retry with the same `Idempotency-Key`
/// answers `200` with the comment stored the first time and stores nothing.
pub async fn add(
    State(state): State<AppState>,
    Path(ctx): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CommentView>), AppError> {
    let Access {
        claims, context, ..
    } = access::check(&state, &headers, &ctx, write(Action::CommentAdd)).await?;
    let key = idempotency_key(&headers)?;
    let request: NewCommentRequest = serde_json::from_slice(&body).map_err(|e| {
        AppError::bad_request(
            "invalid_body",
            format!("expected {{\"body\": \"…\", \"entry\"?: {{\"source\", \"entry\"}}}}: {e}"),
        )
    })?;
    let text = clean_body(&request.body)?;
    if let Some(entry) = &request.entry {
        clean_entry(entry)?;
    }
    let nhs = context.nhs_number.as_digits();
    let replay = |stored: crate::store::Comment| {
        if same_request(&stored, &nhs, &text, &request.entry) {
            Ok((StatusCode::OK, Json(view(&stored, &claims.sub, None))))
        } else {
            Err(AppError::Conflict {
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was already used for a different comment; use a new key for a new comment".into(),
            })
        }
    };
    if let Some(stored) = state.store.comment_by_key(&claims.sub, &key).await? {
        audit(
            &state,
            &claims,
            &context,
            Action::CommentAdd,
            Some(&format!("retry of {}", stored.comment.id)),
        )
        .await?;
        return replay(stored);
    }
    let now = now_ms();
    let limit = state.comments_per_minute;
    if state
        .store
        .comments_by_author_since(&claims.sub, now - 60_000)
        .await?
        >= i64::from(limit)
    {
        let audited = state
            .audit
            .record(AuditEntry {
                claims: &claims,
                nhs_number: Some(&nhs),
                context_id: Some(&context.id),
                action: Action::CommentAdd,
                outcome: Outcome::Refused,
                detail: Some("rate_limited"),
            })
            .await;
        audited?;
        return Err(AppError::TooManyRequests {
            message: format!(
                "you have added {limit} comments in the last minute, the most allowed; wait a minute and post again (your text was not stored)"
            ),
            retry_after_secs: 60,
        });
    }
    let id = new_id(now)?;
    audit(&state, &claims, &context, Action::CommentAdd, Some(&id)).await?;
    let stored = state
        .store
        .add_comment(&NewComment {
            id: id.clone(),
            nhs_number: nhs.clone(),
            entry: request.entry.clone().map(|e| (e.source, e.entry)),
            author_id: claims.sub.clone(),
            author_name: claims.name.clone(),
            author_role: claims.role.clone(),
            author_org: claims.org.clone(),
            body: text.clone(),
            created_ms: now,
            idempotency_key: key,
        })
        .await?;
    if stored.comment.id != id {
        // A concurrent post with the same key got there first.
        return replay(stored);
    }
    Ok((StatusCode::CREATED, Json(view(&stored, &claims.sub, None))))
}

/// Retracts the caller's own comment: it stays stored and is shown as retracted.
pub async fn retract(
    State(state): State<AppState>,
    Path((ctx, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, AppError> {
    let Access {
        claims, context, ..
    } = access::check(&state, &headers, &ctx, write(Action::CommentRetract)).await?;
    let nhs = context.nhs_number.as_digits();
    let theirs = state.store.comments_for(&nhs).await?.into_iter().any(|c| {
        c.comment.id == id && c.comment.author_id == claims.sub && c.retracted_ms.is_none()
    });
    if !theirs {
        return Err(AppError::NotFound {
            code: "comment_not_found",
            message: "there is no comment of yours with this id on this record that is not already retracted".into(),
        });
    }
    audit(&state, &claims, &context, Action::CommentRetract, Some(&id)).await?;
    state
        .store
        .retract_comment(&id, &claims.sub, &nhs, now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
