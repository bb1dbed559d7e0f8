//! The record's summary, what a clinician reads first: active problems, current
//! medicines, allergies, each test's latest result and recent encounters, from every
//! source, each item still naming its source and date.

use mcr_model::{Entry, Record, SectionKind};

use crate::compare::is_current;
use crate::trends::{group_key, parse_value};

/// Items per part of the summary; the full sections hold the rest.
pub const MAX_ITEMS: usize = 8;

/// One part of the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its heading.
    pub title: &'static str,
    /// The section its items come from.
    pub kind: SectionKind,
    /// Up to [`MAX_ITEMS`] items, newest first.
    pub items: Vec<Entry>,
    /// How many there were before the cut.
    pub total: usize,
}

fn newest_first(mut entries: Vec<&Entry>) -> Vec<&Entry> {
    crate::order::sort_by(&mut entries, |a, b| b.date.cmp(&a.date));
    entries
}

fn active(e: &Entry) -> bool {
    e.status
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("active"))
        && e.end_date.is_none()
}

/// A part of up to [`MAX_ITEMS`] of `entries`, newest first. Only those kept are
/// copied: a 10,000-entry record is sorted by reference, not cloned.
fn part(title: &'static str, kind: SectionKind, entries: Vec<&Entry>) -> Part {
    let total = entries.len();
    let items = newest_first(entries)
        .into_iter()
        .take(MAX_ITEMS)
        .cloned()
        .collect();
    Part {
        title,
        kind,
        items,
        total,
    }
}

/// The summary of `record` on `today` (`YYYY-MM-DD`): active problems; current
/// medicines (active, not ended); allergies that are not resolved; the latest result of
/// each test that has a value; the most recent encounters.
pub fn summary(record: &Record, today: &str) -> Vec<Part> {
    let of = |kind: SectionKind| {
        record
            .section(kind)
            .map(|s| s.entries.as_slice())
            .unwrap_or_default()
    };
    let pick = |kind, keep: &dyn Fn(&Entry) -> bool| -> Vec<&Entry> {
        of(kind).iter().filter(|e| keep(e)).collect()
    };
    // The newest result of each test, the same test from every source counting once.
    let mut seen = std::collections::HashSet::new();
    let mut latest: Vec<&Entry> = newest_first(pick(SectionKind::Results, &|e| e.value.is_some()))
        .into_iter()
        .filter(|e| seen.insert(group_key(e)))
        .collect();
    // Results with a number first: they are the ones a trend can follow.
    crate::order::sort_by_key(&mut latest, |e| {
        e.value.as_deref().and_then(parse_value).is_none()
    });
    vec![
        part(
            "Active problems",
            SectionKind::Problems,
            pick(SectionKind::Problems, &active),
        ),
        part(
            "Current medicines",
            SectionKind::Medications,
            pick(SectionKind::Medications, &|e| is_current(e, today)),
        ),
        part(
            "Allergies",
            SectionKind::Allergies,
            pick(SectionKind::Allergies, &|e| {
                !e.status
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("resolved") || s == "inactive")
            }),
        ),
        Part {
            title: "Latest results",
            kind: SectionKind::Results,
            total: latest.len(),
            items: latest.into_iter().take(MAX_ITEMS).cloned().collect(),
        },
        part(
            "Recent encounters",
            SectionKind::Encounters,
            pick(SectionKind::Encounters, &|_| true),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use mcr_model::{Coding, Section, SourceKind, SourceRef};

    use super::*;

    fn source() -> SourceRef {
        SourceRef {
            id: "gp".into(),
            organisation: "Riverside".into(),
            ods_code: "Y1".into(),
            kind: SourceKind::GpPractice,
        }
    }

    fn entry(title: &str, date: &str, status: Option<&str>) -> Entry {
        Entry {
            date: Some(date.into()),
            status: status.map(str::to_string),
            ..Entry::new(title, source(), title)
        }
    }

    fn result(code: &str, date: &str, value: &str) -> Entry {
        Entry {
            value: Some(value.into()),
            codes: vec![Coding {
                system: None,
                code: Some(code.into()),
                display: None,
            }],
            ..entry(code, date, Some("final"))
        }
    }

    fn record(sections: Vec<(SectionKind, Vec<Entry>)>) -> Record {
        Record {
            patient: None,
            located: vec![],
            sources: vec![],
            sections: sections
                .into_iter()
                .map(|(kind, entries)| Section { kind, entries })
                .collect(),
            dataset: None,
        }
    }

    fn titles(p: &Part) -> Vec<&str> {
        p.items.iter().map(|e| e.title.as_str()).collect()
    }

    #[test]
    fn only_active_problems_current_medicines_and_unresolved_allergies_are_summarised() {
        let mut ended = entry("Amoxicillin", "2026-01-01", Some("active"));
        ended.end_date = Some("2026-01-08".into());
        let r = record(vec![
            (
                SectionKind::Problems,
                vec![
                    entry("Asthma", "2001-01-01", Some("active")),
                    entry("Fracture", "2019-01-01", Some("inactive")),
                    entry("Diabetes", "2010-01-01", None),
                ],
            ),
            (
                SectionKind::Medications,
                vec![entry("Metformin", "2010-01-01", Some("active")), ended],
            ),
            (
                SectionKind::Allergies,
                vec![
                    entry("Penicillin", "1990-01-01", Some("active")),
                    entry("Latex", "1995-01-01", Some("resolved")),
                ],
            ),
        ]);
        let s = summary(&r, "2026-11-25");
        assert_eq!(titles(&s[0]), ["Diabetes", "Asthma"]);
        assert_eq!(titles(&s[1]), ["Metformin"]);
        assert_eq!(titles(&s[2]), ["Penicillin"]);
        assert!(s[3].items.is_empty() && s[4].items.is_empty());
    }

    #[test]
    fn each_test_appears_once_with_its_latest_value_and_parts_are_cut_at_eight() {
        let mut results = vec![
            result("4548-4", "2024-01-01", "40 mmol/mol"),
            result("4548-4", "2026-01-01", "52 mmol/mol"),
            result("2951-2", "2025-01-01", "140 mmol/L"),
        ];
        results.push(result("600-7", "2026-02-01", "Positive"));
        let encounters: Vec<Entry> = (1..=12)
            .map(|d| entry(&format!("Visit {d:02}"), &format!("2026-01-{d:02}"), None))
            .collect();
        let r = record(vec![
            (SectionKind::Results, results),
            (SectionKind::Encounters, encounters),
        ]);
        let s = summary(&r, "2026-11-25");
        let latest: Vec<&str> = s[3]
            .items
            .iter()
            .map(|e| e.value.as_deref().unwrap())
            .collect();
        assert_eq!(latest, ["52 mmol/mol", "140 mmol/L", "Positive"]);
        assert_eq!((s[4].items.len(), s[4].total), (8, 12));
        assert_eq!(s[4].items[0].title, "Visit 12");
    }
}
