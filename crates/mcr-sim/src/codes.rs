//! The code tables the generator draws on: SNOMED CT problems, procedures, allergies,
//! immunisations and document types; dm+d medicines (virtual medicinal products, whose
//! ids are SNOMED CT concepts); LOINC and SNOMED CT pathology codes with UCUM units and
//! reference ranges.
//!
//! These are facts, embedded so the simulator needs nothing at run time. Codes marked
//! `seen` appear in NHS examples (`codes/nhs-example-codings.tsv` in the shared
//! fixtures); the others are from the SNOMED CT UK and dm+d releases as remembered when
//! this table was written — check them against TRUD before relying on one clinically.

/// The SNOMED CT system URI.
pub const SNOMED: &str = "http://snomed.info/sct";
/// The LOINC system URI.
pub const LOINC: &str = "http://loinc.org";
/// The UCUM system URI.
pub const UCUM: &str = "http://unitsofmeasure.org";

/// A coded concept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concept {
    /// The concept id.
    pub code: &'static str,
    /// Its preferred term.
    pub display: &'static str,
}

const fn c(code: &'static str, display: &'static str) -> Concept {
    Concept { code, display }
}

/// Why a problem is on the record: shapes who gets it and what follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitivity {
    /// An ordinary item.
    Ordinary,
    /// Sexual health, fertility treatment or gender identity: withheld by policy.
    Sensitive,
}

/// A long-term or past problem with the prevalence model the generator uses.
#[derive(Debug, Clone, Copy)]
pub struct ProblemDef {
    /// The SNOMED CT concept.
    pub concept: Concept,
    /// Youngest age at diagnosis.
    pub min_age: i32,
    /// Probability of having it by age 75 (scaled linearly from `min_age`).
    pub prevalence: f64,
    /// Only recorded for women.
    pub female_only: bool,
    /// Resolved within weeks (a past problem) rather than long-term.
    pub resolves: bool,
    /// Sensitivity.
    pub sensitivity: Sensitivity,
    /// Medicines started at diagnosis (indexes into [`MEDICINES`]).
    pub treatments: &'static [usize],
}

const fn problem(
    concept: Concept,
    min_age: i32,
    prevalence: f64,
    treatments: &'static [usize],
) -> ProblemDef {
    ProblemDef {
        concept,
        min_age,
        prevalence,
        female_only: false,
        resolves: false,
        sensitivity: Sensitivity::Ordinary,
        treatments,
    }
}

/// Index of hypertension in [`PROBLEMS`].
pub const HYPERTENSION: usize = 0;
/// Index of type 2 diabetes in [`PROBLEMS`].
pub const DIABETES: usize = 1;
/// Index of chronic kidney disease stage 3 in [`PROBLEMS`].
pub const CKD: usize = 5;

/// Problems, long-term first. Prevalence figures are rounded from QOF registers.
pub const PROBLEMS: &[ProblemDef] = &[
    problem(
        c("38341003", "Hypertensive disorder, systemic arterial"),
        35,
        0.40,
        &[0, 2],
    ),
    problem(c("44054006", "Diabetes mellitus type 2"), 35, 0.12, &[3, 4]),
    problem(c("195967001", "Asthma"), 5, 0.10, &[6]),
    problem(
        c("13645005", "Chronic obstructive lung disease"),
        45,
        0.06,
        &[6],
    ),
    problem(c("49436004", "Atrial fibrillation"), 55, 0.08, &[7, 8]),
    problem(
        c("433144002", "Chronic kidney disease stage 3"),
        50,
        0.10,
        &[],
    ),
    problem(c("35489007", "Depressive disorder"), 16, 0.14, &[9]),
    problem(c("197480006", "Anxiety disorder"), 16, 0.08, &[10]),
    ProblemDef {
        female_only: true,
        ..problem(c("40930008", "Hypothyroidism"), 30, 0.08, &[11])
    },
    problem(c("396275006", "Osteoarthritis"), 45, 0.20, &[12]),
    problem(
        c("22298006", "Myocardial infarction"),
        45,
        0.05,
        &[13, 5, 8],
    ),
    problem(c("84114007", "Heart failure"), 60, 0.04, &[14, 8]),
    problem(
        c("21719001", "Allergic rhinitis due to pollen"),
        5,
        0.08,
        &[],
    ),
    problem(
        c("230690007", "Cerebrovascular accident"),
        55,
        0.03,
        &[13, 5],
    ),
    problem(c("37796009", "Migraine"), 12, 0.06, &[]),
    ProblemDef {
        resolves: true,
        ..problem(c("54150009", "Upper respiratory infection"), 0, 0.30, &[15])
    },
    ProblemDef {
        resolves: true,
        ..problem(c("65363002", "Otitis media"), 0, 0.10, &[15])
    },
    ProblemDef {
        resolves: true,
        ..problem(
            c("68566005", "Urinary tract infectious disease"),
            16,
            0.15,
            &[16],
        )
    },
    ProblemDef {
        resolves: true,
        ..problem(c("59282003", "Pulmonary embolism"), 30, 0.01, &[])
    },
    ProblemDef {
        resolves: true,
        sensitivity: Sensitivity::Sensitive,
        ..problem(c("105629000", "Chlamydial infection"), 16, 0.03, &[17])
    },
    ProblemDef {
        sensitivity: Sensitivity::Sensitive,
        female_only: true,
        resolves: true,
        ..problem(c("52637005", "In vitro fertilization"), 25, 0.02, &[])
    },
    ProblemDef {
        sensitivity: Sensitivity::Sensitive,
        ..problem(c("93461009", "Gender dysphoria"), 14, 0.004, &[])
    },
    ProblemDef {
        sensitivity: Sensitivity::Sensitive,
        ..problem(
            c("86406008", "Human immunodeficiency virus infection"),
            18,
            0.003,
            &[],
        )
    },
];

/// How a medicine is usually prescribed in primary care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrescriptionKind {
    /// A repeat prescription, issued every 28 or 56 days.
    Repeat,
    /// A one-off (acute) course.
    Acute,
}

/// A medicine with its usual dosage.
#[derive(Debug, Clone, Copy)]
pub struct MedicineDef {
    /// The dm+d virtual medicinal product.
    pub concept: Concept,
    /// Dosage instruction as a prescriber writes it.
    pub dosage: &'static str,
    /// Quantity per issue, with its unit.
    pub quantity: (u32, &'static str),
    /// Repeat or acute.
    pub kind: PrescriptionKind,
    /// A stronger or alternative product the hospital may switch to (index).
    pub hospital_change: Option<usize>,
}

const fn repeat(
    concept: Concept,
    dosage: &'static str,
    qty: u32,
    unit: &'static str,
) -> MedicineDef {
    MedicineDef {
        concept,
        dosage,
        quantity: (qty, unit),
        kind: PrescriptionKind::Repeat,
        hospital_change: None,
    }
}

/// Medicines (dm+d VMPs). Indexes are used by [`PROBLEMS`].
pub const MEDICINES: &[MedicineDef] = &[
    /* 0 */
    MedicineDef {
        hospital_change: Some(1),
        ..repeat(
            c("319283006", "Amlodipine 5mg tablets"),
            "One tablet once a day",
            28,
            "tablet",
        )
    },
    /* 1 */
    repeat(
        c("319284000", "Amlodipine 10mg tablets"),
        "One tablet once a day",
        28,
        "tablet",
    ),
    /* 2 */
    repeat(
        c("318906001", "Ramipril 5mg capsules"),
        "One capsule once a day",
        28,
        "capsule",
    ),
    /* 3 */
    repeat(
        c("325278007", "Metformin 500mg tablets"),
        "One tablet twice a day with meals",
        56,
        "tablet",
    ),
    /* 4 */
    repeat(
        c("325242002", "Gliclazide 80mg tablets"),
        "One tablet twice a day with meals",
        56,
        "tablet",
    ),
    /* 5 */
    MedicineDef {
        hospital_change: Some(18),
        ..repeat(
            c("320000009", "Simvastatin 40mg tablets"),
            "One tablet at night",
            28,
            "tablet",
        )
    },
    /* 6 */
    repeat(
        c(
            "320176004",
            "Salbutamol 100micrograms/dose inhaler CFC free",
        ),
        "Two puffs when required for breathlessness",
        1,
        "inhaler",
    ),
    /* 7 */
    repeat(
        c("319773006", "Aspirin 75mg dispersible tablets"),
        "One tablet once a day",
        28,
        "tablet",
    ),
    /* 8 */
    MedicineDef {
        hospital_change: Some(19),
        ..repeat(
            c("317971007", "Furosemide 20mg tablets"),
            "One tablet in the morning",
            28,
            "tablet",
        )
    },
    /* 9 */
    repeat(
        c("9751511000001104", "Sertraline 100mg tablets"),
        "One tablet once a day",
        28,
        "tablet",
    ),
    /* 10 */
    repeat(
        c("321987003", "Citalopram 20mg tablets"),
        "One tablet once a day",
        28,
        "tablet",
    ),
    /* 11 */
    repeat(
        c("319935007", "Levothyroxine sodium 50microgram tablets"),
        "One tablet each morning before breakfast",
        28,
        "tablet",
    ),
    /* 12 */
    repeat(
        c("322236009", "Paracetamol 500mg tablets"),
        "Two tablets up to four times a day when required",
        100,
        "tablet",
    ),
    /* 13 */
    repeat(
        c("319773006", "Aspirin 75mg dispersible tablets"),
        "One tablet once a day",
        28,
        "tablet",
    ),
    /* 14 */
    repeat(
        c("318590006", "Bisoprolol 2.5mg tablets"),
        "One tablet once a day",
        28,
        "tablet",
    ),
    /* 15 */
    MedicineDef {
        kind: PrescriptionKind::Acute,
        ..repeat(
            c("323510009", "Amoxicillin 500mg capsules"),
            "One capsule three times a day for 5 days",
            15,
            "capsule",
        )
    },
    /* 16 */
    MedicineDef {
        kind: PrescriptionKind::Acute,
        ..repeat(
            c("324377009", "Trimethoprim 200mg tablets"),
            "One tablet twice a day for 3 days",
            6,
            "tablet",
        )
    },
    /* 17 */
    MedicineDef {
        kind: PrescriptionKind::Acute,
        ..repeat(
            c("324070005", "Doxycycline 100mg capsules"),
            "One capsule twice a day for 7 days",
            14,
            "capsule",
        )
    },
    /* 18 */
    repeat(
        c("320030001", "Atorvastatin 20mg tablets"),
        "One tablet at night",
        28,
        "tablet",
    ),
    /* 19 */
    repeat(
        c("317972000", "Furosemide 40mg tablets"),
        "One tablet in the morning",
        28,
        "tablet",
    ),
    /* 20 */
    MedicineDef {
        kind: PrescriptionKind::Acute,
        ..repeat(
            c("322623000", "Tramadol 50mg capsules"),
            "One or two capsules up to four times a day when required",
            30,
            "capsule",
        )
    },
    /* 21 */
    MedicineDef {
        kind: PrescriptionKind::Acute,
        ..repeat(
            c(
                "326324002",
                "Ethinylestradiol 30microgram / Levonorgestrel 150microgram tablets",
            ),
            "One tablet daily for 21 days then 7 days off",
            63,
            "tablet",
        )
    },
];

/// Medicines hospitals start at discharge (indexes into [`MEDICINES`]).
pub const HOSPITAL_STARTS: &[usize] = &[18, 20, 7, 12];

/// An allergy with its causative substance and a typical reaction.
#[derive(Debug, Clone, Copy)]
pub struct AllergyDef {
    /// The allergy (a SNOMED CT disorder or finding).
    pub concept: Concept,
    /// The substance.
    pub substance: Concept,
    /// A typical manifestation.
    pub reaction: Concept,
    /// `medication`, `food` or `environment`.
    pub category: &'static str,
    /// How common among all patients.
    pub prevalence: f64,
}

/// Allergies and adverse reactions.
pub const ALLERGIES: &[AllergyDef] = &[
    AllergyDef {
        concept: c("91936005", "Allergy to penicillin"),
        substance: c("373270004", "Penicillin -class of antibiotic-"),
        reaction: c("247472004", "Urticarial rash"),
        category: "medication",
        prevalence: 0.08,
    },
    AllergyDef {
        concept: c("293586001", "Allergy to aspirin"),
        substance: c("387458008", "Aspirin"),
        reaction: c("422400008", "Vomiting"),
        category: "medication",
        prevalence: 0.01,
    },
    AllergyDef {
        concept: c("91935009", "Allergy to peanut"),
        substance: c("256349002", "Peanut - dietary"),
        reaction: c("39579001", "Anaphylaxis"),
        category: "food",
        prevalence: 0.015,
    },
    AllergyDef {
        concept: c("300916003", "Latex allergy"),
        substance: c("111088007", "Latex"),
        reaction: c("271807003", "Eruption of skin"),
        category: "environment",
        prevalence: 0.01,
    },
    AllergyDef {
        concept: c("419063004", "Allergy to horse dander"),
        substance: c("260152009", "Horse dander"),
        reaction: c("49727002", "Cough"),
        category: "environment",
        prevalence: 0.005,
    },
];

/// "No known drug allergy" (seen).
pub const NO_KNOWN_DRUG_ALLERGY: Concept = c("409137002", "No known drug allergy");

/// An immunisation: the vaccination procedure and the vaccine product.
#[derive(Debug, Clone, Copy)]
pub struct VaccineDef {
    /// The vaccination procedure.
    pub procedure: Concept,
    /// The vaccine.
    pub vaccine: Concept,
}

/// Seasonal influenza (procedure seen).
pub const FLU: VaccineDef = VaccineDef {
    procedure: c("86198006", "Administration of influenza vaccine"),
    vaccine: c("46233009", "Influenza virus vaccine"),
};
/// Pneumococcal polysaccharide vaccine at 65.
pub const PNEUMOCOCCAL: VaccineDef = VaccineDef {
    procedure: c("12866006", "Pneumococcal vaccination"),
    vaccine: c("333598008", "Pneumococcal vaccine"),
};
/// COVID-19 (Comirnaty).
pub const COVID: VaccineDef = VaccineDef {
    procedure: c(
        "1324681000000101",
        "Administration of first dose of severe acute respiratory syndrome coronavirus 2 vaccine",
    ),
    vaccine: c(
        "39115611000001103",
        "Comirnaty COVID-19 mRNA Vaccine 30micrograms/0.3ml dose concentrate for dispersion for injection multidose vials (Pfizer Ltd)",
    ),
};
/// Hepatitis A (seen).
pub const HEPATITIS_A: VaccineDef = VaccineDef {
    procedure: c("170378007", "First hepatitis A vaccination"),
    vaccine: c("14745005", "Hepatitis A vaccine"),
};

/// A measured quantity with its codes, unit and reference range.
#[derive(Debug, Clone, Copy)]
pub struct TestDef {
    /// The SNOMED CT observable as GP systems code it.
    pub snomed: Concept,
    /// The LOINC code laboratories send to hospitals.
    pub loinc: Concept,
    /// UCUM unit code.
    pub unit: &'static str,
    /// Reference range (low, high), if the laboratory reports one.
    pub range: Option<(f64, f64)>,
    /// Decimal places reported.
    pub decimals: usize,
}

const fn test(
    snomed: Concept,
    loinc: Concept,
    unit: &'static str,
    range: Option<(f64, f64)>,
    decimals: usize,
) -> TestDef {
    TestDef {
        snomed,
        loinc,
        unit,
        range,
        decimals,
    }
}

/// Systolic blood pressure (SNOMED seen).
pub const SYSTOLIC: TestDef = test(
    c("72313002", "Systolic arterial pressure"),
    c("8480-6", "Systolic blood pressure"),
    "mm[Hg]",
    None,
    0,
);
/// Diastolic blood pressure (SNOMED seen).
pub const DIASTOLIC: TestDef = test(
    c("1091811000000102", "Diastolic arterial pressure"),
    c("8462-4", "Diastolic blood pressure"),
    "mm[Hg]",
    None,
    0,
);
/// The blood pressure panel (SNOMED seen).
pub const BLOOD_PRESSURE: Concept = c("75367002", "Blood pressure");
/// LOINC's blood pressure panel.
pub const BLOOD_PRESSURE_LOINC: Concept =
    c("85354-9", "Blood pressure panel with all children optional");
/// HbA1c, IFCC standardised.
pub const HBA1C: TestDef = test(
    c(
        "999791000000106",
        "Haemoglobin A1c level - International Federation of Clinical Chemistry and Laboratory Medicine standardised",
    ),
    c(
        "59261-8",
        "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol",
    ),
    "mmol/mol",
    Some((20.0, 41.0)),
    0,
);
/// eGFR (CKD-EPI).
pub const EGFR: TestDef = test(
    c(
        "1011481000000105",
        "eGFR (estimated glomerular filtration rate) using creatinine Chronic Kidney Disease Epidemiology Collaboration equation per 1.73 square metres",
    ),
    c(
        "62238-1",
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)",
    ),
    "mL/min/{1.73_m2}",
    Some((90.0, 200.0)),
    0,
);
/// Serum creatinine.
pub const CREATININE: TestDef = test(
    c("1000731000000107", "Serum creatinine level"),
    c("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"),
    "umol/L",
    Some((59.0, 104.0)),
    0,
);
/// Serum sodium.
pub const SODIUM: TestDef = test(
    c("1000661000000107", "Serum sodium level"),
    c("2951-2", "Sodium [Moles/volume] in Serum or Plasma"),
    "mmol/L",
    Some((133.0, 146.0)),
    0,
);
/// Serum potassium.
pub const POTASSIUM: TestDef = test(
    c("1000651000000109", "Serum potassium level"),
    c("2823-3", "Potassium [Moles/volume] in Serum or Plasma"),
    "mmol/L",
    Some((3.5, 5.3)),
    1,
);
/// Total cholesterol.
pub const CHOLESTEROL: TestDef = test(
    c("1005671000000105", "Serum cholesterol level"),
    c("14647-2", "Cholesterol [Moles/volume] in Serum or Plasma"),
    "mmol/L",
    Some((0.0, 5.0)),
    1,
);
/// HDL cholesterol.
pub const HDL: TestDef = test(
    c("1005681000000107", "Serum HDL cholesterol level"),
    c(
        "14646-4",
        "Cholesterol in HDL [Moles/volume] in Serum or Plasma",
    ),
    "mmol/L",
    Some((1.0, 3.0)),
    1,
);
/// Haemoglobin (seen).
pub const HAEMOGLOBIN: TestDef = test(
    c("1022431000000105", "Haemoglobin estimation"),
    c("718-7", "Hemoglobin [Mass/volume] in Blood"),
    "g/L",
    Some((115.0, 165.0)),
    0,
);
/// White cell count (seen).
pub const WHITE_CELLS: TestDef = test(
    c("1022541000000102", "Total white cell count"),
    c(
        "6690-2",
        "Leukocytes [#/volume] in Blood by Automated count",
    ),
    "10*9/L",
    Some((4.0, 11.0)),
    1,
);
/// Platelets (seen).
pub const PLATELETS: TestDef = test(
    c("1022651000000100", "Platelet count"),
    c("777-3", "Platelets [#/volume] in Blood by Automated count"),
    "10*9/L",
    Some((150.0, 400.0)),
    0,
);
/// Mean cell volume (seen).
pub const MCV: TestDef = test(
    c("1022491000000106", "Mean corpuscular volume"),
    c("787-2", "MCV [Entitic volume] by Automated count"),
    "fL",
    Some((80.0, 100.0)),
    0,
);
/// Neutrophils (seen).
pub const NEUTROPHILS: TestDef = test(
    c("1022551000000104", "Neutrophil count"),
    c(
        "751-8",
        "Neutrophils [#/volume] in Blood by Automated count",
    ),
    "10*9/L",
    Some((2.0, 7.5)),
    1,
);
/// C-reactive protein (SNOMED seen).
pub const CRP: TestDef = test(
    c("135842001", "Serum C reactive protein level"),
    c(
        "1988-5",
        "C reactive protein [Mass/volume] in Serum or Plasma",
    ),
    "mg/L",
    Some((0.0, 5.0)),
    0,
);
/// Body weight (seen).
pub const WEIGHT: TestDef = test(
    c("27113001", "Body weight"),
    c("29463-7", "Body weight"),
    "kg",
    None,
    1,
);

/// A laboratory panel: the report's codes and the tests it holds.
#[derive(Debug, Clone, Copy)]
pub struct PanelDef {
    /// The report code as SNOMED CT (GP side).
    pub snomed: Concept,
    /// The report code as LOINC (hospital side).
    pub loinc: Concept,
    /// The tests.
    pub tests: &'static [TestDef],
}

/// Full blood count (SNOMED seen).
pub const FBC: PanelDef = PanelDef {
    snomed: c("26604007", "FBC - Full blood count"),
    loinc: c("58410-2", "CBC panel - Blood by Automated count"),
    tests: &[HAEMOGLOBIN, WHITE_CELLS, PLATELETS, MCV, NEUTROPHILS],
};
/// Urea and electrolytes / renal profile.
pub const RENAL: PanelDef = PanelDef {
    snomed: c("252167001", "Urea and electrolytes"),
    loinc: c("24362-6", "Renal function 2000 panel - Serum or Plasma"),
    tests: &[SODIUM, POTASSIUM, CREATININE, EGFR],
};
/// Lipid profile.
pub const LIPIDS: PanelDef = PanelDef {
    snomed: c("121868005", "Total cholesterol measurement"),
    loinc: c("57698-3", "Lipid panel with direct LDL - Serum or Plasma"),
    tests: &[CHOLESTEROL, HDL],
};
/// HbA1c on its own.
pub const HBA1C_PANEL: PanelDef = PanelDef {
    snomed: c("43396009", "Hemoglobin A1c measurement"),
    loinc: c(
        "59261-8",
        "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol",
    ),
    tests: &[HBA1C],
};
/// CRP on its own.
pub const CRP_PANEL: PanelDef = PanelDef {
    snomed: c("55235003", "C-reactive protein measurement"),
    loinc: c(
        "1988-5",
        "C reactive protein [Mass/volume] in Serum or Plasma",
    ),
    tests: &[CRP],
};

/// Why someone attends A&E, with what they are diagnosed.
pub const ED_DIAGNOSES: &[Concept] = &[
    c("29857009", "Chest pain"),
    c("21522001", "Abdominal pain"),
    c("1912002", "Fall"),
    c("82271004", "Injury of head"),
    c("44465007", "Sprain of ankle"),
    c("271594007", "Syncope"),
    c("312608009", "Laceration - injury"),
    c("68566005", "Urinary tract infectious disease"),
];

/// Why someone is admitted.
pub const ADMISSION_DIAGNOSES: &[Concept] = &[
    c("385093006", "Community acquired pneumonia"),
    c("5913000", "Fracture of neck of femur"),
    c("128045006", "Cellulitis"),
    c(
        "195951007",
        "Acute exacerbation of chronic obstructive airways disease",
    ),
    c(
        "401314000",
        "Acute non-ST segment elevation myocardial infarction",
    ),
    c("14669001", "Acute renal failure syndrome"),
    c("91302008", "Sepsis"),
    c("74400008", "Appendicitis"),
];

/// Procedures done in hospital, by admission diagnosis position.
pub const ADMISSION_PROCEDURES: &[Option<Concept>] = &[
    None,
    Some(c("52734007", "Total replacement of hip")),
    None,
    None,
    Some(c("415070008", "Percutaneous coronary intervention")),
    None,
    None,
    Some(c("80146002", "Appendectomy")),
];

/// Imaging examinations with a normal and an abnormal conclusion.
pub const IMAGING: &[(Concept, &str, &str)] = &[
    (
        c("399208008", "Plain chest X-ray"),
        "Heart size normal. Lungs clear. No pleural effusion.",
        "Right lower zone consolidation in keeping with infection. Recommend repeat film in 6 weeks.",
    ),
    (
        c("169069000", "Computed tomography of chest"),
        "No pulmonary embolus. No mass or lymphadenopathy.",
        "Filling defects in the segmental arteries of the right lower lobe consistent with pulmonary emboli.",
    ),
    (
        c("408754009", "Computed tomography of head"),
        "No intracranial haemorrhage, mass or acute infarct.",
        "Small chronic lacunar infarct in the left internal capsule. No acute abnormality.",
    ),
    (
        c("241615005", "Magnetic resonance imaging of knee"),
        "No meniscal or ligamentous tear.",
        "Complex tear of the posterior horn of the medial meniscus.",
    ),
];

/// GP Connect List codes, one per clinical area (seen).
pub mod lists {
    use super::{Concept, c};
    /// Problems.
    pub const PROBLEMS: Concept = c("717711000000103", "Problems");
    /// Medications and medical devices.
    pub const MEDICATIONS: Concept = c("933361000000108", "Medications and medical devices");
    /// Allergies and adverse reactions.
    pub const ALLERGIES: Concept = c("886921000000105", "Allergies and adverse reactions");
    /// Ended allergies.
    pub const ENDED_ALLERGIES: Concept = c("1103671000000101", "Ended allergies");
    /// Immunisations.
    pub const IMMUNISATIONS: Concept = c("1102181000000102", "Immunisations");
    /// List of consultations.
    pub const CONSULTATIONS: Concept = c("1149501000000101", "List of consultations");
    /// A single consultation.
    pub const CONSULTATION: Concept = c("325851000000107", "Consultation");
    /// A topic within a consultation.
    pub const TOPIC: Concept = c("25851000000105", "Topic (EHR)");
    /// Investigations and results.
    pub const INVESTIGATIONS: Concept = c("887191000000108", "Investigations and results");
    /// Outbound referral.
    pub const REFERRALS: Concept = c("792931000000107", "Outbound referral");
}

/// Document and section types (seen).
pub mod documents {
    use super::{Concept, c};
    /// Discharge summary.
    pub const DISCHARGE_SUMMARY: Concept = c("373942005", "Discharge summary");
    /// Clinical letter (outpatient letters).
    pub const CLINICAL_LETTER: Concept = c("823691000000103", "Clinical letter");
    /// Care plan.
    pub const CARE_PLAN: Concept = c("734163000", "Care plan");
    /// A&E service.
    pub const EMERGENCY_SERVICE: Concept = c("310000008", "Accident and Emergency service");
    /// Discharge to home.
    pub const DISCHARGE_HOME: Concept = c("306689006", "Discharge to home");
}

/// Encounter types.
pub mod encounters {
    use super::{Concept, c};
    /// Emergency department visit.
    pub const EMERGENCY: Concept = c("4525004", "Emergency department patient visit");
    /// Hospital admission.
    pub const ADMISSION: Concept = c("32485007", "Hospital admission");
    /// Outpatient consultation.
    pub const OUTPATIENT: Concept = c("11429006", "Consultation");
    /// Home visit (community).
    pub const HOME_VISIT: Concept = c("439708006", "Home visit");
    /// Face to face consultation (GP, seen).
    pub const GP_FACE_TO_FACE: Concept = c("325861000000105", "Face to face consultation");
    /// Comment note (seen).
    pub const COMMENT_NOTE: Concept = c("37331000000100", "Comment note");
}

/// Referral reasons (seen) with the specialty referred to.
pub const REFERRALS: &[(Concept, &str)] = &[
    (
        c("308447003", "Referral to physiotherapist"),
        "Physiotherapy",
    ),
    (
        c("308448008", "Referral to counselor"),
        "Psychological therapies",
    ),
    (
        c("183519002", "Referral to cardiology service"),
        "Cardiology",
    ),
    (c("306206005", "Referral to service"), "Orthopaedics"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_treatment_names_a_medicine_in_the_table() {
        for p in PROBLEMS {
            for t in p.treatments {
                assert!(*t < MEDICINES.len(), "{}", p.concept.display);
            }
        }
        for m in MEDICINES {
            if let Some(to) = m.hospital_change {
                assert!(to < MEDICINES.len());
            }
        }
        assert_eq!(ADMISSION_DIAGNOSES.len(), ADMISSION_PROCEDURES.len());
    }

    #[test]
    fn codes_carry_no_stray_spaces_and_are_numeric_where_snomed() {
        let snomed = PROBLEMS
            .iter()
            .map(|p| p.concept)
            .chain(MEDICINES.iter().map(|m| m.concept))
            .chain(
                ALLERGIES
                    .iter()
                    .flat_map(|a| [a.concept, a.substance, a.reaction]),
            );
        for concept in snomed {
            assert_eq!(concept.code.trim(), concept.code);
            assert!(
                concept.code.bytes().all(|b| b.is_ascii_digit()),
                "{}",
                concept.code
            );
        }
    }

    #[test]
    fn the_key_indexes_point_at_the_named_problems() {
        assert!(
            PROBLEMS[HYPERTENSION]
                .concept
                .display
                .starts_with("Hypertensive")
        );
        assert!(PROBLEMS[DIABETES].concept.display.contains("type 2"));
        assert!(PROBLEMS[CKD].concept.display.contains("kidney"));
    }
}
