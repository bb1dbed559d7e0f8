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

/// Whether `a` comes before `b` newest first: by date, undated last.
fn newer(a: &Entry, b: &Entry) -> bool {
    b.date < a.date
}

/// The first `k` of `entries` newest first, as a stable sort by date would give them
/// (entries of the same date in the order given), found in one pass without sorting the
/// rest: a part shows 8 of what may be thousands.
fn newest<'a>(entries: impl IntoIterator<Item = &'a Entry>, k: usize) -> Vec<&'a Entry> {
    let mut best: Vec<&Entry> = Vec::with_capacity(k + 1);
    for e in entries {
        // After every kept entry it does not come before: the order given breaks ties.
        let at = best.iter().position(|b| newer(e, b)).unwrap_or(best.len());
        if at < k {
            best.insert(at, e);
            best.truncate(k);
        }
    }
    best
}

fn active(e: &Entry) -> bool {
    e.status
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("active"))
        && e.end_date.is_none()
}

/// A part of up to [`MAX_ITEMS`] of `entries`, newest first. Only those kept are
/// copied: a 10,000-entry record is neither sorted nor cloned.
fn part(title: &'static str, kind: SectionKind, entries: Vec<&Entry>) -> Part {
    Part {
        title,
        kind,
        total: entries.len(),
        items: newest(entries, MAX_ITEMS).into_iter().cloned().collect(),
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
    // The newest result of each test, the same test from every source counting once
    // (of the same date, the first given), the tests newest first: as a stable sort of
    // every result by date, keeping each test's first, would give them.
    let mut by_test: std::collections::HashMap<String, (usize, &Entry)> = Default::default();
    for (i, e) in pick(SectionKind::Results, &|e| e.value.is_some())
        .into_iter()
        .enumerate()
    {
        let kept = by_test.entry(group_key(e)).or_insert((i, e));
        if newer(e, kept.1) {
            *kept = (i, e);
        }
    }
    let mut latest: Vec<(usize, &Entry)> = by_test.into_values().collect();
    crate::order::sort_by(&mut latest, |(i, a), (j, b)| {
        b.date.cmp(&a.date).then(i.cmp(j))
    });
    let mut latest: Vec<&Entry> = latest.into_iter().map(|(_, e)| e).collect();
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

    /// Guards the one-pass selection against what it replaced: a stable sort of every
    /// entry newest first, cut at eight; and each test's latest result against the first
    /// of each test in that sort.
    #[test]
    fn the_newest_eight_and_each_tests_latest_are_those_a_full_stable_sort_gives() {
        // Few distinct dates (many ties), some entries undated, tests repeating.
        let entries: Vec<Entry> = (0..200)
            .map(|i: usize| {
                let mut e = result(
                    &format!("t{}", (i * 7) % 13),
                    &format!("2026-01-{:02}", 1 + (i * 31) % 5),
                    &format!("{i} mmol/L"),
                );
                e.id = format!("e{i}");
                if i.is_multiple_of(11) {
                    e.date = None;
                }
                e
            })
            .collect();
        let mut sorted: Vec<&Entry> = entries.iter().collect();
        sorted.sort_by(|a, b| b.date.cmp(&a.date));
        for k in [0, 1, 8, 300] {
            let ids = |v: Vec<&Entry>| v.into_iter().map(|e| e.id.clone()).collect::<Vec<_>>();
            assert_eq!(
                ids(newest(&entries, k)),
                ids(sorted.iter().copied().take(k).collect())
            );
        }
        let mut seen = std::collections::HashSet::new();
        let first_of_each: Vec<&str> = sorted
            .iter()
            .filter(|e| seen.insert(group_key(e)))
            .map(|e| e.id.as_str())
            .take(MAX_ITEMS)
            .collect();
        let parts = summary(
            &record(vec![(SectionKind::Results, entries.clone())]),
            "2026-02-01",
        );
        let latest = parts.iter().find(|p| p.title == "Latest results").unwrap();
        let got: Vec<&str> = latest.items.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(got, first_of_each);
        assert_eq!(latest.total, 13);
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
