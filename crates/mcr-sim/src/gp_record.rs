//! The GP side of a patient's record beyond the problem list: allergies, immunisations,
//! blood pressure and pathology series with trends, consultations, referrals and the
//! odd entered-in-error entry — derived from the [`Patient`] and the seed alone.
//!
//! Time courses follow the problems: a hypertensive patient has a blood pressure every
//! six months that falls after treatment starts; a diabetic patient's HbA1c is checked
//! every six months and drifts down from diagnosis; chronic kidney disease shows as a
//! slowly falling eGFR. A patient with a huge record also has years of twice-daily home
//! blood pressure readings (over 5,000 observations).

use crate::codes::{
    self, ALLERGIES, AllergyDef, CKD, Concept, DIABETES, FBC, HBA1C_PANEL, HYPERTENSION, LIPIDS,
    PanelDef, REFERRALS, RENAL, TestDef, VaccineDef,
};
use crate::dates::{AS_OF, Day, civil, day};
use crate::population::Patient;
use crate::rng::Rng;

/// An allergy on the record.
#[derive(Debug, Clone)]
pub struct Allergy {
    /// What it is.
    pub def: &'static AllergyDef,
    /// When recorded.
    pub onset: Day,
    /// When it was marked resolved (an ended allergy).
    pub ended: Option<Day>,
}

/// A laboratory report with its results.
#[derive(Debug, Clone)]
pub struct LabReport {
    /// The panel.
    pub panel: &'static PanelDef,
    /// Day the specimen was taken.
    pub day: Day,
    /// Results, one per test of the panel.
    pub values: Vec<(TestDef, f64)>,
}

/// A blood pressure reading.
#[derive(Debug, Clone, Copy)]
pub struct BloodPressure {
    /// Day.
    pub day: Day,
    /// Minutes past midnight.
    pub minute: u32,
    /// Systolic, mmHg.
    pub systolic: u32,
    /// Diastolic, mmHg.
    pub diastolic: u32,
    /// Taken by the patient at home.
    pub home: bool,
}

/// A GP consultation.
#[derive(Debug, Clone)]
pub struct Consultation {
    /// Day.
    pub day: Day,
    /// Minutes past midnight.
    pub minute: u32,
    /// The problem it was about, if any.
    pub problem: Option<Concept>,
    /// The clinician's note.
    pub note: String,
}

/// An outbound referral.
#[derive(Debug, Clone)]
pub struct Referral {
    /// Day.
    pub day: Day,
    /// Reason code.
    pub reason: Concept,
    /// The specialty referred to.
    pub specialty: &'static str,
}

/// The GP record beyond problems and medicines.
#[derive(Debug, Clone, Default)]
pub struct GpRecord {
    /// Allergies, current and ended.
    pub allergies: Vec<Allergy>,
    /// "No known drug allergy" was recorded.
    pub no_known_drug_allergy: bool,
    /// Immunisations given.
    pub immunisations: Vec<(VaccineDef, Day)>,
    /// Blood pressures, oldest first.
    pub blood_pressures: Vec<BloodPressure>,
    /// Pathology reports, oldest first.
    pub lab_reports: Vec<LabReport>,
    /// Consultations, oldest first.
    pub consultations: Vec<Consultation>,
    /// Referrals.
    pub referrals: Vec<Referral>,
    /// A problem recorded by mistake and marked entered-in-error.
    pub entered_in_error: Option<(Concept, Day)>,
}

const STREAM: u64 = 20;

/// Results are generated for this many years back.
const HISTORY_YEARS: i32 = 8;

impl GpRecord {
    /// The record of `p` under `seed`.
    pub fn generate(seed: u64, p: &Patient) -> Self {
        let mut rng = Rng::new(seed, p.index as u64, STREAM);
        let last = p.last_day();
        let from = (last - HISTORY_YEARS * 365)
            .max(p.birth + 365 * 16)
            .max(p.registered_since - 3650);

        let mut allergies = Vec::new();
        for def in ALLERGIES {
            if rng.chance(def.prevalence) {
                let onset = p.birth + rng.range(365, i64::from((last - p.birth).max(366))) as Day;
                let ended = rng
                    .chance(0.1)
                    .then(|| (onset + rng.range(100, 3000) as Day).min(last));
                allergies.push(Allergy {
                    def,
                    onset: onset.min(last),
                    ended,
                });
            }
        }
        let no_known_drug_allergy = allergies.is_empty() && rng.chance(0.6);

        let mut immunisations = Vec::new();
        let age = p.age();
        if age >= 65 {
            for season in [2022, 2023, 2024, 2025] {
                let d = day(season, 10, 1) + rng.range(0, 40) as Day;
                if d <= last && rng.chance(0.75) {
                    immunisations.push((codes::FLU, d));
                }
            }
            let d = p.birth + 65 * 365 + rng.range(0, 300) as Day;
            if d <= last && rng.chance(0.7) {
                immunisations.push((codes::PNEUMOCOCCAL, d));
            }
        }
        if age >= 50 && rng.chance(0.9) {
            let d = day(2021, 1, 10) + rng.range(0, 90) as Day;
            if d <= last {
                immunisations.push((codes::COVID, d));
            }
        }
        if rng.chance(0.05) {
            let d = (last - rng.range(100, 3000) as Day).max(p.birth + 400);
            immunisations.push((codes::HEPATITIS_A, d));
        }
        immunisations.sort_by_key(|(_, d)| *d);

        let blood_pressures = blood_pressures(&mut rng, p, from, last);
        let lab_reports = lab_reports(&mut rng, p, from, last);

        let mut consultations = Vec::new();
        let n = if age >= 65 {
            rng.range(3, 9)
        } else {
            rng.range(0, 5)
        };
        for _ in 0..n {
            let d = last - rng.range(5, 3 * 365) as Day;
            if d < p.birth {
                continue;
            }
            let problem = (!p.problems.is_empty() && rng.chance(0.7))
                .then(|| p.problems[rng.below(p.problems.len() as u64) as usize].concept);
            let note = match problem {
                Some(c) => format!(
                    "Review of {}. {}",
                    c.display.to_lowercase(),
                    rng.pick(CONSULTATION_NOTES)
                ),
                None => rng.pick(GENERAL_NOTES).to_string(),
            };
            consultations.push(Consultation {
                day: d,
                minute: 8 * 60 + 30 + 10 * rng.below(50) as u32,
                problem,
                note,
            });
        }
        consultations.sort_by_key(|c| (c.day, c.minute));

        let mut referrals = Vec::new();
        if age >= 18 && rng.chance(0.25) {
            let (reason, specialty) = *rng.pick(REFERRALS);
            referrals.push(Referral {
                day: last - rng.range(20, 1500) as Day,
                reason,
                specialty,
            });
        }

        let entered_in_error = (p.index >= crate::population::ORDINARY_PREFIX && rng.chance(0.02))
            .then(|| {
                let c = codes::PROBLEMS[rng.below(5) as usize].concept;
                (c, last - rng.range(10, 400) as Day)
            });

        Self {
            allergies,
            no_known_drug_allergy,
            immunisations,
            blood_pressures,
            lab_reports,
            consultations,
            referrals,
            entered_in_error,
        }
    }

    /// How many observations a GP Connect bundle carries for this record.
    pub fn observation_count(&self) -> usize {
        self.blood_pressures.len() * 3
            + self
                .lab_reports
                .iter()
                .map(|r| r.values.len())
                .sum::<usize>()
    }
}

const CONSULTATION_NOTES: &[&str] = &[
    "Stable. Continue current treatment.",
    "Symptoms improving. Review in 3 months.",
    "Discussed lifestyle measures. Bloods requested.",
    "Patient reports side effects; options discussed and plan agreed.",
    "Doing well. Medication review done.",
];

const GENERAL_NOTES: &[&str] = &[
    "Cough for 10 days, no red flags. Safety-netted.",
    "Lower back pain after lifting. Analgesia and advice.",
    "Rash on forearm, likely contact dermatitis. Emollients.",
    "Tired all the time. Bloods requested.",
    "Sore throat, FeverPAIN 1. Self-care advice.",
];

fn blood_pressures(rng: &mut Rng, p: &Patient, from: Day, last: Day) -> Vec<BloodPressure> {
    let hypertensive = p
        .problems
        .iter()
        .find(|e| e.def == HYPERTENSION)
        .map(|e| e.onset);
    let interval: Day = if hypertensive.is_some() { 182 } else { 3 * 365 };
    let mut out = Vec::new();
    if p.age() < 18 {
        return out;
    }
    let mut d = from + rng.range(0, i64::from(interval)) as Day;
    while d <= last {
        // Untreated hypertension reads high; treatment brings it down.
        let (sys, dia) = match hypertensive {
            Some(onset) if d < onset => (150.0, 92.0),
            Some(onset) if d < onset + 180 => (158.0, 95.0),
            Some(_) => (138.0, 84.0),
            None => (124.0, 78.0),
        };
        out.push(BloodPressure {
            day: d,
            minute: 9 * 60 + 10 * rng.below(48) as u32,
            systolic: (sys + 8.0 * rng.normal()).round().clamp(85.0, 220.0) as u32,
            diastolic: (dia + 6.0 * rng.normal()).round().clamp(45.0, 130.0) as u32,
            home: false,
        });
        d += interval - 20 + rng.range(0, 40) as Day;
    }
    if p.huge_record {
        // Twice-daily home readings for seven years: thousands of observations.
        let start = last - 7 * 365;
        for d in start..=last {
            for minute in [7 * 60 + 30, 21 * 60] {
                out.push(BloodPressure {
                    day: d,
                    minute,
                    systolic: (135.0 + 9.0 * rng.normal()).round() as u32,
                    diastolic: (82.0 + 6.0 * rng.normal()).round() as u32,
                    home: true,
                });
            }
        }
    }
    out.sort_by_key(|b| (b.day, b.minute));
    out
}

fn lab_reports(rng: &mut Rng, p: &Patient, from: Day, last: Day) -> Vec<LabReport> {
    let mut out = Vec::new();
    if p.age() < 18 {
        return out;
    }
    let diabetes = p
        .problems
        .iter()
        .find(|e| e.def == DIABETES)
        .map(|e| e.onset);
    let ckd = p.has_active(CKD);
    let monitored = diabetes.is_some() || ckd || p.has_active(HYPERTENSION);
    let mut schedule: Vec<(&'static PanelDef, i32)> = Vec::new();
    if diabetes.is_some() {
        schedule.push((&HBA1C_PANEL, 182));
        schedule.push((&LIPIDS, 365));
    }
    if monitored {
        schedule.push((&RENAL, 365));
    } else if p.age() >= 40 {
        schedule.push((&LIPIDS, 5 * 365));
    }
    if p.age() >= 60 || rng.chance(0.3) {
        schedule.push((&FBC, 2 * 365));
    }
    for (panel, interval) in schedule {
        let mut d = from + rng.range(0, i64::from(interval)) as Day;
        while d <= last {
            let values = panel
                .tests
                .iter()
                .map(|t| (*t, value(rng, p, t, d, diabetes, ckd)))
                .collect();
            out.push(LabReport {
                panel,
                day: d,
                values,
            });
            d += interval - 15 + rng.range(0, 30) as Day;
        }
    }
    out.sort_by_key(|r| (r.day, r.panel.snomed.code));
    out
}

/// A plausible value of test `t` for `p` on day `d`.
pub fn value(
    rng: &mut Rng,
    p: &Patient,
    t: &TestDef,
    d: Day,
    diabetes: Option<Day>,
    ckd: bool,
) -> f64 {
    let years_since = |onset: Day| f64::from(d - onset) / 365.25;
    let female = p.gender == "female";
    let v = match t.snomed.code {
        // HbA1c: high at diagnosis, falls with treatment, creeps back up over years.
        "999791000000106" => match diabetes {
            Some(onset) if d >= onset => {
                let y = years_since(onset);
                let base = if y < 1.0 {
                    68.0 - 14.0 * y
                } else {
                    // Creeps back up over the years, then plateaus as treatment is added.
                    54.0 + 1.2 * (y - 1.0).min(8.0)
                };
                base + 4.0 * rng.normal()
            }
            _ => 36.0 + 2.5 * rng.normal(),
        },
        // eGFR: declines with age, faster in CKD.
        "1011481000000105" => {
            let age = f64::from(crate::dates::age_on(p.birth, d));
            let base = if ckd {
                52.0 + 0.8 * f64::from(AS_OF - d) / 365.25
            } else {
                105.0 - 0.7 * age
            };
            (base + 5.0 * rng.normal()).clamp(8.0, 130.0)
        }
        "1000731000000107" => {
            (if ckd {
                125.0
            } else if female {
                70.0
            } else {
                85.0
            }) + 10.0 * rng.normal()
        }
        "1000661000000107" => 139.0 + 2.5 * rng.normal(),
        "1000651000000109" => 4.3 + 0.35 * rng.normal(),
        "1005671000000105" => 5.2 + 0.9 * rng.normal(),
        "1005681000000107" => (if female { 1.5 } else { 1.2 }) + 0.25 * rng.normal(),
        "1022431000000105" => (if female { 132.0 } else { 146.0 }) + 10.0 * rng.normal(),
        "1022541000000102" => 7.0 + 1.6 * rng.normal(),
        "1022651000000100" => 260.0 + 55.0 * rng.normal(),
        "1022491000000106" => 90.0 + 4.0 * rng.normal(),
        "1022551000000104" => 4.4 + 1.1 * rng.normal(),
        "135842001" => (3.0 + 4.0 * rng.normal().abs()).max(1.0),
        "27113001" => 78.0 + 14.0 * rng.normal(),
        _ => t.range.map_or(1.0, |(lo, hi)| (lo + hi) / 2.0),
    };
    let scale = 10f64.powi(t.decimals as i32);
    (v.max(0.0) * scale).round() / scale
}

/// `H`, `L` or `N` against the test's reference range.
pub fn interpretation(t: &TestDef, v: f64) -> Option<&'static str> {
    let (lo, hi) = t.range?;
    Some(if v > hi {
        "H"
    } else if v < lo {
        "L"
    } else {
        "N"
    })
}

/// The year of a day (for labels).
pub fn year(d: Day) -> i32 {
    civil(d).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::{EdgeCase, Population};

    #[test]
    fn the_same_patient_and_seed_give_the_same_record() {
        let pop = Population::new(10_000);
        let p = pop.patient(0).unwrap();
        let a = GpRecord::generate(1, &p);
        let b = GpRecord::generate(1, &p);
        assert_eq!(a.blood_pressures.len(), b.blood_pressures.len());
        assert_eq!(
            a.lab_reports
                .iter()
                .flat_map(|r| r.values.iter().map(|v| v.1))
                .collect::<Vec<_>>(),
            b.lab_reports
                .iter()
                .flat_map(|r| r.values.iter().map(|v| v.1))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_demo_patient_has_hba1c_series_and_blood_pressures() {
        let p = Population::new(10_000).patient(0).unwrap();
        let r = GpRecord::generate(1, &p);
        assert!(
            r.lab_reports
                .iter()
                .filter(|l| l.panel.snomed.code == "43396009")
                .count()
                >= 4
        );
        assert!(r.blood_pressures.len() >= 4);
    }

    #[test]
    fn a_huge_record_has_at_least_five_thousand_observations() {
        let pop = Population::new(100_000);
        let p = pop.example(EdgeCase::HugeRecord).unwrap();
        assert!(GpRecord::generate(pop.seed(), &p).observation_count() >= 5_000);
    }

    #[test]
    fn nothing_is_recorded_after_death() {
        let pop = Population::new(100_000);
        let p = pop.example(EdgeCase::Deceased).unwrap();
        let r = GpRecord::generate(pop.seed(), &p);
        let death = p.deceased.unwrap();
        assert!(r.blood_pressures.iter().all(|b| b.day <= death));
        assert!(r.lab_reports.iter().all(|l| l.day <= death));
        assert!(r.immunisations.iter().all(|(_, d)| *d <= death));
    }

    #[test]
    fn results_outside_the_reference_range_are_flagged() {
        assert_eq!(interpretation(&codes::HBA1C, 64.0), Some("H"));
        assert_eq!(interpretation(&codes::HBA1C, 35.0), Some("N"));
        assert_eq!(interpretation(&codes::SYSTOLIC, 200.0), None);
    }
}
