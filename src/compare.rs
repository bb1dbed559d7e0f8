//! The GP-versus-hospital medication comparison: the GP practice's current medicines
//! beside each hospital's latest medication list (its latest discharge, when it says
//! which entries are discharge medication), row by row.
//!
//! Entries are matched by code first and then by the medicine's name without its
//! strength, so "Ramipril 2.5mg capsules" at the GP and "Ramipril 5mg capsules" at the
//! hospital are one row, marked as a dose change. Every row keeps both entries as the
//! sources gave them; nothing is merged. Absence from the hospital's list is not taken
//! to mean the hospital stopped a medicine: such a row says only that the hospital's
//! list does not include it.

use mcr_model::{Entry, SourceKind, SourceRef};

use crate::dates::day;

/// How a medicine differs between the GP record and a hospital's latest list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// On the hospital's list and not current at the GP.
    StartedInHospital,
    /// The hospital recorded it as stopped.
    Stopped,
    /// The same medicine with a different strength, form or dosage.
    DoseChanged,
    /// On both, the same.
    Unchanged,
    /// Current at the GP, started after the hospital's list was written.
    StartedSinceList,
    /// Current at the GP, not on the hospital's list (which says nothing either way).
    NotOnHospitalList,
}

impl Change {
    /// The words shown for the change.
    pub fn label(self) -> &'static str {
        match self {
            Change::StartedInHospital => "Started in hospital",
            Change::Stopped => "Stopped in hospital",
            Change::DoseChanged => "Dose changed",
            Change::Unchanged => "Unchanged",
            Change::StartedSinceList => "Started by the GP since this list",
            Change::NotOnHospitalList => "Not on the hospital's list",
        }
    }

    /// The CSS modifier for the change.
    pub fn slug(self) -> &'static str {
        match self {
            Change::StartedInHospital => "started",
            Change::Stopped => "stopped",
            Change::DoseChanged => "dose-changed",
            Change::Unchanged => "unchanged",
            Change::StartedSinceList => "gp-since",
            Change::NotOnHospitalList => "gp-only",
        }
    }
}

/// One medicine, as the GP and the hospital each recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What changed.
    pub change: Change,
    /// The GP's entry, when the GP has it as current.
    pub gp: Option<Entry>,
    /// The hospital's entry, when it is on the hospital's latest list.
    pub hospital: Option<Entry>,
}

/// The GP's current medicines against one hospital's latest list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The hospital (or other non-GP service).
    pub hospital: SourceRef,
    /// The date of the list compared (its discharge date), ISO 8601.
    pub list_date: Option<String>,
    /// Rows, changes first: started, stopped, dose changed, unchanged, then the GP's
    /// medicines that are not on the list.
    pub rows: Vec<Row>,
}

/// Whether a GP medication entry is current on `today` (ISO date): active or without a
/// status, and not ended before today.
pub fn is_current(e: &Entry, today: &str) -> bool {
    let active = e
        .status
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case("active"));
    let not_ended = e.end_date.as_deref().is_none_or(|end| day(end) >= today);
    active && not_ended
}

fn is_stopped(e: &Entry) -> bool {
    e.status.as_deref().is_some_and(|s| {
        s.eq_ignore_ascii_case("stopped")
            || s.eq_ignore_ascii_case("cancelled")
            || s.eq_ignore_ascii_case("completed")
    })
}

fn is_discharge(e: &Entry) -> bool {
    e.category
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase().contains("discharge"))
}

/// A hospital's latest list: its discharge medication when it marks any (else all its
/// medication entries), those of the latest day.
fn latest_list<'a>(entries: &[&'a Entry]) -> (Option<String>, Vec<&'a Entry>) {
    let discharge: Vec<&Entry> = entries
        .iter()
        .copied()
        .filter(|e| is_discharge(e))
        .collect();
    let pool = if discharge.is_empty() {
        entries.to_vec()
    } else {
        discharge
    };
    let latest = pool
        .iter()
        .filter_map(|e| e.date.as_deref().map(day))
        .max()
        .map(str::to_string);
    let list = pool
        .into_iter()
        .filter(|e| e.date.as_deref().map(day) == latest.as_deref())
        .collect();
    (latest, list)
}

/// The medicine's name without strength or form: the words before the first one that
/// starts with a digit, lower-cased ("Ramipril 2.5mg capsules" → "ramipril").
pub fn name_stem(title: &str) -> String {
    title
        .split_whitespace()
        .take_while(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
        .map(crate::text::lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn same_code(a: &Entry, b: &Entry) -> bool {
    a.codes.iter().any(|x| {
        x.code.is_some()
            && b.codes
                .iter()
                .any(|y| x.code == y.code && x.system == y.system)
    })
}

fn same_dosage(a: &Entry, b: &Entry) -> bool {
    let norm = |d: &Option<String>| {
        d.as_deref()
            .map(|s| crate::text::lowercase(&s.split_whitespace().collect::<Vec<_>>().join(" ")))
    };
    match (norm(&a.detail), norm(&b.detail)) {
        (Some(x), Some(y)) => x == y,
        // A side that gives no dosage is not evidence of a change.
        _ => true,
    }
}

/// Compares the GP's current medicines (entries from GP practices) with each other
/// source's latest list, one [`Comparison`] per non-GP source with medication entries.
pub fn compare(entries: &[Entry], today: &str) -> Vec<Comparison> {
    let gp: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.source.kind == SourceKind::GpPractice && is_current(e, today))
        .collect();
    let mut hospitals: Vec<&SourceRef> = Vec::new();
    for e in entries {
        if e.source.kind != SourceKind::GpPractice && !hospitals.iter().any(|h| h.id == e.source.id)
        {
            hospitals.push(&e.source);
        }
    }
    hospitals
        .into_iter()
        .map(|h| {
            let own: Vec<&Entry> = entries.iter().filter(|e| e.source.id == h.id).collect();
            let (list_date, list) = latest_list(&own);
            Comparison {
                hospital: h.clone(),
                list_date: list_date.clone(),
                rows: rows(&gp, &list, list_date.as_deref()),
            }
        })
        .collect()
}

fn rows(gp: &[&Entry], list: &[&Entry], list_date: Option<&str>) -> Vec<Row> {
    let mut used = vec![false; list.len()];
    let stems: Vec<String> = list.iter().map(|e| name_stem(&e.title)).collect();
    let mut out = Vec::new();
    for g in gp {
        let by_code = (0..list.len()).find(|&i| !used[i] && same_code(g, list[i]));
        let stem = name_stem(&g.title);
        let found = by_code.or_else(|| {
            (0..list.len()).find(|&i| !used[i] && !stem.is_empty() && stems[i] == stem)
        });
        let row = match found {
            Some(i) => {
                used[i] = true;
                let h = list[i];
                let change = if is_stopped(h) {
                    Change::Stopped
                } else if by_code == Some(i) && same_dosage(g, h) {
                    Change::Unchanged
                } else {
                    Change::DoseChanged
                };
                Row {
                    change,
                    gp: Some((*g).clone()),
                    hospital: Some(h.clone()),
                }
            }
            None => Row {
                change: match (g.date.as_deref().map(day), list_date) {
                    (Some(started), Some(list)) if started > list => Change::StartedSinceList,
                    _ => Change::NotOnHospitalList,
                },
                gp: Some((*g).clone()),
                hospital: None,
            },
        };
        out.push(row);
    }
    for (i, h) in list.iter().enumerate() {
        if !used[i] {
            out.push(Row {
                change: if is_stopped(h) {
                    Change::Stopped
                } else {
                    Change::StartedInHospital
                },
                gp: None,
                hospital: Some((*h).clone()),
            });
        }
    }
    crate::order::sort_by_key(&mut out, |r| r.change);
    out
}

#[cfg(test)]
mod tests {
    use mcr_model::Coding;

    use super::*;

    fn source(id: &str, kind: SourceKind) -> SourceRef {
        SourceRef {
            id: id.into(),
            organisation: id.into(),
            ods_code: id.into(),
            kind,
        }
    }

    fn med(src: &SourceRef, title: &str, code: &str, date: &str) -> Entry {
        let mut e = Entry::new(format!("{}-{code}-{date}", src.id), src.clone(), title);
        e.codes = vec![Coding {
            system: Some("http://snomed.info/sct".into()),
            code: Some(code.into()),
            display: Some(title.into()),
        }];
        e.date = Some(date.into());
        e.status = Some("active".into());
        e
    }

    fn discharge(mut e: Entry) -> Entry {
        e.category = Some("Discharge".into());
        e
    }

    fn changes(c: &Comparison) -> Vec<(Change, String)> {
        c.rows
            .iter()
            .map(|r| {
                let title = r.gp.as_ref().or(r.hospital.as_ref()).unwrap().title.clone();
                (r.change, title)
            })
            .collect()
    }

    #[test]
    fn each_kind_of_change_is_found_against_the_latest_discharge() {
        let gp = source("gp", SourceKind::GpPractice);
        let rr8 = source("rr8", SourceKind::AcuteTrust);
        let entries = vec![
            med(&gp, "Metformin 500mg tablets", "1", "2024-01-01"),
            med(&gp, "Ramipril 2.5mg capsules", "2", "2024-01-01"),
            med(&gp, "Simvastatin 40mg tablets", "3", "2024-01-01"),
            med(&gp, "Aspirin 75mg dispersible tablets", "4", "2024-01-01"),
            med(&gp, "Amlodipine 5mg tablets", "10", "2026-06-01"),
            // An older discharge is not the list compared.
            discharge(med(&rr8, "Amoxicillin 500mg capsules", "9", "2025-01-10")),
            discharge(med(&rr8, "Metformin 500mg tablets", "1", "2026-03-12")),
            discharge(med(&rr8, "Ramipril 5mg capsules", "5", "2026-03-12")),
            {
                let mut e = discharge(med(&rr8, "Simvastatin 40mg tablets", "3", "2026-03-12"));
                e.status = Some("stopped".into());
                e
            },
            discharge(med(&rr8, "Lansoprazole 15mg capsules", "6", "2026-03-12")),
        ];
        let out = compare(&entries, "2026-11-25");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].list_date.as_deref(), Some("2026-03-12"));
        assert_eq!(
            changes(&out[0]),
            vec![
                (
                    Change::StartedInHospital,
                    "Lansoprazole 15mg capsules".into()
                ),
                (Change::Stopped, "Simvastatin 40mg tablets".into()),
                (Change::DoseChanged, "Ramipril 2.5mg capsules".into()),
                (Change::Unchanged, "Metformin 500mg tablets".into()),
                (Change::StartedSinceList, "Amlodipine 5mg tablets".into()),
                (
                    Change::NotOnHospitalList,
                    "Aspirin 75mg dispersible tablets".into()
                ),
            ]
        );
        // Both sides are kept as the sources gave them, never merged.
        let ramipril = &out[0].rows[2];
        assert_eq!(ramipril.gp.as_ref().unwrap().source.id, "gp");
        assert_eq!(
            ramipril.hospital.as_ref().unwrap().title,
            "Ramipril 5mg capsules"
        );
    }

    #[test]
    fn the_same_code_with_a_different_dosage_is_a_dose_change() {
        let gp = source("gp", SourceKind::GpPractice);
        let rr8 = source("rr8", SourceKind::AcuteTrust);
        let mut a = med(&gp, "Furosemide 40mg tablets", "7", "2024-01-01");
        a.detail = Some("One each morning".into());
        let mut b = med(&rr8, "Furosemide 40mg tablets", "7", "2026-03-12");
        b.detail = Some("Two each morning".into());
        let out = compare(&[a, b], "2026-11-25");
        assert_eq!(out[0].rows[0].change, Change::DoseChanged);
    }

    #[test]
    fn ended_and_inactive_gp_medicines_are_not_current() {
        let gp = source("gp", SourceKind::GpPractice);
        let rr8 = source("rr8", SourceKind::AcuteTrust);
        let mut ended = med(&gp, "Amoxicillin 500mg capsules", "9", "2026-01-01");
        ended.end_date = Some("2026-01-08".into());
        let mut completed = med(&gp, "Prednisolone 5mg tablets", "8", "2026-01-01");
        completed.status = Some("completed".into());
        let hospital = med(&rr8, "Amoxicillin 500mg capsules", "9", "2026-03-12");
        let out = compare(&[ended, completed, hospital], "2026-11-25");
        assert_eq!(
            changes(&out[0]),
            vec![(
                Change::StartedInHospital,
                "Amoxicillin 500mg capsules".into()
            )]
        );
    }

    #[test]
    fn each_hospital_is_compared_on_its_own_and_gp_only_records_give_none() {
        let gp = source("gp", SourceKind::GpPractice);
        let a = source("a", SourceKind::AcuteTrust);
        let b = source("b", SourceKind::MentalHealth);
        let gp_only = vec![med(&gp, "Metformin 500mg tablets", "1", "2024-01-01")];
        assert!(compare(&gp_only, "2026-11-25").is_empty());
        let mut all = gp_only;
        all.push(med(&a, "Metformin 500mg tablets", "1", "2026-03-12"));
        all.push(med(&b, "Olanzapine 10mg tablets", "11", "2026-02-01"));
        let out = compare(&all, "2026-11-25");
        let ids: Vec<&str> = out.iter().map(|c| c.hospital.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(out[0].rows[0].change, Change::Unchanged);
        assert_eq!(
            changes(&out[1]),
            vec![
                (Change::StartedInHospital, "Olanzapine 10mg tablets".into()),
                (Change::NotOnHospitalList, "Metformin 500mg tablets".into()),
            ]
        );
    }

    #[test]
    fn strength_and_form_are_not_part_of_the_name() {
        assert_eq!(name_stem("Ramipril 2.5mg capsules"), "ramipril");
        assert_eq!(name_stem("Co-codamol 30mg/500mg tablets"), "co-codamol");
        assert_eq!(
            name_stem("Insulin glargine 100units/ml"),
            "insulin glargine"
        );
    }
}
