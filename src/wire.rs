//! The gateway's answers read into the model's types, and the panel's request bodies
//! written, through [`crate::json`] rather than serde (see there for why).
//!
//! Each reader follows what `serde`'s derive does for the same type, so the panel reads
//! exactly what the gateway writes: unknown members are skipped; a missing `Option`
//! member is `None`; a member marked `#[serde(default)]` in `mcr-model` may be missing;
//! any other missing member, a value of the wrong kind, an unknown enum name or a
//! member given twice is an error. The tests round-trip model values through
//! `serde_json` to keep it so.

use mcr_model::{
    ApiError, BreakGlassReason, Coding, CommentAuthor, CommentView, Comments, ContextCreated,
    Dataset, Demographics, Entry, EntryFlag, EntryRef, GrantView, NhsNumber, PracticeRef, Record,
    RecordEvent, Section, SectionKind, SourceKind, SourceRef, SourceState, SourceStatus,
};

use crate::json::{Json, JsonError, Reader};

/// A type read from JSON text.
pub trait FromJson: Sized {
    /// Reads one value of this type, the reader at its start.
    fn read(r: &mut Reader) -> Result<Self, JsonError>;
}

/// Reads a `T` from `text`, all of it.
pub fn from_text<T: FromJson>(text: &str) -> Result<T, JsonError> {
    let mut r = Reader::new(text);
    let value = T::read(&mut r)?;
    r.end()?;
    Ok(value)
}

impl FromJson for String {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        r.string()
    }
}

impl FromJson for bool {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        r.bool()
    }
}

impl FromJson for u32 {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        let n = r.number()?;
        if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) {
            Ok(n as u32)
        } else {
            Err(JsonError::new("expected a count"))
        }
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        if r.null()? {
            Ok(None)
        } else {
            T::read(r).map(Some)
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        let mut items = Vec::new();
        r.array(&mut |r| {
            items.push(T::read(r)?);
            Ok(())
        })?;
        Ok(items)
    }
}

/// Reads a `T` into `slot` (a member that must be there: see [`need`]).
fn put<T: FromJson>(slot: &mut Option<T>, r: &mut Reader) -> Result<(), JsonError> {
    *slot = Some(T::read(r)?);
    Ok(())
}

/// Reads a `T` over `slot`: an `Option` member, or a `#[serde(default)]` one, which may
/// be missing.
fn set<T: FromJson>(slot: &mut T, r: &mut Reader) -> Result<(), JsonError> {
    *slot = T::read(r)?;
    Ok(())
}

/// The value of the member `name`, which must have been given.
fn need<T>(value: Option<T>, name: &str) -> Result<T, JsonError> {
    value.ok_or_else(|| {
        let mut message = String::from("missing member ");
        message.push_str(name);
        JsonError(message)
    })
}

/// Reads a string naming one of `names`, returning the matching one of `values`.
fn one_of<T: Copy>(r: &mut Reader, names: &[&str], values: &[T]) -> Result<T, JsonError> {
    r.name_of(names).map(|i| values[i])
}

/// `impl FromJson` for a struct read member by member, as serde's derive reads it: each
/// field is `required` (an error when missing) or `optional` (an `Option`, or a
/// `#[serde(default)]` member: missing means the default); a field's name is its member's.
macro_rules! read_object {
    ($ty:ident, $what:literal, { $($field:ident: $kind:ident),+ $(,)? }) => {
        impl FromJson for $ty {
            fn read(r: &mut Reader) -> Result<Self, JsonError> {
                $(let mut $field = read_object!(@empty $kind);)+
                r.object($what, &[$(stringify!($field)),+], &mut |r, i| {
                    let mut at = 0;
                    $(
                        if i == at {
                            return read_object!(@read $kind, $field, r);
                        }
                        at += 1;
                    )+
                    let _ = at;
                    Ok(())
                })?;
                Ok($ty {
                    $($field: read_object!(@done $kind, $field),)+
                })
            }
        }
    };
    (@empty required) => { None };
    (@empty optional) => { Default::default() };
    (@read required, $field:ident, $r:ident) => { put(&mut $field, $r) };
    (@read optional, $field:ident, $r:ident) => { set(&mut $field, $r) };
    (@done required, $field:ident) => { need($field, stringify!($field))? };
    (@done optional, $field:ident) => { $field };
}

impl FromJson for SourceKind {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        use SourceKind::*;
        one_of(
            r,
            &[
                "gp-practice",
                "acute-trust",
                "mental-health",
                "community",
                "ambulance",
                "social-care",
            ],
            &[
                GpPractice,
                AcuteTrust,
                MentalHealth,
                Community,
                Ambulance,
                SocialCare,
            ],
        )
    }
}

impl FromJson for SourceState {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        use SourceState::*;
        one_of(
            r,
            &[
                "answered",
                "timed_out",
                "failed",
                "refused",
                "identity_mismatch",
                "unavailable",
            ],
            &[
                Answered,
                TimedOut,
                Failed,
                Refused,
                IdentityMismatch,
                Unavailable,
            ],
        )
    }
}

/// The wire name of a section kind (`care_plans`; its CSS slug is `care-plans`).
fn section_name(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::CarePlans => "care_plans",
        other => other.slug(),
    }
}

impl FromJson for SectionKind {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        let names = SectionKind::ALL.map(section_name);
        one_of(r, &names, &SectionKind::ALL)
    }
}

impl FromJson for EntryFlag {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        one_of(
            r,
            &["unknown_modifier", "invalid_date"],
            &[EntryFlag::UnknownModifier, EntryFlag::InvalidDate],
        )
    }
}

impl FromJson for NhsNumber {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        NhsNumber::parse(&r.string()?).map_err(|_| JsonError::new("expected a valid NHS number"))
    }
}

read_object!(SourceRef, "a source", {
    id: required,
    organisation: required,
    ods_code: required,
    kind: required,
});

read_object!(SourceStatus, "a source status", {
    source: required,
    state: required,
    as_of: optional,
    message: optional,
    warnings: optional,
    withheld: optional,
    entered_in_error: optional,
});

read_object!(Coding, "a coding", {
    system: optional,
    code: optional,
    display: optional,
});

read_object!(Entry, "an entry", {
    id: required,
    source: required,
    title: required,
    codes: optional,
    date: optional,
    end_date: optional,
    status: optional,
    category: optional,
    detail: optional,
    value: optional,
    reference_range: optional,
    narrative: optional,
    flags: optional,
});

read_object!(Section, "a section", {
    kind: required,
    entries: required,
});

read_object!(Dataset, "a dataset", {
    name: required,
    sections: required,
    note: required,
});

read_object!(PracticeRef, "a practice", {
    ods_code: required,
    name: required,
});

read_object!(Demographics, "demographics", {
    nhs_number: required,
    family_name: optional,
    given_names: required,
    birth_date: optional,
    gender: optional,
    address: required,
    registered_practice: optional,
    deceased_date: optional,
});

read_object!(Record, "a record", {
    patient: optional,
    located: optional,
    sources: required,
    sections: required,
    dataset: optional,
});

impl FromJson for RecordEvent {
    /// The members of every kind of event are read wherever the `event` tag stands (as
    /// serde's internally tagged enums are), then the tag says which must be there.
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        let (mut event, mut patient, mut sources, mut dataset) = (None, None, None, None);
        let (mut status, mut sections, mut message) = (None, None, None);
        r.object(
            "a record event",
            &[
                "event", "patient", "sources", "dataset", "status", "sections", "message",
            ],
            &mut |r, i| match i {
                0 => {
                    event =
                        Some(r.name_of(&["patient", "located", "source", "complete", "aborted"])?);
                    Ok(())
                }
                1 => set(&mut patient, r),
                2 => put(&mut sources, r),
                3 => set(&mut dataset, r),
                4 => put(&mut status, r),
                5 => put(&mut sections, r),
                _ => put(&mut message, r),
            },
        )?;
        Ok(match need(event, "event")? {
            0 => RecordEvent::Patient { patient },
            1 => RecordEvent::Located {
                sources: need(sources, "sources")?,
                dataset,
            },
            2 => RecordEvent::Source {
                status: need(status, "status")?,
                sections: need(sections, "sections")?,
            },
            3 => RecordEvent::Complete,
            _ => RecordEvent::Aborted {
                message: need(message, "message")?,
            },
        })
    }
}

read_object!(ApiError, "an error", {
    code: required,
    message: required,
});

read_object!(ContextCreated, "a context", {
    context_id: required,
});

impl FromJson for BreakGlassReason {
    fn read(r: &mut Reader) -> Result<Self, JsonError> {
        let codes = BreakGlassReason::ALL.map(BreakGlassReason::code);
        one_of(r, &codes, &BreakGlassReason::ALL)
    }
}

read_object!(GrantView, "a grant", {
    id: required,
    user_id: required,
    nhs_number: required,
    code: required,
    reason: required,
    granted: required,
    expires: required,
    ended: optional,
});

read_object!(EntryRef, "an entry reference", {
    source: required,
    entry: required,
});

read_object!(CommentAuthor, "an author", {
    id: required,
    name: optional,
    role: optional,
    organisation: optional,
});

read_object!(CommentView, "a comment", {
    id: required,
    entry: optional,
    author: required,
    body: optional,
    created: required,
    retracted: optional,
    new: optional,
    mine: optional,
});

read_object!(Comments, "comments", {
    comments: required,
    last_viewed: optional,
    may_write: optional,
});

/// `Some(string)` for an optional text member of a request body.
fn text(s: Option<&String>) -> Option<Json> {
    s.map(|s| Json::str(s))
}

/// The body of `POST /api/v1/contexts` (as `CreateContextRequest` serialises it).
pub fn create_context_body(
    nhs_digits: &str,
    reason: Option<&String>,
    birth: Option<&String>,
) -> String {
    Json::object([
        ("nhs_number", Some(Json::str(nhs_digits))),
        ("reason", text(reason)),
        ("birth_date", text(birth)),
    ])
    .to_text()
}

/// The body of a comment post (as `NewCommentRequest` serialises it).
pub fn new_comment_body(body: &str, entry: Option<&EntryRef>) -> String {
    Json::object([
        ("body", Some(Json::str(body))),
        (
            "entry",
            entry.map(|e| {
                Json::object([
                    ("source", Some(Json::str(&e.source))),
                    ("entry", Some(Json::str(&e.entry))),
                ])
            }),
        ),
    ])
    .to_text()
}

/// The body of a break-glass request (as `BreakGlassRequest` serialises it).
pub fn break_glass_body(code: BreakGlassReason, reason: &str) -> String {
    Json::object([
        ("code", Some(Json::str(code.code()))),
        ("reason", Some(Json::str(reason))),
    ])
    .to_text()
}

#[cfg(test)]
mod tests {
    use mcr_model::{BreakGlassRequest, CreateContextRequest, NewCommentRequest};
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    use super::*;

    /// `value` written by serde_json (as the gateway writes it) reads back the same here.
    fn round_trip<T: Serialize + DeserializeOwned + FromJson + PartialEq + std::fmt::Debug>(
        value: &T,
    ) {
        let text = serde_json::to_string(value).unwrap();
        assert_eq!(&from_text::<T>(&text).unwrap(), value, "{text}");
    }

    fn source(id: &str, kind: SourceKind) -> SourceRef {
        SourceRef {
            id: id.into(),
            organisation: "Org \"quoted\" é".into(),
            ods_code: "A81001".into(),
            kind,
        }
    }

    fn full_entry() -> Entry {
        Entry {
            id: "e1".into(),
            source: source("gp", SourceKind::GpPractice),
            title: "HbA1c".into(),
            codes: vec![Coding {
                system: Some("http://loinc.org".into()),
                code: Some("4548-4".into()),
                display: None,
            }],
            date: Some("2026-03-12T09:00:00Z".into()),
            end_date: Some("2026-04-01".into()),
            status: Some("final".into()),
            category: Some("laboratory".into()),
            detail: Some("line\nbreak".into()),
            value: Some("48 mmol/mol".into()),
            reference_range: Some("20-41 mmol/mol".into()),
            narrative: Some("<p>ok</p>".into()),
            flags: vec![EntryFlag::UnknownModifier, EntryFlag::InvalidDate],
        }
    }

    fn demographics() -> Demographics {
        Demographics {
            nhs_number: NhsNumber::parse("9434765919").unwrap(),
            family_name: Some("SMITH".into()),
            given_names: vec!["Jane".into(), "Ann".into()],
            birth_date: Some("1950-02-03".into()),
            gender: None,
            address: vec!["1 High St".into(), "LS1 1AA".into()],
            registered_practice: Some(PracticeRef {
                ods_code: "A81001".into(),
                name: "The Practice".into(),
            }),
            deceased_date: None,
        }
    }

    #[test]
    fn every_record_event_reads_back_as_serde_wrote_it() {
        let kinds = [
            SourceKind::GpPractice,
            SourceKind::AcuteTrust,
            SourceKind::MentalHealth,
            SourceKind::Community,
            SourceKind::Ambulance,
            SourceKind::SocialCare,
        ];
        let states = [
            SourceState::Answered,
            SourceState::TimedOut,
            SourceState::Failed,
            SourceState::Refused,
            SourceState::IdentityMismatch,
            SourceState::Unavailable,
        ];
        let dataset = Dataset {
            name: "social-care dataset".into(),
            sections: SectionKind::ALL.to_vec(),
            note: "no narrative".into(),
        };
        let mut events = vec![
            RecordEvent::Patient {
                patient: Some(demographics()),
            },
            RecordEvent::Patient { patient: None },
            RecordEvent::Located {
                sources: kinds.iter().map(|k| source("s", *k)).collect(),
                dataset: Some(dataset.clone()),
            },
            RecordEvent::Located {
                sources: vec![],
                dataset: None,
            },
            RecordEvent::Complete,
            RecordEvent::Aborted {
                message: "audit".into(),
            },
        ];
        for (i, state) in states.into_iter().enumerate() {
            let mut status = SourceStatus::new(
                source("s", kinds[i]),
                state,
                Some("2026-11-25T10:00:00Z".into()),
                (i % 2 == 0).then(|| "why".into()),
            );
            status.warnings = vec!["confidential-items".into()];
            status.withheld = i as u32;
            status.entered_in_error = 4_000_000_000;
            events.push(RecordEvent::Source {
                status,
                sections: SectionKind::ALL
                    .iter()
                    .map(|kind| Section {
                        kind: *kind,
                        entries: vec![
                            full_entry(),
                            Entry::new("e2", source("s", kinds[i]), "Asthma"),
                        ],
                    })
                    .collect(),
            });
        }
        for event in &events {
            round_trip(event);
        }
        round_trip(&Record {
            patient: Some(demographics()),
            located: vec![source("gp", SourceKind::GpPractice)],
            sources: vec![],
            sections: vec![],
            dataset: Some(dataset),
        });
    }

    #[test]
    fn the_other_answers_read_back_as_serde_wrote_them() {
        round_trip(&ApiError {
            code: "patient_dissent".into(),
            message: "the patient has dissented".into(),
        });
        round_trip(&ContextCreated {
            context_id: "c1".into(),
        });
        round_trip(&GrantView {
            id: "g".into(),
            user_id: "u".into(),
            nhs_number: "9434765919".into(),
            code: BreakGlassReason::Safeguarding,
            reason: "unconscious".into(),
            granted: "t1".into(),
            expires: "t2".into(),
            ended: Some("t3".into()),
        });
        let comment = CommentView {
            id: "c".into(),
            entry: Some(EntryRef {
                source: "gp".into(),
                entry: "e1".into(),
            }),
            author: CommentAuthor {
                id: "u".into(),
                name: Some("Dr A".into()),
                role: None,
                organisation: Some("RR8".into()),
            },
            body: Some("text\u{202e}".into()),
            created: "t".into(),
            retracted: None,
            new: true,
            mine: false,
        };
        round_trip(&Comments {
            comments: vec![
                comment.clone(),
                CommentView {
                    body: None,
                    ..comment
                },
            ],
            last_viewed: Some("t0".into()),
            may_write: true,
        });
    }

    #[test]
    fn members_serde_may_leave_out_are_optional_and_the_rest_required() {
        let minimal = r#"{"id":"e","source":{"id":"gp","organisation":"o","ods_code":"X","kind":"gp-practice"},"title":"t"}"#;
        let entry: Entry = from_text(minimal).unwrap();
        assert_eq!(entry, serde_json::from_str::<Entry>(minimal).unwrap());
        // As for serde: no title, a wrong kind of value, an unknown variant, a member
        // given twice, or an invalid NHS number is refused; unknown members are skipped.
        for bad in [
            r#"{"id":"e","source":{"id":"gp","organisation":"o","ods_code":"X","kind":"gp-practice"}}"#,
            r#"{"id":1,"source":{"id":"gp","organisation":"o","ods_code":"X","kind":"gp-practice"},"title":"t"}"#,
            r#"{"id":"e","source":{"id":"gp","organisation":"o","ods_code":"X","kind":"hospice"},"title":"t"}"#,
            r#"{"id":"e","id":"f","source":{"id":"gp","organisation":"o","ods_code":"X","kind":"gp-practice"},"title":"t"}"#,
        ] {
            assert!(from_text::<Entry>(bad).is_err(), "{bad}");
            assert!(serde_json::from_str::<Entry>(bad).is_err(), "{bad}");
        }
        let extra = r#"{"event":"complete","later":[1,{"x":null}]}"#;
        assert_eq!(
            from_text::<RecordEvent>(extra).unwrap(),
            RecordEvent::Complete
        );
        let wrong_patient = r#"{"event":"patient","patient":{"nhs_number":"9434765918","given_names":[],"address":[]}}"#;
        assert!(from_text::<RecordEvent>(wrong_patient).is_err());
        assert!(serde_json::from_str::<RecordEvent>(wrong_patient).is_err());
        assert!(from_text::<RecordEvent>(r#"{"event":"later"}"#).is_err());
        // The tag may come after the members it governs, as serde allows.
        let tag_last = r#"{"sources":[],"event":"located"}"#;
        assert_eq!(
            from_text::<RecordEvent>(tag_last).unwrap(),
            serde_json::from_str::<RecordEvent>(tag_last).unwrap()
        );
        let in_member = from_text::<Entry>(
            r#"{"id":"e","source":{"id":"gp","organisation":"o","ods_code":"X","kind":"gp-practice"},"title":"t","codes":[{"code":7}]}"#,
        )
        .unwrap_err();
        assert!(
            in_member.0.ends_with(" in code in codes"),
            "{}",
            in_member.0
        );
        assert!(from_text::<u32>("-1").is_err() && from_text::<u32>("1.5").is_err());
    }

    #[test]
    fn request_bodies_are_what_serde_writes() {
        let reason = Some("search".to_string());
        assert_eq!(
            create_context_body("9434765919", reason.as_ref(), None),
            serde_json::to_string(&CreateContextRequest {
                nhs_number: "9434765919".into(),
                reason: reason.clone(),
                birth_date: None,
            })
            .unwrap()
        );
        let entry = EntryRef {
            source: "gp".into(),
            entry: "e\"1".into(),
        };
        for entry in [Some(entry), None] {
            assert_eq!(
                new_comment_body("a\nb", entry.as_ref()),
                serde_json::to_string(&NewCommentRequest {
                    body: "a\nb".into(),
                    entry,
                })
                .unwrap()
            );
        }
        for code in BreakGlassReason::ALL {
            assert_eq!(
                break_glass_body(code, "unconscious"),
                serde_json::to_string(&BreakGlassRequest {
                    code,
                    reason: "unconscious".into()
                })
                .unwrap()
            );
        }
    }
}
