//! The snooping report (`mcr-gateway audit report`): simple patterns in the audit log
//! that a privacy officer should look at — records opened by search rather than from a
//! launch, users who viewed many different patients within one hour, views where the
//! user shares the patient's surname, and break-glass use. It flags; people judge.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::store::AuditRow;

/// The marker a record view's rows carry when the user's surname is the patient's (set
/// by the gateway at view time, when it knows both names): its access row
/// (`record.view`) when the patient's name is known before the sources are asked, else
/// the row written when the demographics service answers (`record.practice`).
pub const SAME_SURNAME: &str = "same surname as the user";

/// Thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    /// Flag a user who viewed more than this many distinct patients in one clock hour.
    pub patients_per_hour: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            patients_per_hour: 20,
        }
    }
}

/// One flag: who, what pattern, how many, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// The user.
    pub user_id: String,
    /// Which pattern.
    pub pattern: &'static str,
    /// How many occurrences.
    pub count: usize,
    /// The hour (for `many-patients-in-an-hour`) or the first occurrence.
    pub at: String,
}

/// Whether `user` shares a surname with the patient, from their display names: the
/// user's last word against the patient's family name, ignoring case and punctuation.
pub fn same_surname(user_name: &str, patient_family: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphabetic())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let user_last = user_name.split_whitespace().last().map(norm);
    let family = norm(patient_family);
    !family.is_empty() && user_last.as_deref() == Some(family.as_str())
}

/// Roles that open records by search (see the policy).
const SEARCHING_ROLES: &[&str] = &["social-worker", "privacy-officer"];

/// The flags for `rows`, most serious patterns first, then by user.
pub fn flags(rows: &[AuditRow], thresholds: Thresholds) -> Vec<Flag> {
    let mut out = vec![];
    // pattern → user → (count, first time)
    let mut counted: BTreeMap<(&'static str, &str), (usize, &str)> = BTreeMap::new();
    let mut per_hour: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for row in rows {
        let f = &row.fields;
        let allowed = f.outcome == "allowed";
        let pattern = match f.action.as_str() {
            "break_glass.grant" if allowed => Some("break-glass"),
            "record.view" | "record.practice"
                if allowed
                    && f.detail
                        .as_deref()
                        .is_some_and(|d| d.contains(SAME_SURNAME)) =>
            {
                Some("same-surname-as-patient")
            }
            "context.open"
                if allowed && SEARCHING_ROLES.contains(&f.user_role.as_deref().unwrap_or("")) =>
            {
                Some("opened-by-search")
            }
            _ => None,
        };
        if let Some(p) = pattern {
            let entry = counted.entry((p, f.user_id.as_str())).or_insert((0, &f.at));
            entry.0 += 1;
        }
        if f.action == "record.view"
            && allowed
            && let Some(nhs) = f.nhs_number.as_deref()
        {
            let hour = f.at.get(..13).unwrap_or(&f.at);
            per_hour
                .entry((f.user_id.as_str(), hour))
                .or_default()
                .insert(nhs);
        }
    }
    let order = |p: &str| match p {
        "same-surname-as-patient" => 0,
        "break-glass" => 1,
        "many-patients-in-an-hour" => 2,
        _ => 3,
    };
    for ((pattern, user), (count, at)) in counted {
        out.push(Flag {
            user_id: user.to_string(),
            pattern,
            count,
            at: at.to_string(),
        });
    }
    for ((user, hour), patients) in per_hour {
        if patients.len() > thresholds.patients_per_hour {
            out.push(Flag {
                user_id: user.to_string(),
                pattern: "many-patients-in-an-hour",
                count: patients.len(),
                at: format!("{hour}:00Z"),
            });
        }
    }
    out.sort_by(|a, b| {
        (order(a.pattern), &a.user_id, &a.at).cmp(&(order(b.pattern), &b.user_id, &b.at))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AuditFields;

    fn row(
        seq: i64,
        user: &str,
        role: &str,
        action: &str,
        nhs: &str,
        at: &str,
        detail: Option<&str>,
    ) -> AuditRow {
        AuditRow {
            seq,
            fields: AuditFields {
                at: at.into(),
                user_role: Some(role.into()),
                nhs_number: Some(nhs.into()),
                detail: detail.map(Into::into),
                ..AuditFields::event(user, action, "allowed", None)
            },
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn surnames_match_on_the_last_word_ignoring_case_and_punctuation() {
        assert!(same_surname("Dr Priya O'Brien", "OBRIEN"));
        assert!(!same_surname("Dr Priya Shah", "Shaw"));
        assert!(!same_surname("", ""));
    }

    #[test]
    fn each_pattern_is_flagged_with_its_count() {
        let mut rows = vec![
            row(
                1,
                "sw",
                "social-worker",
                "context.open",
                "9990000018",
                "2026-11-25T10:00:00.000Z",
                Some("safeguarding"),
            ),
            row(
                2,
                "doc",
                "hospital-clinician",
                "break_glass.grant",
                "9990000018",
                "2026-11-25T10:01:00.000Z",
                Some("bg-1: resus"),
            ),
            row(
                3,
                "doc",
                "hospital-clinician",
                "record.view",
                "9990000026",
                "2026-11-25T10:02:00.000Z",
                Some(&format!("asking: gp; {SAME_SURNAME}")),
            ),
            row(
                4,
                "doc",
                "hospital-clinician",
                "context.open",
                "9990000026",
                "2026-11-25T10:02:00.000Z",
                None,
            ),
        ];
        // A nurse who looked at 21 patients in one hour, and 5 in the next.
        for i in 0..26 {
            let hour = if i < 21 { "11" } else { "12" };
            rows.push(row(
                10 + i,
                "nurse",
                "hospital-clinician",
                "record.view",
                &format!("99900{i:05}"),
                &format!("2026-11-25T{hour}:{:02}:00.000Z", i % 60),
                None,
            ));
        }
        let flags = flags(&rows, Thresholds::default());
        let summary: Vec<(&str, &str, usize)> = flags
            .iter()
            .map(|f| (f.pattern, f.user_id.as_str(), f.count))
            .collect();
        assert_eq!(
            summary,
            [
                ("same-surname-as-patient", "doc", 1),
                ("break-glass", "doc", 1),
                ("many-patients-in-an-hour", "nurse", 21),
                ("opened-by-search", "sw", 1),
            ]
        );
        assert_eq!(flags[2].at, "2026-11-25T11:00Z");
    }
}
