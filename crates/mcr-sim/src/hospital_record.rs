//! What a secondary or community provider holds about a patient: encounters (A&E
//! attendances, admissions with discharge, outpatient clinics, community and
//! mental-health contacts), diagnoses, pathology and radiology, discharge summaries and
//! letters (with their narrative), discharge medications that *differ* from the GP's
//! repeats, and care plans. Derived from the [`Patient`], the GP record and the seed.

use crate::codes::{
    self, ADMISSION_DIAGNOSES, ADMISSION_PROCEDURES, CRP_PANEL, Concept, ED_DIAGNOSES, FBC,
    HOSPITAL_STARTS, IMAGING, MEDICINES, PrescriptionKind, RENAL,
};
use crate::dates::{Day, date};
use crate::gp_record::{LabReport, value};
use crate::organisations::{PROVIDERS, ProviderKind};
use crate::population::Patient;
use crate::rng::Rng;

/// The kind of a hospital or community encounter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncounterKind {
    /// An A&E attendance.
    Emergency,
    /// An inpatient stay.
    Inpatient,
    /// An outpatient clinic appointment.
    Outpatient,
    /// A community (home) visit.
    HomeVisit,
}

/// An encounter.
#[derive(Debug, Clone)]
pub struct Encounter {
    /// Kind.
    pub kind: EncounterKind,
    /// First day.
    pub start: Day,
    /// Minutes past midnight of arrival.
    pub minute: u32,
    /// Last day (same day for attendances).
    pub end: Day,
    /// Main diagnosis or reason.
    pub diagnosis: Concept,
    /// Procedure done, if any.
    pub procedure: Option<Concept>,
    /// Specialty or service.
    pub service: &'static str,
}

/// How a discharge medication compares with the GP's repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MedicationChange {
    /// Continued as before.
    Unchanged,
    /// Started in hospital.
    Started,
    /// Stopped in hospital (listed so the GP knows to stop it).
    Stopped,
    /// Replaced by another product or strength (the GP product it replaces).
    Changed {
        /// The GP's product.
        from: Concept,
    },
}

/// A medication on the discharge list.
#[derive(Debug, Clone)]
pub struct DischargeMedication {
    /// The product now.
    pub concept: Concept,
    /// Dosage.
    pub dosage: &'static str,
    /// Against the GP's list.
    pub change: MedicationChange,
    /// The admission (index into encounters).
    pub encounter: usize,
}

/// A radiology report.
#[derive(Debug, Clone)]
pub struct ImagingReport {
    /// The examination.
    pub exam: Concept,
    /// Day.
    pub day: Day,
    /// The radiologist's conclusion.
    pub conclusion: &'static str,
    /// The encounter it belongs to.
    pub encounter: usize,
}

/// A clinical document (discharge summary or letter) with its text.
#[derive(Debug, Clone)]
pub struct Document {
    /// Type.
    pub kind: Concept,
    /// Title.
    pub title: String,
    /// Day written.
    pub day: Day,
    /// The encounter it belongs to.
    pub encounter: usize,
    /// Plain-text content.
    pub text: String,
}

/// A care plan.
#[derive(Debug, Clone)]
pub struct CarePlan {
    /// Title.
    pub title: &'static str,
    /// What is planned.
    pub description: &'static str,
    /// Start.
    pub start: Day,
    /// `active` or `completed`.
    pub status: &'static str,
}

/// What one provider holds about one patient.
#[derive(Debug, Clone)]
pub struct HospitalRecord {
    /// Index into [`PROVIDERS`].
    pub provider: usize,
    /// Encounters, oldest first.
    pub encounters: Vec<Encounter>,
    /// Pathology, with the encounter each belongs to.
    pub lab_reports: Vec<(LabReport, usize)>,
    /// Radiology.
    pub imaging: Vec<ImagingReport>,
    /// Discharge summaries and letters.
    pub documents: Vec<Document>,
    /// Discharge medications of the latest admission.
    pub discharge_medications: Vec<DischargeMedication>,
    /// Care plans.
    pub care_plans: Vec<CarePlan>,
    /// An observation recorded against the wrong patient and marked entered-in-error.
    pub entered_in_error: bool,
}

impl HospitalRecord {
    /// The record provider `provider` holds for `p`, or `None` if it has never seen them.
    pub fn generate(seed: u64, p: &Patient, provider: usize) -> Option<Self> {
        if !p.providers.contains(&provider) {
            return None;
        }
        let mut rng = Rng::new(seed, p.index as u64, 100 + provider as u64);
        let last = p.last_day();
        let earliest = (last - 6 * 365).max(p.birth);
        let when =
            |rng: &mut Rng| earliest + rng.range(0, i64::from((last - earliest - 2).max(0))) as Day;
        let mut encounters = Vec::new();
        match PROVIDERS[provider].kind {
            ProviderKind::AcuteTrust => {
                for _ in 0..rng.range(1, 3) {
                    let d = when(&mut rng);
                    encounters.push(Encounter {
                        kind: EncounterKind::Emergency,
                        start: d,
                        minute: rng.range(0, 1439) as u32,
                        end: d,
                        diagnosis: *rng.pick(ED_DIAGNOSES),
                        procedure: None,
                        service: "Emergency medicine",
                    });
                }
                let admissions = if p.age() >= 70 {
                    rng.range(1, 3)
                } else {
                    rng.range(0, 2)
                };
                // The demo patient has been admitted, so the GP and hospital medication
                // lists have something to disagree about.
                let admissions = if p.index == 0 {
                    admissions.max(1)
                } else {
                    admissions
                };
                for k in 0..admissions {
                    let d = when(&mut rng);
                    let which = rng.below(ADMISSION_DIAGNOSES.len() as u64) as usize;
                    encounters.push(Encounter {
                        kind: EncounterKind::Inpatient,
                        start: d,
                        minute: rng.range(0, 1439) as u32,
                        end: (d + rng.range(1, 12) as Day).min(last),
                        diagnosis: ADMISSION_DIAGNOSES[which],
                        procedure: ADMISSION_PROCEDURES[which],
                        service: if k % 2 == 0 {
                            "General medicine"
                        } else {
                            "Care of the elderly"
                        },
                    });
                }
                for _ in 0..rng.range(0, 2) {
                    let d = when(&mut rng);
                    let problem = p.problems.iter().find(|e| e.resolved.is_none());
                    let service = match problem.map(|e| e.def) {
                        Some(codes::DIABETES) | Some(8) => "Diabetes and endocrinology",
                        Some(codes::HYPERTENSION) | Some(4) | Some(10) | Some(11) => "Cardiology",
                        Some(2) | Some(3) => "Respiratory medicine",
                        Some(codes::CKD) => "Renal medicine",
                        Some(9) => "Trauma and orthopaedics",
                        _ => "General medicine",
                    };
                    encounters.push(Encounter {
                        kind: EncounterKind::Outpatient,
                        start: d,
                        minute: 9 * 60 + 15 * rng.below(28) as u32,
                        end: d,
                        diagnosis: problem.map_or(codes::ED_DIAGNOSES[0], |e| e.concept),
                        procedure: None,
                        service,
                    });
                }
            }
            ProviderKind::MentalHealth => {
                let reason = p
                    .problems
                    .iter()
                    .find(|e| e.def == 6 || e.def == 7)
                    .map_or(codes::PROBLEMS[6].concept, |e| e.concept);
                for _ in 0..rng.range(1, 4) {
                    let d = when(&mut rng);
                    encounters.push(Encounter {
                        kind: EncounterKind::Outpatient,
                        start: d,
                        minute: 10 * 60 + 30 * rng.below(12) as u32,
                        end: d,
                        diagnosis: reason,
                        procedure: None,
                        service: "Community mental health team",
                    });
                }
            }
            ProviderKind::Community => {
                for _ in 0..rng.range(2, 6) {
                    let d = when(&mut rng);
                    encounters.push(Encounter {
                        kind: EncounterKind::HomeVisit,
                        start: d,
                        minute: 9 * 60 + 20 * rng.below(24) as u32,
                        end: d,
                        diagnosis: codes::PROBLEMS[9].concept,
                        procedure: None,
                        service: "District nursing",
                    });
                }
            }
        }
        encounters.sort_by_key(|e| (e.start, e.minute));

        let mut lab_reports = Vec::new();
        let mut imaging = Vec::new();
        let mut documents = Vec::new();
        for (k, e) in encounters.iter().enumerate() {
            if matches!(e.kind, EncounterKind::Emergency | EncounterKind::Inpatient) {
                for panel in [&FBC, &RENAL, &CRP_PANEL] {
                    let values = panel
                        .tests
                        .iter()
                        .map(|t| {
                            (
                                *t,
                                value(&mut rng, p, t, e.start, None, p.has_active(codes::CKD)),
                            )
                        })
                        .collect();
                    lab_reports.push((
                        LabReport {
                            panel,
                            day: e.start,
                            values,
                        },
                        k,
                    ));
                }
                if e.kind == EncounterKind::Inpatient || rng.chance(0.4) {
                    let (exam, normal, abnormal) = *rng.pick(IMAGING);
                    imaging.push(ImagingReport {
                        exam,
                        day: e.start,
                        conclusion: if rng.chance(0.5) { normal } else { abnormal },
                        encounter: k,
                    });
                }
            }
            if let Some(doc) = document(p, e, &mut rng) {
                documents.push(Document {
                    encounter: k,
                    ..doc
                });
            }
        }

        let discharge_medications = encounters
            .iter()
            .rposition(|e| e.kind == EncounterKind::Inpatient)
            .map(|k| discharge_medications(&mut rng, p, k, encounters[k].end))
            .unwrap_or_default();
        if let Some(summary) = documents
            .iter_mut()
            .rev()
            .find(|d| d.kind == codes::documents::DISCHARGE_SUMMARY)
        {
            summary.text.push_str("\n\nMedication changes:\n");
            for m in &discharge_medications {
                let line = match &m.change {
                    MedicationChange::Unchanged => continue,
                    MedicationChange::Started => {
                        format!("- STARTED {} — {}", m.concept.display, m.dosage)
                    }
                    MedicationChange::Stopped => format!("- STOPPED {}", m.concept.display),
                    MedicationChange::Changed { from } => {
                        format!(
                            "- CHANGED {} to {} — {}",
                            from.display, m.concept.display, m.dosage
                        )
                    }
                };
                summary.text.push_str(&line);
                summary.text.push('\n');
            }
        }

        let care_plans = care_plans(&mut rng, p, provider, &encounters);
        Some(Self {
            provider,
            encounters,
            lab_reports,
            imaging,
            documents,
            discharge_medications,
            care_plans,
            entered_in_error: p.index >= crate::population::ORDINARY_PREFIX && rng.chance(0.03),
        })
    }

    /// How many Observations the record yields.
    pub fn observation_count(&self) -> usize {
        self.lab_reports
            .iter()
            .map(|(r, _)| r.values.len())
            .sum::<usize>()
            + usize::from(self.entered_in_error)
    }
}

fn document(p: &Patient, e: &Encounter, rng: &mut Rng) -> Option<Document> {
    let name = p.display_name();
    let (kind, title, text) = match e.kind {
        EncounterKind::Inpatient => (
            codes::documents::DISCHARGE_SUMMARY,
            "Discharge summary".to_string(),
            format!(
                "Patient: {name}\nAdmitted: {} under {}\nDischarged: {}\n\nDiagnosis: {}\n{}\nClinical course: {}\n\nFollow-up: GP to review in 2 weeks; bloods (U&E) in 1 week.",
                date(e.start),
                e.service,
                date(e.end),
                e.diagnosis.display,
                e.procedure.map_or(String::new(), |c| format!("Procedure: {}\n", c.display)),
                rng.pick(&[
                    "Treated with intravenous antibiotics, switched to oral on day 3. Mobilising independently at discharge.",
                    "Managed on the ward with fluids and monitoring. Improved steadily.",
                    "Seen by physiotherapy and occupational therapy; package of care restarted.",
                ]),
            ),
        ),
        EncounterKind::Emergency => (
            codes::documents::CLINICAL_LETTER,
            "Emergency department discharge letter".to_string(),
            format!(
                "Patient: {name}\nAttended the Emergency Department on {}.\nPresenting complaint and diagnosis: {}.\nDischarged home with advice. No GP action required.",
                date(e.start),
                e.diagnosis.display
            ),
        ),
        EncounterKind::Outpatient => (
            codes::documents::CLINICAL_LETTER,
            format!("{} clinic letter", e.service),
            format!(
                "Dear Dr,\n\nRe: {name}\n\nI reviewed this patient in the {} clinic on {} regarding {}. {}\n\nYours sincerely,\nConsultant",
                e.service.to_lowercase(),
                date(e.start),
                e.diagnosis.display.to_lowercase(),
                rng.pick(&[
                    "They are stable and I have discharged them back to your care.",
                    "I have arranged further investigations and will see them again in 3 months.",
                ]),
            ),
        ),
        EncounterKind::HomeVisit => return None,
    };
    Some(Document {
        kind,
        title,
        day: e.end,
        encounter: 0,
        text,
    })
}

fn discharge_medications(
    rng: &mut Rng,
    p: &Patient,
    encounter: usize,
    discharged: Day,
) -> Vec<DischargeMedication> {
    let mut out = Vec::new();
    let repeats: Vec<_> = p
        .medicines
        .iter()
        .filter(|m| {
            m.kind == PrescriptionKind::Repeat
                && m.start <= discharged
                && m.end.is_none_or(|e| e > discharged)
        })
        .collect();
    let mut stopped_one = false;
    for m in &repeats {
        let def = &MEDICINES[m.medicine];
        let change = match def.hospital_change {
            Some(to) if rng.chance(0.7) => {
                out.push(DischargeMedication {
                    concept: MEDICINES[to].concept,
                    dosage: MEDICINES[to].dosage,
                    change: MedicationChange::Changed { from: m.concept },
                    encounter,
                });
                continue;
            }
            _ if !stopped_one && repeats.len() > 2 && rng.chance(0.3) => {
                stopped_one = true;
                MedicationChange::Stopped
            }
            _ => MedicationChange::Unchanged,
        };
        out.push(DischargeMedication {
            concept: m.concept,
            dosage: m.dosage,
            change,
            encounter,
        });
    }
    // Something new is started at most discharges.
    if out.iter().all(|m| m.change == MedicationChange::Unchanged) || rng.chance(0.5) {
        let candidates: Vec<usize> = HOSPITAL_STARTS
            .iter()
            .copied()
            .filter(|s| !out.iter().any(|m| m.concept == MEDICINES[*s].concept))
            .collect();
        if !candidates.is_empty() {
            let s = *rng.pick(&candidates);
            out.push(DischargeMedication {
                concept: MEDICINES[s].concept,
                dosage: MEDICINES[s].dosage,
                change: MedicationChange::Started,
                encounter,
            });
        }
    }
    out
}

fn care_plans(
    rng: &mut Rng,
    p: &Patient,
    provider: usize,
    encounters: &[Encounter],
) -> Vec<CarePlan> {
    let start = encounters.first().map_or(p.last_day(), |e| e.start);
    let status = if p.deceased.is_some() {
        "completed"
    } else {
        "active"
    };
    match PROVIDERS[provider].kind {
        ProviderKind::MentalHealth => vec![CarePlan {
            title: "Care Programme Approach care plan",
            description: "Fortnightly contact with care coordinator; medication review with psychiatrist every 3 months; crisis line numbers given.",
            start,
            status,
        }],
        ProviderKind::Community => vec![CarePlan {
            title: if rng.chance(0.5) {
                "Pressure area care plan"
            } else {
                "Leg ulcer care plan"
            },
            description: "District nurse visits twice weekly; dressing changes; skin inspection and repositioning advice.",
            start,
            status,
        }],
        ProviderKind::AcuteTrust => encounters
            .iter()
            .rev()
            .find(|e| e.kind == EncounterKind::Inpatient)
            .map(|e| CarePlan {
                title: "Discharge care plan",
                description: "Reablement for 6 weeks; falls prevention advice; GP follow-up in 2 weeks.",
                start: e.end,
                status: if e.end + 42 < p.last_day() { "completed" } else { status },
            })
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::{EdgeCase, Population};

    #[test]
    fn a_provider_that_never_saw_the_patient_has_no_record() {
        let pop = Population::new(100_000);
        let p = pop.example(EdgeCase::NoHospitalContact).unwrap();
        for k in 0..crate::organisations::ACUTE_TRUSTS {
            assert!(HospitalRecord::generate(1, &p, k).is_none());
        }
    }

    #[test]
    fn discharge_medications_differ_from_the_gp_repeats() {
        let pop = Population::new(100_000);
        let mut checked = 0;
        for i in 0..3000 {
            let p = pop.patient(i).unwrap();
            for &k in &p.providers {
                let Some(r) = HospitalRecord::generate(1, &p, k) else {
                    continue;
                };
                if r.discharge_medications.is_empty() {
                    continue;
                }
                checked += 1;
                assert!(
                    r.discharge_medications
                        .iter()
                        .any(|m| m.change != MedicationChange::Unchanged),
                    "patient {i}"
                );
            }
        }
        assert!(checked > 50, "{checked}");
    }

    #[test]
    fn the_demo_patient_has_a_record_at_their_local_trust() {
        let p = Population::new(100_000).patient(0).unwrap();
        let r = HospitalRecord::generate(1, &p, p.providers[0]).unwrap();
        assert!(!r.encounters.is_empty());
        assert!(!r.lab_reports.is_empty());
    }

    #[test]
    fn discharge_summaries_list_the_medication_changes() {
        let pop = Population::new(100_000);
        let found = (0..3000).find_map(|i| {
            let p = pop.patient(i)?;
            p.providers.iter().find_map(|&k| {
                let r = HospitalRecord::generate(1, &p, k)?;
                r.documents
                    .iter()
                    .find(|d| {
                        d.kind == codes::documents::DISCHARGE_SUMMARY && d.text.contains("STARTED")
                    })
                    .cloned()
            })
        });
        assert!(found.unwrap().text.contains("Diagnosis:"));
    }
}
