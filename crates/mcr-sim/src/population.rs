//! The synthetic population: each patient is generated from (seed, index) alone, so
//! nothing is stored, memory stays flat from ten thousand to two million patients, and
//! the same seed always gives the same people. NHS numbers map to indexes in constant
//! time both ways ([`crate::nhs_range`]).
//!
//! A patient here is demographics, registration, which providers have seen them, the
//! edge-case flags, and the problem list with the medicines that follow from it; the
//! longer clinical record is derived from this in [`crate::gp_record`] and
//! [`crate::hospital_record`]. The first [`ORDINARY_PREFIX`] patients are never edge
//! cases (never deceased, dissented, huge or with sensitive items), so the demo and the
//! quick tests always meet an ordinary patient.

use std::sync::Arc;

use mcr_model::NhsNumber;

use crate::codes::{
    self, DIABETES, HYPERTENSION, MEDICINES, PROBLEMS, PrescriptionKind, Sensitivity,
};
use crate::dates::{AS_OF, Day, age_on, date};
use crate::names::{FAMILY, GIVEN_FEMALE, GIVEN_MALE, INWARD_LETTERS, STREETS};
use crate::organisations::{ACUTE_TRUSTS, PROVIDERS, Practice, Practices, ProviderKind};
use crate::rng::Rng;

pub use crate::codes::Concept;
pub use crate::nhs_range::CAPACITY;

/// How many patients the simulator serves unless told otherwise.
pub const DEFAULT_SIZE: usize = 100_000;
/// The largest population the simulator will serve.
pub const MAX_SIZE: usize = 2_000_000;
/// The seed used unless told otherwise.
pub const DEFAULT_SEED: u64 = 1;
/// Patients below this index are never edge cases.
pub const ORDINARY_PREFIX: usize = 8;

/// The NHS number of the patient at `index` (within [`CAPACITY`]).
pub fn nhs_for_index(index: usize) -> NhsNumber {
    crate::nhs_range::nhs_for_index(index).expect("index within the numbering capacity")
}

/// A problem on a patient's list.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemEntry {
    /// Index into [`PROBLEMS`].
    pub def: usize,
    /// The SNOMED CT concept.
    pub concept: Concept,
    /// Onset.
    pub onset: Day,
    /// When it resolved, for past problems.
    pub resolved: Option<Day>,
    /// Sexual health, fertility or gender identity.
    pub sensitive: bool,
}

/// A course of a medicine.
#[derive(Debug, Clone, PartialEq)]
pub struct MedicineCourse {
    /// Index into [`MEDICINES`].
    pub medicine: usize,
    /// The dm+d concept.
    pub concept: Concept,
    /// Dosage instruction.
    pub dosage: &'static str,
    /// Repeat or acute.
    pub kind: PrescriptionKind,
    /// First issue.
    pub start: Day,
    /// When it was stopped, if it was.
    pub end: Option<Day>,
    /// The problem it treats (index into the patient's problems).
    pub for_problem: Option<usize>,
}

impl MedicineCourse {
    /// Whether the course is still being prescribed.
    pub fn is_current(&self) -> bool {
        self.end.is_none()
    }
}

/// One synthetic patient.
#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    /// Index in the population.
    pub index: usize,
    /// NHS number from the test range.
    pub nhs_number: NhsNumber,
    /// Family name.
    pub family: &'static str,
    /// First given name.
    pub given: &'static str,
    /// Middle name, if any.
    pub middle: Option<&'static str>,
    /// `male` or `female`.
    pub gender: &'static str,
    /// Date of birth.
    pub birth: Day,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// Address lines (house and street).
    pub address_lines: Vec<String>,
    /// Post town.
    pub town: &'static str,
    /// County.
    pub district: &'static str,
    /// Postcode.
    pub postcode: String,
    /// Registered practice (its number in the practice list).
    pub practice: usize,
    /// Registered practice's ODS code.
    pub practice_ods: String,
    /// Registered practice's name.
    pub practice_name: String,
    /// Registered with the practice since.
    pub registered_since: Day,
    /// Date of death, if deceased.
    pub deceased: Option<Day>,
    /// Has registered dissent from sharing their GP record.
    pub dissented: bool,
    /// Indexes into [`PROVIDERS`] of the providers that hold a record.
    pub providers: Vec<usize>,
    /// Has a very large record (years of home blood pressure readings).
    pub huge_record: bool,
    /// The GP system withholds some items as confidential (`confidential-items`).
    pub gp_withholds_items: bool,
    /// Recently registered: the GP2GP transfer of the old record is in transit.
    pub data_in_transit: bool,
    /// Results are awaiting filing by a GP (`data-awaiting-filing`).
    pub awaiting_filing: bool,
    /// Problems, in onset order; entered-in-error entries are not listed here.
    pub problems: Vec<ProblemEntry>,
    /// Medicine courses, in start order.
    pub medicines: Vec<MedicineCourse>,
}

impl Patient {
    /// Age on the simulation's "today" (or at death).
    pub fn age(&self) -> i32 {
        age_on(self.birth, self.deceased.unwrap_or(AS_OF))
    }

    /// Whether the patient has an active (unresolved) problem `def`.
    pub fn has_active(&self, def: usize) -> bool {
        self.problems
            .iter()
            .any(|p| p.def == def && p.resolved.is_none())
    }

    /// The last day anything can be recorded: today, or the date of death.
    pub fn last_day(&self) -> Day {
        self.deceased.unwrap_or(AS_OF)
    }

    /// Whether the patient holds any sensitive item.
    pub fn has_sensitive_items(&self) -> bool {
        self.problems.iter().any(|p| p.sensitive)
    }

    /// `FAMILY, Given` as the NHS banner shows it.
    pub fn display_name(&self) -> String {
        format!("{}, {}", self.family.to_uppercase(), self.given)
    }
}

/// The synthetic population: a size, a seed and the practice layout.
#[derive(Debug, Clone)]
pub struct Population {
    size: usize,
    seed: u64,
    practices: Arc<Practices>,
}

/// Streams of randomness per patient, one per concern, so adding a field to one does
/// not reshuffle the others.
mod stream {
    pub const DEMOGRAPHICS: u64 = 1;
    pub const FLAGS: u64 = 2;
    pub const PROBLEMS: u64 = 3;
    pub const MEDICINES: u64 = 4;
    pub const PROVIDERS: u64 = 5;
}

impl Population {
    /// A population of `size` patients under the default seed and practice count.
    pub fn new(size: usize) -> Self {
        Self::with_seed(size, DEFAULT_SEED, 80)
    }

    /// A population of `size` patients (capped at [`MAX_SIZE`]) over up to
    /// `practices` practices.
    pub fn with_seed(size: usize, seed: u64, practices: usize) -> Self {
        let size = size.min(MAX_SIZE);
        Self {
            size,
            seed,
            practices: Arc::new(Practices::new(seed, size, practices)),
        }
    }

    /// How many patients there are.
    pub fn len(&self) -> usize {
        self.size
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The practices.
    pub fn practices(&self) -> &Practices {
        &self.practices
    }

    /// The patient at `index`, if within the population.
    pub fn patient(&self, index: usize) -> Option<Patient> {
        (index < self.size).then(|| self.generate(index))
    }

    /// Finds a patient by NHS number in constant time.
    pub fn find(&self, nhs: &NhsNumber) -> Option<Patient> {
        self.patient(crate::nhs_range::index_for_nhs(nhs)?)
    }

    /// The first patient at or after `from` that `wanted` accepts (for examples and
    /// tests: each edge case has one within a few thousand indexes).
    pub fn first_where(&self, from: usize, wanted: impl Fn(&Patient) -> bool) -> Option<Patient> {
        (from..self.size).map(|i| self.generate(i)).find(wanted)
    }

    fn generate(&self, index: usize) -> Patient {
        let seed = self.seed;
        let ordinary = index < ORDINARY_PREFIX;
        let practice = self.practices.of_patient(index);
        let mut rng = Rng::new(seed, index as u64, stream::DEMOGRAPHICS);
        let female = rng.chance(0.51);
        let mut age = if rng.chance(0.86) {
            rng.range(0, 74)
        } else {
            rng.range(75, 101)
        } as i32;
        if index == 0 {
            // The demo patient is old enough to have a full record.
            age = 60 + age % 25;
        }
        let birth = AS_OF - (age as f64 * 365.25) as Day - rng.range(1, 364) as Day;
        let given = if female {
            *rng.pick(GIVEN_FEMALE)
        } else {
            *rng.pick(GIVEN_MALE)
        };
        let middle = rng.chance(0.4).then(|| {
            if female {
                *rng.pick(GIVEN_FEMALE)
            } else {
                *rng.pick(GIVEN_MALE)
            }
        });
        let family = *rng.pick(FAMILY);
        let (address_lines, postcode) = address(&mut rng, practice);

        let mut flags = Rng::new(seed, index as u64, stream::FLAGS);
        let registered_since = (AS_OF - rng.range(30, 40 * 365) as Day).max(birth);
        let deceased_chance = if age >= 80 { 0.08 } else { 0.004 };
        let deceased = (!ordinary && flags.chance(deceased_chance))
            .then(|| (AS_OF - flags.range(10, 900) as Day).max(birth + 1));
        let dissented = !ordinary && flags.chance(0.005);
        let huge_record = !ordinary && age >= 40 && flags.chance(0.0008);
        let gp_withholds_items = !ordinary && flags.chance(0.02);
        let data_in_transit = !ordinary && flags.chance(0.01);
        let awaiting_filing = !ordinary && flags.chance(0.03);
        let force_sensitive = !ordinary && age >= 16 && flags.chance(0.01);
        let registered_since = if data_in_transit {
            AS_OF - flags.range(3, 20) as Day
        } else {
            registered_since
        };

        let mut patient = Patient {
            index,
            nhs_number: nhs_for_index(index),
            family,
            given,
            middle,
            gender: if female { "female" } else { "male" },
            birth,
            birth_date: date(birth),
            address_lines,
            town: practice.town.name,
            district: practice.town.district,
            postcode,
            practice: practice.number,
            practice_ods: practice.ods.clone(),
            practice_name: practice.name.clone(),
            registered_since,
            deceased,
            dissented,
            providers: Vec::new(),
            huge_record,
            gp_withholds_items,
            data_in_transit,
            awaiting_filing,
            problems: Vec::new(),
            medicines: Vec::new(),
        };
        patient.problems = problems(seed, &patient, ordinary, force_sensitive);
        patient.medicines = medicines(seed, &patient);
        patient.providers = providers(seed, &patient, practice);
        patient
    }
}

fn address(rng: &mut Rng, practice: &Practice) -> (Vec<String>, String) {
    let street = rng.pick(STREETS);
    let number = rng.range(1, 180);
    let mut lines = Vec::with_capacity(2);
    if rng.chance(0.12) {
        lines.push(format!("Flat {}", rng.range(1, 24)));
    }
    lines.push(format!("{number} {street}"));
    let outward = rng.pick(practice.town.outward);
    let letter = |rng: &mut Rng| char::from(*rng.pick(INWARD_LETTERS));
    let postcode = format!("{outward} {}{}{}", rng.below(10), letter(rng), letter(rng));
    (lines, postcode)
}

fn problems(seed: u64, p: &Patient, ordinary: bool, force_sensitive: bool) -> Vec<ProblemEntry> {
    let mut rng = Rng::new(seed, p.index as u64, stream::PROBLEMS);
    let age = p.age();
    let mut list = Vec::new();
    let mut sensitive_given = false;
    for (def_index, def) in PROBLEMS.iter().enumerate() {
        let sensitive = def.sensitivity == Sensitivity::Sensitive;
        if (def.female_only && p.gender != "female") || age < def.min_age || (sensitive && ordinary)
        {
            continue;
        }
        let scale = if def.resolves {
            (f64::from(age - def.min_age) / 20.0).min(1.0)
        } else {
            (f64::from(age - def.min_age) / f64::from((75 - def.min_age).max(1))).min(1.3)
        };
        let forced = (p.index == 0 && (def_index == HYPERTENSION || def_index == DIABETES))
            || (force_sensitive && sensitive && !sensitive_given);
        if !forced && !rng.chance(def.prevalence * scale) {
            continue;
        }
        sensitive_given |= sensitive;
        let span = (age - def.min_age).max(0);
        let onset_age = def.min_age + rng.range(0, i64::from(span)) as i32;
        let onset = (p.birth + (f64::from(onset_age) * 365.25) as Day + rng.range(0, 300) as Day)
            .min(p.last_day() - 30)
            .max(p.birth);
        let resolved = def
            .resolves
            .then(|| (onset + rng.range(10, 60) as Day).min(p.last_day()));
        list.push(ProblemEntry {
            def: def_index,
            concept: def.concept,
            onset,
            resolved,
            sensitive,
        });
    }
    list.sort_by_key(|e| e.onset);
    list
}

fn medicines(seed: u64, p: &Patient) -> Vec<MedicineCourse> {
    let mut rng = Rng::new(seed, p.index as u64, stream::MEDICINES);
    let mut courses: Vec<MedicineCourse> = Vec::new();
    for (k, problem) in p.problems.iter().enumerate() {
        for &medicine in PROBLEMS[problem.def].treatments {
            if courses
                .iter()
                .any(|c| c.medicine == medicine || c.concept == MEDICINES[medicine].concept)
            {
                continue;
            }
            let def = &MEDICINES[medicine];
            let start = (problem.onset + rng.range(0, 45) as Day).min(p.last_day());
            let end = match (def.kind, problem.resolved) {
                (PrescriptionKind::Acute, _) => Some(start + 7),
                (_, Some(resolved)) => Some(resolved),
                // Some repeats are stopped: side effects, or no longer needed.
                (_, None) if p.index != 0 && rng.chance(0.15) => {
                    Some((start + rng.range(60, 2000) as Day).min(p.last_day()))
                }
                _ => p.deceased,
            };
            courses.push(MedicineCourse {
                medicine,
                concept: def.concept,
                dosage: def.dosage,
                kind: def.kind,
                start,
                end: end.map(|e| e.min(p.last_day())),
                for_problem: Some(k),
            });
        }
    }
    // The combined pill for some women of childbearing age.
    if p.gender == "female" && (16..45).contains(&p.age()) && rng.chance(0.2) {
        let start = p.last_day() - rng.range(20, 700) as Day;
        courses.push(MedicineCourse {
            medicine: 21,
            concept: MEDICINES[21].concept,
            dosage: MEDICINES[21].dosage,
            kind: PrescriptionKind::Repeat,
            start,
            end: p.deceased,
            for_problem: None,
        });
    }
    // An occasional acute analgesic course.
    if p.age() >= 18 && rng.chance(0.1) {
        let start = p.last_day() - rng.range(30, 1500) as Day;
        courses.push(MedicineCourse {
            medicine: 20,
            concept: MEDICINES[20].concept,
            dosage: MEDICINES[20].dosage,
            kind: PrescriptionKind::Acute,
            start,
            end: Some((start + 10).min(p.last_day())),
            for_problem: None,
        });
    }
    courses.sort_by_key(|c| c.start);
    courses
}

fn providers(seed: u64, p: &Patient, practice: &Practice) -> Vec<usize> {
    let mut rng = Rng::new(seed, p.index as u64, stream::PROVIDERS);
    let age = p.age();
    let frail = age >= 75;
    let mut list = Vec::new();
    for (k, provider) in PROVIDERS.iter().enumerate() {
        let chance = match provider.kind {
            ProviderKind::AcuteTrust if k == practice.local_trust => {
                if frail {
                    0.85
                } else {
                    0.5
                }
            }
            ProviderKind::AcuteTrust => 0.08,
            ProviderKind::MentalHealth => {
                if p.has_active(6) || p.has_active(7) {
                    0.3
                } else {
                    0.02
                }
            }
            ProviderKind::Community => {
                if frail {
                    0.4
                } else {
                    0.04
                }
            }
        };
        let forced = p.index == 0 && k == practice.local_trust;
        if forced || rng.chance(chance) {
            list.push(k);
        }
    }
    list
}

/// Named edge cases, each findable with [`Population::example`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeCase {
    /// Has dissented from sharing.
    Dissented,
    /// Has died.
    Deceased,
    /// Holds sexual health, fertility or gender identity items.
    SensitiveItems,
    /// Has no hospital contact at all.
    NoHospitalContact,
    /// Has a record with thousands of observations.
    HugeRecord,
    /// A name with an apostrophe, hyphen or letter outside ASCII.
    UnusualName,
    /// The GP record is flagged as withholding confidential items.
    ConfidentialItems,
    /// The GP record is in transit from a previous practice.
    DataInTransit,
}

impl EdgeCase {
    /// Every edge case.
    pub const ALL: [EdgeCase; 8] = [
        EdgeCase::Dissented,
        EdgeCase::Deceased,
        EdgeCase::SensitiveItems,
        EdgeCase::NoHospitalContact,
        EdgeCase::HugeRecord,
        EdgeCase::UnusualName,
        EdgeCase::ConfidentialItems,
        EdgeCase::DataInTransit,
    ];

    /// Whether `p` is an example of this case.
    pub fn matches(self, p: &Patient) -> bool {
        match self {
            EdgeCase::Dissented => p.dissented,
            EdgeCase::Deceased => p.deceased.is_some(),
            EdgeCase::SensitiveItems => p.has_sensitive_items(),
            EdgeCase::NoHospitalContact => !p.providers.iter().any(|k| *k < ACUTE_TRUSTS),
            EdgeCase::HugeRecord => p.huge_record,
            EdgeCase::UnusualName => {
                let unusual = |s: &str| s.contains(['\'', '-']) || !s.is_ascii();
                unusual(p.family) || unusual(p.given)
            }
            EdgeCase::ConfidentialItems => p.gp_withholds_items,
            EdgeCase::DataInTransit => p.data_in_transit,
        }
    }
}

impl Population {
    /// The first patient (from index [`ORDINARY_PREFIX`]) who is an example of `case`
    /// and is neither dissented nor deceased unless that is the case asked for, so the
    /// example's record can be fetched.
    pub fn example(&self, case: EdgeCase) -> Option<Patient> {
        self.first_where(ORDINARY_PREFIX, |p| {
            case.matches(p)
                && (case == EdgeCase::Dissented || !p.dissented)
                && (case == EdgeCase::Deceased || p.deceased.is_none())
        })
    }
}

/// Re-exported for callers that index the medicine table.
pub use codes::MEDICINES as MEDICINE_TABLE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_index_always_give_the_same_patient() {
        let a = Population::new(1000).patient(3).unwrap();
        let b = Population::new(1000).patient(3).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn a_different_seed_gives_a_different_person_with_the_same_number() {
        let a = Population::with_seed(1000, 1, 80).patient(5).unwrap();
        let b = Population::with_seed(1000, 2, 80).patient(5).unwrap();
        assert_eq!(a.nhs_number, b.nhs_number);
        assert_ne!((a.family, a.given, a.birth), (b.family, b.given, b.birth));
    }

    #[test]
    fn nhs_numbers_are_valid_distinct_and_in_the_test_range() {
        let pop = Population::new(500);
        let mut seen = std::collections::HashSet::new();
        for i in 0..pop.len() {
            let n = pop.patient(i).unwrap().nhs_number;
            assert!(n.as_digits().starts_with("999"));
            assert!(NhsNumber::parse(&n.as_digits()).is_ok());
            assert!(seen.insert(n));
        }
    }

    #[test]
    fn the_first_patient_has_the_documented_demo_number_and_practice() {
        let p = Population::new(DEFAULT_SIZE).patient(0).unwrap();
        assert_eq!(p.nhs_number.as_digits(), "9990000018");
        assert_eq!(p.practice_ods, crate::organisations::FIRST_PRACTICE_ODS);
        assert!(p.has_active(HYPERTENSION) && p.has_active(DIABETES));
        assert!(!p.providers.is_empty());
    }

    #[test]
    fn find_is_the_inverse_of_patient_even_at_two_million() {
        let pop = Population::with_seed(MAX_SIZE, 9, 80);
        for i in [0, 1, 8, 99_999, 1_234_567, MAX_SIZE - 1] {
            let p = pop.patient(i).unwrap();
            assert_eq!(pop.find(&p.nhs_number).unwrap().index, i);
        }
        assert!(pop.find(&nhs_for_index(MAX_SIZE)).is_none());
        assert!(pop.find(&NhsNumber::parse("9434765919").unwrap()).is_none());
    }

    #[test]
    fn every_edge_case_has_an_example_in_the_default_population() {
        let pop = Population::new(DEFAULT_SIZE);
        for case in EdgeCase::ALL {
            let p = pop.example(case).unwrap_or_else(|| panic!("no {case:?}"));
            assert!(p.index >= ORDINARY_PREFIX);
        }
    }

    #[test]
    fn the_first_patients_are_ordinary() {
        let pop = Population::new(DEFAULT_SIZE);
        for i in 0..ORDINARY_PREFIX {
            let p = pop.patient(i).unwrap();
            assert!(!p.dissented && p.deceased.is_none() && !p.huge_record);
            assert!(!p.has_sensitive_items() && !p.gp_withholds_items && !p.data_in_transit);
        }
    }

    #[test]
    fn prevalence_of_hypertension_in_the_over_sixties_is_plausible() {
        let pop = Population::new(DEFAULT_SIZE);
        let (mut over_sixty, mut hypertensive) = (0, 0);
        for i in 0..5000 {
            let p = pop.patient(i).unwrap();
            if p.age() >= 60 {
                over_sixty += 1;
                hypertensive += usize::from(p.has_active(HYPERTENSION));
            }
        }
        let share = hypertensive as f64 / over_sixty as f64;
        assert!((0.2..0.6).contains(&share), "{share}");
    }

    #[test]
    fn medicines_start_after_their_problem_and_stop_by_death() {
        let pop = Population::new(DEFAULT_SIZE);
        for i in 0..2000 {
            let p = pop.patient(i).unwrap();
            for m in &p.medicines {
                if let Some(k) = m.for_problem {
                    assert!(m.start >= p.problems[k].onset);
                }
                if let (Some(death), Some(end)) = (p.deceased, m.end) {
                    assert!(end <= death);
                }
                if p.deceased.is_some() {
                    assert!(!m.is_current());
                }
            }
        }
    }
}
