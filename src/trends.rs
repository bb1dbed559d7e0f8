//! Results grouped by test across sources, for the trend plots: each group's numeric
//! values in date order with their source, reference range and abnormal flag.
//!
//! A group is the test's code, or its name when it has no code. GP practices code
//! results in SNOMED CT and hospital laboratories mostly in LOINC, so common tests are
//! mapped to one group through [`SAME_TEST`]: the same test plots across sources.
//! Values in a unit other than the group's most common one are left out of the plot
//! (they are still listed in the section), so a plot never mixes units.

use mcr_model::{Entry, SourceKind};

use crate::dates::day;

/// One plotted result.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The result's day, ISO 8601 (`YYYY-MM-DD`).
    pub date: String,
    /// Its value.
    pub value: f64,
    /// The source organisation.
    pub organisation: String,
    /// Whether it came from a GP practice (drawn as a circle) or elsewhere (a square).
    pub from_gp: bool,
    /// Outside its reference range, or flagged abnormal by the source.
    pub abnormal: bool,
}

/// One test's results across sources.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// The test's name.
    pub title: String,
    /// The unit of every plotted value (may be empty).
    pub unit: String,
    /// The reference range, when the latest result with one gives it.
    pub range: Option<(f64, f64)>,
    /// Points, oldest first.
    pub points: Vec<Point>,
}

impl Trend {
    /// How many distinct organisations the points come from.
    pub fn source_count(&self) -> usize {
        let mut orgs: Vec<&str> = self
            .points
            .iter()
            .map(|p| p.organisation.as_str())
            .collect();
        crate::order::sort_by(&mut orgs, |a, b| a.cmp(b));
        orgs.dedup();
        orgs.len()
    }
}

/// Splits `"48 mmol/mol"` into `(48.0, "mmol/mol")`; `None` when it does not start with
/// a number (`"<5"`, `"Positive"`, `"140/90 mmHg"`).
pub fn parse_value(text: &str) -> Option<(f64, String)> {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && c == '-')))
        .map_or(text.len(), |(i, _)| i);
    let number = crate::text::parse_decimal(&text[..end])?;
    let unit = text[end..].trim();
    if unit.starts_with('/') || !number.is_finite() {
        return None;
    }
    Some((number, unit.to_string()))
}

/// Reads a reference range such as `"20-41 mmol/mol"`, `"3.5 – 5.3"` or
/// `"20 mmol/mol – 41 mmol/mol"` (the gateway's form of a FHIR low and high).
pub fn parse_range(text: &str) -> Option<(f64, f64)> {
    let text = text.trim();
    let split = text
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '-' || c == '–')?;
    let (low, _) = parse_value(&text[..split.0])?;
    let (high, _) = parse_value(&text[split.0 + split.1.len_utf8()..])?;
    (low <= high).then_some((low, high))
}

fn flagged_abnormal(detail: Option<&str>) -> bool {
    detail.is_some_and(|d| {
        let d = d.to_ascii_lowercase();
        ["high", "low", "abnormal", "critical"]
            .iter()
            .any(|w| d.split(|c: char| !c.is_ascii_alphabetic()).any(|x| x == *w))
    })
}

const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";

/// Common laboratory tests as (LOINC, SNOMED CT UK) code pairs that name the same test
/// in the same unit.
pub const SAME_TEST: &[(&str, &str)] = &[
    ("59261-8", "999791000000106"),  // HbA1c (IFCC), mmol/mol
    ("62238-1", "1011481000000105"), // eGFR (CKD-EPI), mL/min/1.73 m2
    ("14682-9", "1000731000000107"), // creatinine, umol/L
    ("2951-2", "1000661000000107"),  // sodium, mmol/L
    ("2823-3", "1000651000000109"),  // potassium, mmol/L
    ("14647-2", "1005671000000105"), // total cholesterol, mmol/L
    ("14646-4", "1005681000000107"), // HDL cholesterol, mmol/L
    ("718-7", "1022431000000105"),   // haemoglobin, g/L
    ("6690-2", "1022541000000102"),  // white cell count, 10*9/L
    ("777-3", "1022651000000100"),   // platelets, 10*9/L
    ("787-2", "1022491000000106"),   // MCV, fL
    ("751-8", "1022551000000104"),   // neutrophils, 10*9/L
    ("1988-5", "135842001"),         // C-reactive protein, mg/L
    ("29463-7", "27113001"),         // body weight, kg
];

/// The key a result is grouped under: its LOINC code (a SNOMED CT code with a LOINC
/// equivalent in [`SAME_TEST`] is mapped to it), else its first code, else its name.
pub fn group_key(e: &Entry) -> String {
    let coded = |c: &mcr_model::Coding| {
        let code = c.code.as_deref()?.trim();
        let system = c.system.as_deref().unwrap_or("");
        // A SNOMED CT code with a LOINC equivalent groups under the LOINC code.
        let loinc = match system {
            SNOMED => SAME_TEST.iter().find(|(_, s)| *s == code).map(|(l, _)| *l),
            LOINC => Some(code),
            _ => None,
        };
        Some(match loinc {
            Some(l) => format!("{LOINC}|{l}"),
            None => format!("{system}|{code}"),
        })
    };
    // A coding that has an equivalent wins over one that does not.
    e.codes
        .iter()
        .filter_map(coded)
        .find(|k| k.starts_with(LOINC))
        .or_else(|| e.codes.iter().find_map(coded))
        .unwrap_or_else(|| crate::text::lowercase(e.title.trim()))
}

/// The tests with at least two plottable results, in order of their latest result,
/// newest first.
pub fn trends(entries: &[Entry]) -> Vec<Trend> {
    struct Group<'a> {
        key: String,
        entries: Vec<(&'a Entry, f64, String)>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for e in entries {
        let (Some(value), Some(_)) = (e.value.as_deref().and_then(parse_value), &e.date) else {
            continue;
        };
        let key = group_key(e);
        match groups.iter_mut().find(|g| g.key == key) {
            Some(g) => g.entries.push((e, value.0, value.1)),
            None => groups.push(Group {
                key,
                entries: vec![(e, value.0, value.1)],
            }),
        }
    }
    let mut out: Vec<Trend> = groups
        .into_iter()
        .filter_map(|g| {
            let unit = most_common_unit(&g.entries);
            let mut kept: Vec<&(&Entry, f64, String)> =
                g.entries.iter().filter(|(_, _, u)| *u == unit).collect();
            if kept.len() < 2 {
                return None;
            }
            crate::order::sort_by(&mut kept, |a, b| a.0.date.cmp(&b.0.date));
            let range = kept
                .iter()
                .rev()
                .find_map(|(e, _, _)| e.reference_range.as_deref().and_then(parse_range));
            let points = kept
                .iter()
                .map(|(e, v, _)| {
                    let own_range = e.reference_range.as_deref().and_then(parse_range);
                    let outside = own_range.is_some_and(|(lo, hi)| *v < lo || *v > hi);
                    Point {
                        date: day(e.date.as_deref().unwrap_or_default()).to_string(),
                        value: *v,
                        organisation: e.source.organisation.clone(),
                        from_gp: e.source.kind == SourceKind::GpPractice,
                        abnormal: outside || flagged_abnormal(e.detail.as_deref()),
                    }
                })
                .collect();
            Some(Trend {
                title: kept
                    .last()
                    .map(|(e, _, _)| e.title.clone())
                    .unwrap_or_default(),
                unit,
                range,
                points,
            })
        })
        .collect();
    crate::order::sort_by(&mut out, |a, b| {
        let last = |t: &Trend| t.points.last().map(|p| p.date.clone());
        last(b).cmp(&last(a)).then_with(|| a.title.cmp(&b.title))
    });
    out
}

fn most_common_unit(entries: &[(&Entry, f64, String)]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for (_, _, u) in entries {
        match counts.iter_mut().find(|(x, _)| x == u) {
            Some(c) => c.1 += 1,
            None => counts.push((u, 1)),
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .map(|(u, _)| u.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use mcr_model::{Coding, SourceRef};

    use super::*;

    fn source(id: &str, kind: SourceKind) -> SourceRef {
        SourceRef {
            id: id.into(),
            organisation: format!("{id} org"),
            ods_code: id.into(),
            kind,
        }
    }

    fn result(src: &SourceRef, code: &str, date: &str, value: &str, range: Option<&str>) -> Entry {
        let mut e = Entry::new(format!("{}-{date}", src.id), src.clone(), "HbA1c");
        e.codes = vec![Coding {
            system: Some("http://loinc.org".into()),
            code: Some(code.into()),
            display: None,
        }];
        e.date = Some(date.into());
        e.value = Some(value.into());
        e.reference_range = range.map(str::to_string);
        e
    }

    #[test]
    fn values_and_ranges_are_read_and_others_refused() {
        assert_eq!(parse_value("48 mmol/mol"), Some((48.0, "mmol/mol".into())));
        assert_eq!(parse_value("4.2"), Some((4.2, String::new())));
        assert_eq!(parse_value("-1.5 SD"), Some((-1.5, "SD".into())));
        assert_eq!(parse_value("<5 mg/L"), None);
        assert_eq!(parse_value("140/90 mmHg"), None);
        assert_eq!(parse_value("Positive"), None);
        assert_eq!(parse_range("20-41 mmol/mol"), Some((20.0, 41.0)));
        assert_eq!(parse_range("3.5 – 5.3"), Some((3.5, 5.3)));
        assert_eq!(parse_range("20 mmol/mol – 41 mmol/mol"), Some((20.0, 41.0)));
        assert_eq!(parse_range("-2-2"), Some((-2.0, 2.0)));
        assert_eq!(parse_range(">90"), None);
        assert_eq!(parse_range("9-3"), None);
    }

    #[test]
    fn results_from_both_sources_make_one_trend_in_date_order() {
        let gp = source("gp", SourceKind::GpPractice);
        let rr8 = source("rr8", SourceKind::AcuteTrust);
        let entries = vec![
            result(
                &gp,
                "4548-4",
                "2025-06-01",
                "52 mmol/mol",
                Some("20-41 mmol/mol"),
            ),
            result(
                &rr8,
                "4548-4",
                "2026-03-10T09:00:00Z",
                "61 mmol/mol",
                Some("20-41 mmol/mol"),
            ),
            result(
                &gp,
                "4548-4",
                "2024-06-01",
                "40 mmol/mol",
                Some("20-41 mmol/mol"),
            ),
            // Another unit is left out of the plot rather than mixed in.
            result(&rr8, "4548-4", "2026-01-01", "7.1 %", None),
            // One value of a test is not a trend.
            result(&gp, "2345-7", "2026-01-01", "5.1 mmol/L", None),
        ];
        let out = trends(&entries);
        assert_eq!(out.len(), 1);
        let t = &out[0];
        assert_eq!((t.unit.as_str(), t.range), ("mmol/mol", Some((20.0, 41.0))));
        let seen: Vec<(&str, f64, bool, bool)> = t
            .points
            .iter()
            .map(|p| (p.date.as_str(), p.value, p.from_gp, p.abnormal))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("2024-06-01", 40.0, true, false),
                ("2025-06-01", 52.0, true, true),
                ("2026-03-10", 61.0, false, true),
            ]
        );
        assert_eq!(t.source_count(), 2);
    }

    #[test]
    fn a_gp_snomed_result_and_a_hospital_loinc_result_of_the_same_test_plot_together() {
        let gp = source("gp", SourceKind::GpPractice);
        let rr8 = source("rr8", SourceKind::AcuteTrust);
        let mut a = result(&gp, "999791000000106", "2025-01-01", "50 mmol/mol", None);
        a.codes[0].system = Some("http://snomed.info/sct".into());
        let b = result(&rr8, "59261-8", "2026-01-01", "55 mmol/mol", None);
        // A SNOMED CT code without an equivalent stays its own test.
        let mut c = result(&gp, "123", "2025-01-01", "1 x", None);
        c.codes[0].system = Some("http://snomed.info/sct".into());
        let d = result(&rr8, "123", "2026-01-01", "2 x", None);
        let out = trends(&[a, b, c, d]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].source_count(), 2);
    }

    #[test]
    fn a_source_flag_marks_a_result_abnormal_without_a_range() {
        let gp = source("gp", SourceKind::GpPractice);
        let mut a = result(&gp, "1", "2026-01-01", "5 x", None);
        a.detail = Some("High".into());
        let mut b = result(&gp, "1", "2026-02-01", "4 x", None);
        b.detail = Some("Highly unlikely to matter".into());
        let out = trends(&[a, b]);
        let flags: Vec<bool> = out[0].points.iter().map(|p| p.abnormal).collect();
        assert_eq!(flags, [true, false]);
    }
}
