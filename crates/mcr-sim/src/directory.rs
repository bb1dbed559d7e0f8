//! The demo patient directory: finds synthetic patients by name (or lists the first
//! ones) for the demo page's patient list, the way a host EPR's own patient search would.
//! Only synthetic people from the test number range are ever listed.

use serde::Serialize;

use crate::organisations::PROVIDERS;
use crate::population::Population;

/// One patient as the demo page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    /// NHS number, ten digits.
    pub nhs_number: String,
    /// `FAMILY, Given`.
    pub name: String,
    /// Family name as written.
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `male` or `female`.
    pub gender: &'static str,
    /// Registered practice's name.
    pub practice: String,
    /// Names of the other providers holding a record.
    pub providers: Vec<&'static str>,
    /// Deceased, dissented or very large record: worth showing in a demo.
    pub notes: Vec<&'static str>,
}

/// The most patients one search returns.
pub const MAX_RESULTS: usize = 50;

/// Living or not, the first `limit` patients (in population order) whose family or
/// given name contains `query` (case-insensitive); every patient when `query` is blank.
pub fn search(population: &Population, query: &str, limit: usize) -> Vec<Listed> {
    let q = query.trim().to_lowercase();
    let limit = limit.clamp(1, MAX_RESULTS);
    (0..population.len())
        .filter_map(|i| population.patient(i))
        .filter(|p| {
            q.is_empty()
                || p.family.to_lowercase().contains(&q)
                || p.given.to_lowercase().contains(&q)
        })
        .take(limit)
        .map(|p| {
            let mut notes = vec![];
            if p.deceased.is_some() {
                notes.push("deceased");
            }
            if p.dissented {
                notes.push("dissented at GP");
            }
            if p.huge_record {
                notes.push("very large record");
            }
            Listed {
                nhs_number: p.nhs_number.as_digits(),
                name: format!("{}, {}", p.family.to_uppercase(), p.given),
                family_name: p.family.to_string(),
                birth_date: p.birth_date.clone(),
                gender: p.gender,
                practice: p.practice_name.clone(),
                providers: p.providers.iter().map(|i| PROVIDERS[*i].name).collect(),
                notes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_search_lists_the_first_patients_and_a_name_search_matches_either_name() {
        let population = Population::new(500);
        let first = search(&population, "", 5);
        assert_eq!(first.len(), 5);
        assert_eq!(first[0].nhs_number, "9990000018");
        let family = first[1].family_name.to_lowercase();
        let found = search(&population, &family.to_uppercase(), 50);
        assert!(!found.is_empty());
        assert!(
            found
                .iter()
                .all(|l| l.name.to_lowercase().contains(&family))
        );
        assert!(search(&population, "zzzz-no-such-name", 5).is_empty());
        assert_eq!(search(&population, "", 10_000).len(), MAX_RESULTS);
    }
}
