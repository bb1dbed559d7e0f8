//! Sensitive items: a configurable list of codes (sexual health, fertility treatment,
//! gender identity, HIV …) whose entries are withheld at the gateway and counted per
//! source as withheld — neither their text nor their codes leave it.
//!
//! Free text is withheld too: an entry whose text mentions one of the answer's own
//! sensitive coded entries (a consultation note "Review of chlamydial infection" beside
//! the coded problem), or one of a configurable list of sensitive terms, is withheld and
//! counted like a coded one. Matching is whole words, ignoring case.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use mcr_model::{Entry, Section};
use memchr::memmem::Finder;

/// SNOMED CT's system URI.
pub const SNOMED: &str = "http://snomed.info/sct";

/// Read Version 3 (CTV3)'s system URI.
pub const CTV3: &str = "http://read.info/ctv3";

/// The default sensitive codes: SNOMED CT concepts, and Read CTV3 codes for HIV from
/// OpenSAFELY's HIV codelist (2020-07-13). A region sets its own full list.
pub const DEFAULT_SENSITIVE: &[(&str, &str)] = &[
    (SNOMED, "105629000"), // Chlamydial infection
    (SNOMED, "52637005"),  // In vitro fertilization
    (SNOMED, "93461009"),  // Gender dysphoria
    (SNOMED, "86406008"),  // Human immunodeficiency virus infection
    (CTV3, "A788."),       // (AIDS) or (HIV infection)
    (CTV3, "43C3."),       // HIV positive
];

/// The default sensitive terms: free text mentioning any of them is withheld. Terms are
/// whole words or phrases, matched ignoring case (so `hiv` does not match `archive`).
pub const DEFAULT_SENSITIVE_TERMS: &[&str] = &[
    "chlamydia",
    "chlamydial",
    "gonorrhoea",
    "gonorrhea",
    "syphilis",
    "sexually transmitted",
    "genitourinary medicine",
    "hiv",
    "human immunodeficiency virus",
    "in vitro fertilisation",
    "in vitro fertilization",
    "ivf",
    "hfea",
    "gender dysphoria",
    "gender identity",
    "gender reassignment",
    "termination of pregnancy",
];

/// The shortest phrase matched in free text: a coded entry's title shorter than this
/// (an abbreviation) is too likely to occur by chance to withhold on.
const MIN_PHRASE_CHARS: usize = 3;

/// A lower-case phrase looked for in free text, with its searcher built once (building
/// one for every text searched cost more than the searching).
#[derive(Debug, Clone)]
struct Phrase {
    finder: Finder<'static>,
}

impl Phrase {
    fn new(lower: &str) -> Self {
        Self {
            finder: Finder::new(lower.as_bytes()).into_owned(),
        }
    }

    fn is(&self, lower: &str) -> bool {
        self.finder.needle() == lower.as_bytes()
    }
}

/// The codes and terms whose entries are withheld.
#[derive(Debug, Clone)]
pub struct SensitiveCodes {
    /// Codes by system (both trimmed, the system without a trailing `/`), so that an
    /// entry's codings are looked up without building a key. The systems are a handful
    /// (SNOMED CT, CTV3 …): comparing with each is cheaper than hashing the system.
    codes: Vec<(String, HashSet<String>)>,
    /// Lower-case phrases.
    terms: Vec<Phrase>,
}

impl Default for SensitiveCodes {
    fn default() -> Self {
        Self::new(DEFAULT_SENSITIVE.iter().map(|(s, c)| format!("{s}|{c}")))
    }
}

impl SensitiveCodes {
    /// From `system|code` strings, with the default terms.
    pub fn new(codes: impl IntoIterator<Item = String>) -> Self {
        Self::with_terms(codes, DEFAULT_SENSITIVE_TERMS.iter().map(|t| t.to_string()))
    }

    /// From `system|code` strings and free-text terms.
    pub fn with_terms(
        codes: impl IntoIterator<Item = String>,
        terms: impl IntoIterator<Item = String>,
    ) -> Self {
        let terms = terms
            .into_iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| t.chars().count() >= MIN_PHRASE_CHARS)
            .map(|t| Phrase::new(&t))
            .collect();
        let mut by_system: HashMap<String, HashSet<String>> = HashMap::new();
        for sc in codes {
            if let Some((system, code)) = sc.rsplit_once('|') {
                by_system
                    .entry(system.trim().trim_end_matches('/').to_string())
                    .or_default()
                    .insert(code.trim().to_string());
            }
        }
        Self {
            codes: by_system.into_iter().collect(),
            terms,
        }
    }

    /// Whether any of the entry's codings is sensitive.
    pub fn is_sensitive(&self, entry: &Entry) -> bool {
        entry.codes.iter().any(|c| match (&c.system, &c.code) {
            (Some(system), Some(code)) => {
                let system = system.trim().trim_end_matches('/');
                self.codes
                    .iter()
                    .find(|(s, _)| s == system)
                    .is_some_and(|(_, codes)| codes.contains(code.trim()))
            }
            _ => false,
        })
    }

    /// Removes sensitive entries from `sections` (one source's answer): coded ones, those
    /// the source links to a coded one (`related`: `(problem id, entry id)` pairs, from
    /// [`crate::normalise::links`]), and those whose text mentions a coded one's name or
    /// a sensitive term. Returns how many were withheld.
    pub fn withhold(&self, sections: &mut Vec<Section>, related: &[(String, String)]) -> u32 {
        // The names the answer's own sensitive entries go by, as phrases to look for, and
        // the entries linked to them.
        let mut names_found: Vec<Phrase> = Vec::new();
        let mut linked: HashSet<&str> = HashSet::new();
        for entry in sections.iter().flat_map(|s| &s.entries) {
            if self.is_sensitive(entry) {
                linked.extend(
                    related
                        .iter()
                        .filter(|(problem, _)| *problem == entry.id)
                        .map(|(_, item)| item.as_str()),
                );
                let names = std::iter::once(entry.title.as_str())
                    .chain(entry.codes.iter().filter_map(|c| c.display.as_deref()));
                for name in names {
                    let name = name.trim().to_lowercase();
                    if name.chars().count() >= MIN_PHRASE_CHARS
                        && !self.terms.iter().chain(&names_found).any(|p| p.is(&name))
                    {
                        names_found.push(Phrase::new(&name));
                    }
                }
            }
        }
        let phrases: Vec<&Phrase> = self.terms.iter().chain(&names_found).collect();
        let mut withheld = 0;
        for section in sections.iter_mut() {
            let before = section.entries.len();
            section.entries.retain(|e| {
                !self.is_sensitive(e)
                    && !linked.contains(e.id.as_str())
                    && !mentions_any(e, &phrases)
            });
            withheld += (before - section.entries.len()) as u32;
        }
        sections.retain(|s| !s.entries.is_empty());
        withheld
    }
}

/// Whether any of the entry's text (title, detail, value, narrative, code displays)
/// mentions one of `phrases` (lower case) as whole words.
///
/// The texts are lower-cased one by one, as before, into one buffer, a newline apart,
/// so that each phrase is searched for once per entry rather than once per text; a
/// match counts only within one text, and a text's neighbour in the buffer is a newline,
/// which no more makes a word boundary fail than the text's end did.
fn mentions_any(entry: &Entry, phrases: &[&Phrase]) -> bool {
    let texts = [
        Some(entry.title.as_str()),
        entry.detail.as_deref(),
        entry.value.as_deref(),
        entry.narrative.as_deref(),
    ];
    let mut lower = String::new();
    let mut segments = Vec::new();
    for text in texts
        .into_iter()
        .flatten()
        .chain(entry.codes.iter().filter_map(|c| c.display.as_deref()))
    {
        if !segments.is_empty() {
            lower.push('\n');
        }
        let start = lower.len();
        lower.push_str(&text.to_lowercase());
        segments.push(start..lower.len());
    }
    phrases.iter().any(|p| contains_words(&lower, &segments, p))
}

/// Whether `phrase` occurs in `text`, within one of `segments`, with no letter or digit
/// either side. (A match of the UTF-8 phrase's bytes always starts and ends on a
/// character boundary.)
fn contains_words(text: &str, segments: &[Range<usize>], phrase: &Phrase) -> bool {
    let mut from = 0;
    while let Some(at) = phrase.finder.find(&text.as_bytes()[from..]) {
        let start = from + at;
        let end = start + phrase.finder.needle().len();
        let within = segments.iter().any(|s| s.start <= start && end <= s.end);
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if within
            && !before.is_some_and(char::is_alphanumeric)
            && !after.is_some_and(char::is_alphanumeric)
        {
            return true;
        }
        // Past this occurrence's first character.
        from = start + text[start..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use mcr_model::{Coding, SectionKind, SourceKind, SourceRef};

    use super::*;

    fn entry(code: &str) -> Entry {
        let source = SourceRef {
            id: "gp".into(),
            organisation: "GP".into(),
            ods_code: "Y".into(),
            kind: SourceKind::GpPractice,
        };
        let mut e = Entry::new(code, source, "x");
        e.codes = vec![Coding {
            system: Some(format!("{SNOMED} ")),
            code: Some(format!(" {code}")),
            display: None,
        }];
        e
    }

    fn note(id: &str, title: &str, detail: Option<&str>) -> Entry {
        let mut e = entry(id);
        e.codes.clear();
        e.title = title.into();
        e.detail = detail.map(Into::into);
        e
    }

    #[test]
    fn notes_that_mention_the_answers_sensitive_problem_are_withheld_with_it() {
        // The coded problem, and a consultation that names it only in free text.
        let mut problem = entry("105629000");
        problem.title = "Chlamydial infection".into();
        let mut sections = vec![
            Section {
                kind: SectionKind::Problems,
                entries: vec![problem, entry("38341003")],
            },
            Section {
                kind: SectionKind::Encounters,
                entries: vec![
                    note(
                        "c1",
                        "Face to face consultation",
                        Some("Review of chlamydial infection. Advised."),
                    ),
                    note(
                        "c2",
                        "Face to face consultation",
                        Some("Review of asthma. Inhaler technique checked."),
                    ),
                    note("c3", "Telephone", Some("CHLAMYDIAL INFECTION follow-up")),
                ],
            },
        ];
        // No configured terms: only the answer's own coded problem's name is looked for.
        let codes = SensitiveCodes::with_terms(
            DEFAULT_SENSITIVE.iter().map(|(s, c)| format!("{s}|{c}")),
            Vec::<String>::new(),
        );
        assert_eq!(codes.withhold(&mut sections, &[]), 3);
        let left: Vec<&str> = sections
            .iter()
            .flat_map(|s| &s.entries)
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(left, ["38341003", "c2"]);
    }

    #[test]
    fn entries_the_source_links_to_a_sensitive_problem_are_withheld_with_it() {
        // An antiretroviral names no condition, but the practice recorded it against the
        // problem; a link from an ordinary problem withholds nothing.
        let mut sections = vec![
            Section {
                kind: SectionKind::Problems,
                entries: vec![entry("86406008"), entry("38341003")],
            },
            Section {
                kind: SectionKind::Medications,
                entries: vec![
                    note(
                        "ms-arv",
                        "Emtricitabine 200mg / Tenofovir 245mg tablets",
                        None,
                    ),
                    note("ms-amlo", "Amlodipine 5mg tablets", None),
                ],
            },
        ];
        let related = [
            ("86406008".to_string(), "ms-arv".to_string()),
            ("38341003".to_string(), "ms-amlo".to_string()),
        ];
        assert_eq!(
            SensitiveCodes::default().withhold(&mut sections, &related),
            2
        );
        let left: Vec<&str> = sections
            .iter()
            .flat_map(|s| &s.entries)
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(left, ["38341003", "ms-amlo"]);
    }

    #[test]
    fn configured_terms_match_whole_words_ignoring_case_anywhere_in_the_text() {
        let codes = SensitiveCodes::default();
        let mut narrative = note("n1", "Discharge summary", None);
        narrative.narrative = Some("<p>Known <b>HIV</b> on treatment</p>".into());
        let mut sections = vec![Section {
            kind: SectionKind::Documents,
            entries: vec![
                narrative,
                note(
                    "n2",
                    "Letter",
                    Some("Scanned to the archive; shivering overnight"),
                ),
                note("n3", "Referral", Some("Referred to IVF clinic")),
                note(
                    "n4",
                    "Letter",
                    Some("Seen in sexual health clinic: gonorrhoea treated"),
                ),
                note("n5", "Letter", Some("Hearing aids fitted")),
            ],
        }];
        assert_eq!(codes.withhold(&mut sections, &[]), 3);
        let left: Vec<&str> = sections[0].entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            left,
            ["n2", "n5"],
            "'hiv' inside 'archive' or 'shivering' is not a match"
        );
    }

    #[test]
    fn whole_word_matching_handles_repeats_and_non_ascii_text() {
        let contains = |text: &str, phrase: &str| {
            contains_words(
                text,
                std::slice::from_ref(&(0..text.len())),
                &Phrase::new(phrase),
            )
        };
        assert!(contains("hivx and hiv", "hiv"));
        assert!(!contains("hivx and xhiv", "hiv"));
        assert!(contains("é hiv é", "hiv"));
        assert!(!contains("éhiv", "hiv"));
        assert!(contains(
            "(in vitro fertilisation)",
            "in vitro fertilisation"
        ));
        assert!(contains("née é hiv", "é hiv"));
        assert!(!contains("ééé", "éé"), "no match with a letter either side");
        // Within one of several texts, never across the newline between two.
        let text = "acute hiv\nseroconversion";
        assert!(contains_words(
            text,
            &[0..9, 10..text.len()],
            &Phrase::new("hiv")
        ));
        assert!(!contains_words(
            text,
            &[0..9, 10..text.len()],
            &Phrase::new("hiv\nseroconversion")
        ));
        assert!(!contains_words(
            text,
            std::slice::from_ref(&(0..9)),
            &Phrase::new("seroconversion")
        ));
    }

    #[test]
    fn read_coded_entries_are_withheld_by_default_too() {
        let mut e = entry("x");
        e.codes[0].system = Some(CTV3.into());
        e.codes[0].code = Some("A788.".into());
        assert!(SensitiveCodes::default().is_sensitive(&e));
        e.codes[0].code = Some("A788".into());
        assert!(
            !SensitiveCodes::default().is_sensitive(&e),
            "the dot is part of the code"
        );
    }

    #[test]
    fn sensitive_entries_are_removed_and_counted_even_with_stray_spaces() {
        let mut sections = vec![Section {
            kind: SectionKind::Problems,
            entries: vec![entry("105629000"), entry("38341003"), entry("86406008")],
        }];
        assert_eq!(SensitiveCodes::default().withhold(&mut sections, &[]), 2);
        assert_eq!(sections[0].entries.len(), 1);
        assert_eq!(sections[0].entries[0].id, "38341003");
    }
}
