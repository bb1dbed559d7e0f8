//! A deterministic synthetic population: each patient is generated from their index, so
//! nothing is stored and the same index always gives the same person.
//!
//! NHS numbers come from the 999 range, which is set aside for test data and never
//! issued to real people.

use mcr_model::NhsNumber;

/// How many patients the simulator serves unless told otherwise.
pub const DEFAULT_SIZE: usize = 8;

const FAMILY: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "Khan", "Hughes",
];
const GIVEN_F: &[&str] = &[
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Freya", "Aisha",
];
const GIVEN_M: &[&str] = &[
    "Oliver", "George", "Harry", "Noah", "Jack", "Arthur", "Leo", "Yusuf",
];
const STREETS: &[&str] = &[
    "Church Lane",
    "Station Road",
    "Victoria Street",
    "Mill Lane",
    "Park Avenue",
    "Kings Road",
];
const TOWNS: &[(&str, &str)] = &[
    ("Leeds", "LS6"),
    ("Harrogate", "HG1"),
    ("Wakefield", "WF1"),
    ("Bradford", "BD9"),
];

/// A coded clinical concept (SNOMED CT; dm+d codes are SNOMED CT codes too).
#[derive(Debug, Clone, Copy)]
pub struct Concept {
    /// The SNOMED CT concept id.
    pub code: &'static str,
    /// The preferred term.
    pub display: &'static str,
}

/// Problems with plausible onset, each a SNOMED CT concept.
pub const PROBLEMS: &[Concept] = &[
    Concept {
        code: "38341003",
        display: "Hypertensive disorder, systemic arterial",
    },
    Concept {
        code: "44054006",
        display: "Diabetes mellitus type 2",
    },
    Concept {
        code: "195967001",
        display: "Asthma",
    },
    Concept {
        code: "22298006",
        display: "Myocardial infarction",
    },
    Concept {
        code: "231504006",
        display: "Mixed anxiety and depressive disorder",
    },
    Concept {
        code: "21719001",
        display: "Allergic rhinitis due to pollen",
    },
];

/// Medicines (dm+d virtual medicinal products) with a typical dosage.
pub const MEDICINES: &[(Concept, &str)] = &[
    (
        Concept {
            code: "319284000",
            display: "Amlodipine 10mg tablets",
        },
        "One tablet once a day",
    ),
    (
        Concept {
            code: "325242002",
            display: "Gliclazide 80mg tablets",
        },
        "One tablet twice a day with meals",
    ),
    (
        Concept {
            code: "320030001",
            display: "Atorvastatin 20mg tablets",
        },
        "One tablet at night",
    ),
    (
        Concept {
            code: "319773006",
            display: "Aspirin 75mg dispersible tablets",
        },
        "One tablet once a day",
    ),
    (
        Concept {
            code: "9751511000001104",
            display: "Sertraline 100mg tablets",
        },
        "One tablet once a day",
    ),
    (
        Concept {
            code: "322236009",
            display: "Paracetamol 500mg tablets",
        },
        "Two tablets up to four times a day when required",
    ),
];

/// One synthetic patient.
#[derive(Debug, Clone)]
pub struct Patient {
    /// Index in the population (stable for a given size).
    pub index: usize,
    /// NHS number from the test range.
    pub nhs_number: NhsNumber,
    /// Family name.
    pub family: &'static str,
    /// Given name.
    pub given: &'static str,
    /// `male` or `female`.
    pub gender: &'static str,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// Address lines.
    pub address_lines: Vec<String>,
    /// Town.
    pub town: &'static str,
    /// Postcode.
    pub postcode: String,
    /// Indexes into [`PROBLEMS`] with the onset year.
    pub problems: Vec<(usize, u32)>,
    /// Indexes into [`MEDICINES`] with the start year and whether still current.
    pub medicines: Vec<(usize, u32, bool)>,
}

/// The synthetic population of a given size.
#[derive(Debug, Clone)]
pub struct Population {
    size: usize,
}

impl Population {
    /// A population of `size` patients.
    pub fn new(size: usize) -> Self {
        Self { size }
    }

    /// How many patients there are.
    pub fn len(&self) -> usize {
        self.size
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The patient at `index`, if within the population.
    pub fn patient(&self, index: usize) -> Option<Patient> {
        (index < self.size).then(|| generate(index))
    }

    /// Finds a patient by NHS number. Numbers are handed out in index order, so the
    /// search is bounded by the stem's distance from the start of the range.
    pub fn find(&self, nhs: &NhsNumber) -> Option<Patient> {
        let stem: u32 = nhs.as_digits()[..9].parse().ok()?;
        let offset = stem.checked_sub(FIRST_STEM)? as usize;
        // At most `offset` valid numbers precede this one.
        (0..=offset.min(self.size.saturating_sub(1)))
            .rev()
            .find(|i| nhs_for_index(*i) == *nhs)
            .and_then(|i| self.patient(i))
    }
}

const FIRST_STEM: u32 = 999_000_001;

/// The NHS number of the patient at `index`: the `index`-th valid number from the start
/// of the test range. Computed by walking the stems; cheap for the skeleton's small
/// populations (the population issue replaces this with a closed form).
pub fn nhs_for_index(index: usize) -> NhsNumber {
    (FIRST_STEM..)
        .filter_map(NhsNumber::from_stem)
        .nth(index)
        .expect("the test range has room for the population")
}

/// A small deterministic mixing function (SplitMix64) so each field varies independently.
fn mix(index: usize, salt: u64) -> u64 {
    let mut z = (index as u64)
        .wrapping_add(salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(items: &[T], index: usize, salt: u64) -> T {
    items[(mix(index, salt) % items.len() as u64) as usize]
}

fn generate(index: usize) -> Patient {
    let female = mix(index, 1).is_multiple_of(2);
    let birth_year = 1935 + (mix(index, 2) % 70) as u32;
    let birth_month = 1 + (mix(index, 3) % 12) as u32;
    let birth_day = 1 + (mix(index, 4) % 28) as u32;
    let (town, district) = pick(TOWNS, index, 5);
    let n_problems = 1 + (mix(index, 6) % 3) as usize;
    let first_problem = (mix(index, 7) % PROBLEMS.len() as u64) as usize;
    let problems = (0..n_problems)
        .map(|k| {
            let onset = (birth_year + 30 + (mix(index, 8 + k as u64) % 30) as u32).min(2025);
            ((first_problem + k) % PROBLEMS.len(), onset)
        })
        .collect();
    let n_meds = 1 + (mix(index, 12) % 3) as usize;
    let first_med = (mix(index, 13) % MEDICINES.len() as u64) as usize;
    let medicines = (0..n_meds)
        .map(|k| {
            let start = 2015 + (mix(index, 14 + k as u64) % 10) as u32;
            // The last medicine of a patient with several is discontinued.
            (
                (first_med + k) % MEDICINES.len(),
                start,
                k + 1 < n_meds || n_meds == 1,
            )
        })
        .collect();
    Patient {
        index,
        nhs_number: nhs_for_index(index),
        family: pick(FAMILY, index, 20),
        given: if female {
            pick(GIVEN_F, index, 21)
        } else {
            pick(GIVEN_M, index, 21)
        },
        gender: if female { "female" } else { "male" },
        birth_date: format!("{birth_year:04}-{birth_month:02}-{birth_day:02}"),
        address_lines: vec![format!(
            "{} {}",
            1 + mix(index, 22) % 120,
            pick(STREETS, index, 23)
        )],
        town,
        postcode: format!(
            "{district} {}{}",
            mix(index, 24) % 10,
            ["AB", "DX", "QT", "RL"][(mix(index, 25) % 4) as usize]
        ),
        problems,
        medicines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_index_always_gives_the_same_patient() {
        let a = Population::new(8).patient(3).unwrap();
        let b = Population::new(8).patient(3).unwrap();
        assert_eq!(a.nhs_number, b.nhs_number);
        assert_eq!(
            (a.family, a.given, &a.birth_date),
            (b.family, b.given, &b.birth_date)
        );
    }

    #[test]
    fn nhs_numbers_are_valid_distinct_and_in_the_test_range() {
        let pop = Population::new(50);
        let mut seen = std::collections::HashSet::new();
        for i in 0..pop.len() {
            let n = pop.patient(i).unwrap().nhs_number;
            assert!(n.as_digits().starts_with("999"));
            assert!(NhsNumber::parse(&n.as_digits()).is_ok());
            assert!(seen.insert(n));
        }
    }

    #[test]
    fn the_first_patient_has_the_documented_demo_number() {
        assert_eq!(nhs_for_index(0).as_digits(), "9990000018");
    }

    #[test]
    fn find_returns_the_patient_with_that_number_and_none_outside() {
        let pop = Population::new(8);
        for i in 0..8 {
            let p = pop.patient(i).unwrap();
            assert_eq!(pop.find(&p.nhs_number).unwrap().index, i);
        }
        assert!(pop.find(&nhs_for_index(8)).is_none());
        assert!(pop.find(&NhsNumber::parse("9434765919").unwrap()).is_none());
    }

    #[test]
    fn every_patient_has_at_least_one_problem_and_medicine() {
        let pop = Population::new(20);
        for i in 0..20 {
            let p = pop.patient(i).unwrap();
            assert!(!p.problems.is_empty());
            assert!(!p.medicines.is_empty());
        }
    }
}
