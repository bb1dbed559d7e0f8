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

use crate::json::{Json, JsonError, parse};

/// A type read from a [`Json`] value.
pub trait FromJson: Sized {
    /// Reads `value`, taking its strings rather than copying them.
    fn from_json(value: Json) -> Result<Self, JsonError>;
}

/// Parses `text` as JSON and reads a `T` from it.
pub fn from_text<T: FromJson>(text: &str) -> Result<T, JsonError> {
    T::from_json(parse(text)?)
}

fn wrong(what: &str) -> JsonError {
    let mut message = String::from("expected ");
    message.push_str(what);
    JsonError(message)
}

impl FromJson for String {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        match value {
            Json::String(s) => Ok(s),
            _ => Err(wrong("a string")),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        match value {
            Json::Bool(b) => Ok(b),
            _ => Err(wrong("true or false")),
        }
    }
}

impl FromJson for u32 {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        match value {
            Json::Number(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => {
                Ok(n as u32)
            }
            _ => Err(wrong("a count")),
        }
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        match value {
            Json::Null => Ok(None),
            v => T::from_json(v).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        match value {
            Json::Array(items) => items.into_iter().map(T::from_json).collect(),
            _ => Err(wrong("an array")),
        }
    }
}

/// An object's members, taken one by one by name.
struct Members(Vec<(String, Json)>);

impl Members {
    fn of(value: Json, what: &str) -> Result<Self, JsonError> {
        match value {
            Json::Object(members) => Ok(Self(members)),
            _ => Err(wrong(what)),
        }
    }

    /// The member `name`, removed; an error if it is there twice.
    fn take(&mut self, name: &str) -> Result<Option<Json>, JsonError> {
        let Some(i) = self.0.iter().position(|(n, _)| n == name) else {
            return Ok(None);
        };
        let (_, value) = self.0.swap_remove(i);
        if self.0.iter().any(|(n, _)| n == name) {
            let mut message = String::from("duplicate member ");
            message.push_str(name);
            return Err(JsonError(message));
        }
        Ok(Some(value))
    }

    /// A member that must be there.
    fn required<T: FromJson>(&mut self, name: &str) -> Result<T, JsonError> {
        match self.take(name)? {
            Some(v) => T::from_json(v).map_err(|e| within(name, e)),
            None => {
                let mut message = String::from("missing member ");
                message.push_str(name);
                Err(JsonError(message))
            }
        }
    }

    /// An `Option` member, or a `#[serde(default)]` one: missing means the default.
    fn optional<T: FromJson + Default>(&mut self, name: &str) -> Result<T, JsonError> {
        match self.take(name)? {
            Some(v) => T::from_json(v).map_err(|e| within(name, e)),
            None => Ok(T::default()),
        }
    }
}

/// `error`, saying which member it was found in.
fn within(name: &str, error: JsonError) -> JsonError {
    let mut message = error.0;
    message.push_str(" in ");
    message.push_str(name);
    JsonError(message)
}

/// Reads a string naming one of `names`, returning the matching one of `values`.
fn one_of<T: Copy>(value: Json, names: &[&str], values: &[T]) -> Result<T, JsonError> {
    let s = String::from_json(value)?;
    names
        .iter()
        .position(|n| *n == s)
        .map(|i| values[i])
        .ok_or_else(|| {
            let mut message = String::from("unknown variant ");
            message.push_str(&s);
            JsonError(message)
        })
}

impl FromJson for SourceKind {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        use SourceKind::*;
        one_of(
            value,
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
    fn from_json(value: Json) -> Result<Self, JsonError> {
        use SourceState::*;
        one_of(
            value,
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
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let names = SectionKind::ALL.map(section_name);
        one_of(value, &names, &SectionKind::ALL)
    }
}

impl FromJson for EntryFlag {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        one_of(
            value,
            &["unknown_modifier", "invalid_date"],
            &[EntryFlag::UnknownModifier, EntryFlag::InvalidDate],
        )
    }
}

impl FromJson for NhsNumber {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        NhsNumber::parse(&String::from_json(value)?).map_err(|_| wrong("a valid NHS number"))
    }
}

impl FromJson for SourceRef {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a source")?;
        Ok(SourceRef {
            id: m.required("id")?,
            organisation: m.required("organisation")?,
            ods_code: m.required("ods_code")?,
            kind: m.required("kind")?,
        })
    }
}

impl FromJson for SourceStatus {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a source status")?;
        Ok(SourceStatus {
            source: m.required("source")?,
            state: m.required("state")?,
            as_of: m.optional("as_of")?,
            message: m.optional("message")?,
            warnings: m.optional("warnings")?,
            withheld: m.optional("withheld")?,
            entered_in_error: m.optional("entered_in_error")?,
        })
    }
}

impl FromJson for Coding {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a coding")?;
        Ok(Coding {
            system: m.optional("system")?,
            code: m.optional("code")?,
            display: m.optional("display")?,
        })
    }
}

impl FromJson for Entry {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "an entry")?;
        Ok(Entry {
            id: m.required("id")?,
            source: m.required("source")?,
            title: m.required("title")?,
            codes: m.optional("codes")?,
            date: m.optional("date")?,
            end_date: m.optional("end_date")?,
            status: m.optional("status")?,
            category: m.optional("category")?,
            detail: m.optional("detail")?,
            value: m.optional("value")?,
            reference_range: m.optional("reference_range")?,
            narrative: m.optional("narrative")?,
            flags: m.optional("flags")?,
        })
    }
}

impl FromJson for Section {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a section")?;
        Ok(Section {
            kind: m.required("kind")?,
            entries: m.required("entries")?,
        })
    }
}

impl FromJson for Dataset {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a dataset")?;
        Ok(Dataset {
            name: m.required("name")?,
            sections: m.required("sections")?,
            note: m.required("note")?,
        })
    }
}

impl FromJson for PracticeRef {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a practice")?;
        Ok(PracticeRef {
            ods_code: m.required("ods_code")?,
            name: m.required("name")?,
        })
    }
}

impl FromJson for Demographics {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "demographics")?;
        Ok(Demographics {
            nhs_number: m.required("nhs_number")?,
            family_name: m.optional("family_name")?,
            given_names: m.required("given_names")?,
            birth_date: m.optional("birth_date")?,
            gender: m.optional("gender")?,
            address: m.required("address")?,
            registered_practice: m.optional("registered_practice")?,
            deceased_date: m.optional("deceased_date")?,
        })
    }
}

impl FromJson for Record {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a record")?;
        Ok(Record {
            patient: m.optional("patient")?,
            located: m.optional("located")?,
            sources: m.required("sources")?,
            sections: m.required("sections")?,
            dataset: m.optional("dataset")?,
        })
    }
}

impl FromJson for RecordEvent {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a record event")?;
        let event: String = m.required("event")?;
        Ok(match event.as_str() {
            "patient" => RecordEvent::Patient {
                patient: m.optional("patient")?,
            },
            "located" => RecordEvent::Located {
                sources: m.required("sources")?,
                dataset: m.optional("dataset")?,
            },
            "source" => RecordEvent::Source {
                status: m.required("status")?,
                sections: m.required("sections")?,
            },
            "complete" => RecordEvent::Complete,
            "aborted" => RecordEvent::Aborted {
                message: m.required("message")?,
            },
            _ => return Err(wrong("a known record event")),
        })
    }
}

impl FromJson for ApiError {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "an error")?;
        Ok(ApiError {
            code: m.required("code")?,
            message: m.required("message")?,
        })
    }
}

impl FromJson for ContextCreated {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a context")?;
        Ok(ContextCreated {
            context_id: m.required("context_id")?,
        })
    }
}

impl FromJson for BreakGlassReason {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let codes = BreakGlassReason::ALL.map(BreakGlassReason::code);
        one_of(value, &codes, &BreakGlassReason::ALL)
    }
}

impl FromJson for GrantView {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a grant")?;
        Ok(GrantView {
            id: m.required("id")?,
            user_id: m.required("user_id")?,
            nhs_number: m.required("nhs_number")?,
            code: m.required("code")?,
            reason: m.required("reason")?,
            granted: m.required("granted")?,
            expires: m.required("expires")?,
            ended: m.optional("ended")?,
        })
    }
}

impl FromJson for EntryRef {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "an entry reference")?;
        Ok(EntryRef {
            source: m.required("source")?,
            entry: m.required("entry")?,
        })
    }
}

impl FromJson for CommentAuthor {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "an author")?;
        Ok(CommentAuthor {
            id: m.required("id")?,
            name: m.optional("name")?,
            role: m.optional("role")?,
            organisation: m.optional("organisation")?,
        })
    }
}

impl FromJson for CommentView {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "a comment")?;
        Ok(CommentView {
            id: m.required("id")?,
            entry: m.optional("entry")?,
            author: m.required("author")?,
            body: m.optional("body")?,
            created: m.required("created")?,
            retracted: m.optional("retracted")?,
            new: m.optional("new")?,
            mine: m.optional("mine")?,
        })
    }
}

impl FromJson for Comments {
    fn from_json(value: Json) -> Result<Self, JsonError> {
        let mut m = Members::of(value, "comments")?;
        Ok(Comments {
            comments: m.required("comments")?,
            last_viewed: m.optional("last_viewed")?,
            may_write: m.optional("may_write")?,
        })
    }
}

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
