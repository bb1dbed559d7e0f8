//! The organisations of the simulated region: N GP practices (ODS-style codes Y9xxxx,
//! each with a town, a name, a list size and a local hospital trust) and the secondary
//! and community providers — three acute trusts, a mental-health trust and a community
//! provider — that answer FHIR R4.
//!
//! Practice lists are contiguous ranges of patient indexes with sizes that vary as real
//! list sizes do; the NHS numbers are not ordered by practice in any way a client could
//! rely on. No practice list is smaller than [`MIN_LIST_SIZE`] unless the whole
//! population is, so a small test population lives in the first practice.

use crate::names::{PRACTICE_STEMS, PRACTICE_SUFFIXES, TOWNS, Town};
use crate::rng::Rng;

/// The smallest practice list the simulator creates (real practices rarely have fewer).
pub const MIN_LIST_SIZE: usize = 1_000;
/// ODS code of the first practice, the demo patient's.
pub const FIRST_PRACTICE_ODS: &str = "Y90001";
/// Name of the first practice.
pub const FIRST_PRACTICE_NAME: &str = "Riverside Medical Practice";

/// What kind of organisation a provider is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// An acute hospital trust (A&E, admissions, outpatients, pathology, radiology).
    AcuteTrust,
    /// A mental-health trust.
    MentalHealth,
    /// A community-services provider (district nursing, therapies).
    Community,
}

/// A secondary or community care provider answering FHIR R4.
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    /// ODS code (also the path segment of its FHIR endpoint).
    pub ods: &'static str,
    /// Name.
    pub name: &'static str,
    /// Kind.
    pub kind: ProviderKind,
    /// Its town.
    pub town: &'static str,
}

/// The providers, acute trusts first.
pub const PROVIDERS: &[Provider] = &[
    Provider {
        ods: "RR8",
        name: "Leeds Teaching Hospitals NHS Trust",
        kind: ProviderKind::AcuteTrust,
        town: "Leeds",
    },
    Provider {
        ods: "RAE",
        name: "Bradford Teaching Hospitals NHS Foundation Trust",
        kind: ProviderKind::AcuteTrust,
        town: "Bradford",
    },
    Provider {
        ods: "RCD",
        name: "Harrogate and District NHS Foundation Trust",
        kind: ProviderKind::AcuteTrust,
        town: "Harrogate",
    },
    Provider {
        ods: "RGD",
        name: "Leeds and York Partnership NHS Foundation Trust",
        kind: ProviderKind::MentalHealth,
        town: "Leeds",
    },
    Provider {
        ods: "RY6",
        name: "Leeds Community Healthcare NHS Trust",
        kind: ProviderKind::Community,
        town: "Leeds",
    },
];

/// How many acute trusts lead [`PROVIDERS`].
pub const ACUTE_TRUSTS: usize = 3;

/// One GP practice.
#[derive(Debug, Clone)]
pub struct Practice {
    /// Position in the practice list.
    pub number: usize,
    /// ODS code, `Y9` and four digits.
    pub ods: String,
    /// Name.
    pub name: String,
    /// The town its patients live in.
    pub town: Town,
    /// Index into [`PROVIDERS`] of its local acute trust.
    pub local_trust: usize,
    /// First patient index on its list.
    pub first_index: usize,
    /// One past the last patient index on its list.
    pub end_index: usize,
}

/// All practices of a population.
#[derive(Debug, Clone)]
pub struct Practices {
    practices: Vec<Practice>,
}

impl Practices {
    /// Lays out up to `wanted` practices over `population` patients under `seed`.
    pub fn new(seed: u64, population: usize, wanted: usize) -> Self {
        let count = wanted.max(1).min((population / MIN_LIST_SIZE).max(1));
        let mut rng = Rng::new(seed, u64::MAX, 1);
        // List sizes vary about four-fold between the smallest and the largest.
        let weights: Vec<f64> = (0..count).map(|_| 0.5 + 1.5 * rng.unit()).collect();
        let total: f64 = weights.iter().sum();
        let mut practices = Vec::with_capacity(count);
        let mut start = 0usize;
        let mut cumulative = 0.0;
        for (number, weight) in weights.iter().enumerate() {
            cumulative += weight;
            let end = if number + 1 == count {
                population
            } else {
                ((cumulative / total) * population as f64) as usize
            };
            let end = end.max(start + MIN_LIST_SIZE.min(population - start));
            let town = if number == 0 {
                TOWNS[0]
            } else {
                *rng.pick(TOWNS)
            };
            let name = if number == 0 {
                FIRST_PRACTICE_NAME.to_string()
            } else {
                format!(
                    "{} {}",
                    PRACTICE_STEMS[number % PRACTICE_STEMS.len()],
                    rng.pick(PRACTICE_SUFFIXES)
                )
            };
            let local_trust = match town.name {
                "Leeds" | "Wakefield" | "Dewsbury" => 0,
                "Bradford" | "Keighley" | "Halifax" | "Huddersfield" | "Skipton" => 1,
                _ => 2,
            };
            practices.push(Practice {
                number,
                ods: format!("Y9{:04}", number + 1),
                name,
                town,
                local_trust,
                first_index: start,
                end_index: end.min(population),
            });
            start = end.min(population);
        }
        Self { practices }
    }

    /// The practice whose list holds patient `index`.
    pub fn of_patient(&self, index: usize) -> &Practice {
        let at = self.practices.partition_point(|p| p.end_index <= index);
        &self.practices[at.min(self.practices.len() - 1)]
    }

    /// The practice with ODS code `ods`.
    pub fn by_ods(&self, ods: &str) -> Option<&Practice> {
        let number: usize = ods.strip_prefix("Y9")?.parse().ok()?;
        self.practices
            .get(number.checked_sub(1)?)
            .filter(|p| p.ods == ods)
    }

    /// All practices in order.
    pub fn all(&self) -> &[Practice] {
        &self.practices
    }
}

/// The provider with ODS code `ods`, with its position in [`PROVIDERS`].
pub fn provider_by_ods(ods: &str) -> Option<(usize, &'static Provider)> {
    PROVIDERS.iter().enumerate().find(|(_, p)| p.ods == ods)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_population_has_eighty_practices_covering_every_index() {
        let p = Practices::new(1, 100_000, 80);
        assert_eq!(p.all().len(), 80);
        assert_eq!(p.all()[0].first_index, 0);
        assert_eq!(p.all()[79].end_index, 100_000);
        for w in p.all().windows(2) {
            assert_eq!(w[0].end_index, w[1].first_index);
            assert!(w[0].end_index - w[0].first_index >= MIN_LIST_SIZE);
        }
    }

    #[test]
    fn a_small_population_lives_in_the_first_practice() {
        let p = Practices::new(1, 8, 80);
        assert_eq!(p.all().len(), 1);
        assert_eq!(p.of_patient(7).ods, FIRST_PRACTICE_ODS);
    }

    #[test]
    fn practices_are_found_by_patient_and_by_ods_code() {
        let p = Practices::new(3, 2_000_000, 80);
        for practice in p.all() {
            assert_eq!(p.of_patient(practice.first_index).ods, practice.ods);
            assert_eq!(p.of_patient(practice.end_index - 1).ods, practice.ods);
            assert_eq!(p.by_ods(&practice.ods).unwrap().number, practice.number);
        }
        assert!(p.by_ods("Y99999").is_none());
        assert!(p.by_ods("A81001").is_none());
    }

    #[test]
    fn the_first_practice_keeps_its_documented_code_and_name() {
        let p = Practices::new(42, 100_000, 80);
        assert_eq!(p.all()[0].ods, FIRST_PRACTICE_ODS);
        assert_eq!(p.all()[0].name, FIRST_PRACTICE_NAME);
    }
}
