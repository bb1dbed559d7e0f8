//! The rules of comments: what text is accepted (plain text, NFC, no control characters
//! but newline and tab, at most 2,000 characters), how ids are made so that comments
//! sort in the order they were stored, and how a stored comment is shown to a reader.

use std::sync::atomic::{AtomicU64, Ordering};

use mcr_model::{CommentAuthor, CommentView, EntryRef, MAX_COMMENT_CHARS};
use unicode_normalization::UnicodeNormalization;

use crate::error::AppError;
use crate::store::Comment;
use crate::time_fmt::ms_to_audit;

/// The longest idempotency key or entry reference accepted.
pub const MAX_KEY_CHARS: usize = 200;

/// The comment text to store: `raw` in NFC, or a 400 that says what is wrong.
pub fn clean_body(raw: &str) -> Result<String, AppError> {
    let text: String = raw.nfc().collect();
    if let Some((at, c)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && *c != '\n' && *c != '\t')
    {
        return Err(AppError::bad_request(
            "comment_control_character",
            format!(
                "a comment is plain text: character {} is the control character U+{:04X}; only newlines and tabs are allowed",
                at + 1,
                c as u32
            ),
        ));
    }
    if text.trim().is_empty() {
        return Err(AppError::bad_request(
            "comment_empty",
            "a comment needs some text",
        ));
    }
    let count = text.chars().count();
    if count > MAX_COMMENT_CHARS {
        return Err(AppError::bad_request(
            "comment_too_long",
            format!("a comment holds at most {MAX_COMMENT_CHARS} characters; this one has {count}"),
        ));
    }
    Ok(text)
}

/// A short identifier from a client (idempotency key, entry reference): 1 to
/// [`MAX_KEY_CHARS`] characters, none of them control characters.
fn clean_id(what: &'static str, code: &'static str, value: &str) -> Result<(), AppError> {
    let count = value.chars().count();
    if count == 0 || count > MAX_KEY_CHARS || value.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            code,
            format!("{what} must be 1 to {MAX_KEY_CHARS} characters without control characters"),
        ));
    }
    Ok(())
}

/// The idempotency key from its header, required on every post.
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<String, AppError> {
    let header = mcr_model::comments::IDEMPOTENCY_KEY_HEADER;
    let value = headers
        .get(header)
        .ok_or_else(|| {
            AppError::bad_request(
                "idempotency_key_required",
                format!("send an {header} header (e.g. a random UUID) so that a retried post is stored once"),
            )
        })?
        .to_str()
        .map_err(|_| {
            AppError::bad_request("invalid_idempotency_key", format!("{header} must be ASCII"))
        })?
        .trim();
    clean_id(header, "invalid_idempotency_key", value)?;
    Ok(value.to_string())
}

/// Checks an entry reference's two parts.
pub fn clean_entry(entry: &EntryRef) -> Result<(), AppError> {
    clean_id("entry.source", "invalid_entry", &entry.source)?;
    clean_id("entry.entry", "invalid_entry", &entry.entry)
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A new comment id that sorts after every id this process made before at the same
/// millisecond: hex time, a process-wide counter, and 64 random bits so ids made by
/// different replicas never collide.
pub fn new_id(now_ms: i64) -> Result<String, AppError> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| AppError::Internal(e.to_string()))?;
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    Ok(format!(
        "c{now_ms:012x}{seq:016x}{:016x}",
        u64::from_be_bytes(random)
    ))
}

/// Whether a repeat post under the same key asked for the same thing.
pub fn same_request(
    stored: &Comment,
    nhs_number: &str,
    body: &str,
    entry: &Option<EntryRef>,
) -> bool {
    let stored_entry = stored
        .comment
        .entry
        .clone()
        .map(|(source, entry)| EntryRef { source, entry });
    stored.comment.nhs_number == nhs_number && stored.comment.body == body && &stored_entry == entry
}

/// A stored comment as `reader` sees it; `last_viewed_ms` is the reader's previous view.
pub fn view(c: &Comment, reader: &str, last_viewed_ms: Option<i64>) -> CommentView {
    let n = &c.comment;
    let mine = n.author_id == reader;
    CommentView {
        id: n.id.clone(),
        entry: n
            .entry
            .clone()
            .map(|(source, entry)| EntryRef { source, entry }),
        author: CommentAuthor {
            id: n.author_id.clone(),
            name: n.author_name.clone(),
            role: n.author_role.clone(),
            organisation: n.author_org.clone(),
        },
        body: c.retracted_ms.is_none().then(|| n.body.clone()),
        created: ms_to_audit(n.created_ms),
        retracted: c.retracted_ms.map(ms_to_audit),
        new: !mine && last_viewed_ms.is_none_or(|last| n.created_ms > last),
        mine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<String, AppError>) -> &'static str {
        match r {
            Err(AppError::BadRequest { code, .. }) => code,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn text_is_normalised_to_nfc_and_kept_otherwise_byte_for_byte() {
        // "é" as e + combining acute becomes the single code point.
        assert_eq!(clean_body("Caf\u{65}\u{301}").unwrap(), "Caf\u{e9}");
        for kept in [
            "<script>alert(1)</script>",
            "line one\n\tline two",
            "\u{202e}evil\u{202c} 😀 مرحبا 你好",
            "&lt;b&gt; &amp;",
        ] {
            assert_eq!(clean_body(kept).unwrap(), kept);
        }
        let exactly = "a".repeat(MAX_COMMENT_CHARS);
        assert_eq!(clean_body(&exactly).unwrap(), exactly);
        // Characters, not bytes: 2,000 emoji are allowed.
        assert!(clean_body(&"😀".repeat(MAX_COMMENT_CHARS)).is_ok());
    }

    #[test]
    fn control_characters_empty_and_overlong_text_are_refused_with_a_reason() {
        for bad in ["a\0b", "a\rb", "bell\u{7}", "\u{1b}[31m", "c1\u{85}"] {
            assert_eq!(
                code(clean_body(bad)),
                "comment_control_character",
                "{bad:?}"
            );
        }
        match clean_body("ab\0") {
            Err(AppError::BadRequest { message, .. }) => {
                assert!(
                    message.contains("character 3") && message.contains("U+0000"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(code(clean_body(" \n\t ")), "comment_empty");
        assert_eq!(
            code(clean_body(&"a".repeat(MAX_COMMENT_CHARS + 1))),
            "comment_too_long"
        );
    }

    #[test]
    fn ids_made_in_one_millisecond_sort_in_the_order_they_were_made() {
        let ids: Vec<String> = (0..50)
            .map(|_| new_id(1_700_000_000_000).unwrap())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        assert!(new_id(1_700_000_000_001).unwrap() > ids[49]);
    }
}
