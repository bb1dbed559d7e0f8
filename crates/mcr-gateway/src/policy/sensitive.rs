//! Sensitive items: a configurable list of codes (sexual health, fertility treatment,
//! gender identity, HIV …) whose entries are withheld at the gateway and counted per
//! source as withheld — neither their text nor their codes leave it.

use std::collections::HashSet;

use mcr_model::{Entry, Section};

/// SNOMED CT's system URI.
pub const SNOMED: &str = "http://snomed.info/sct";

/// The default sensitive codes (SNOMED CT concepts).
pub const DEFAULT_SENSITIVE: &[(&str, &str)] = &[
    (SNOMED, "105629000"), // Chlamydial infection
    (SNOMED, "52637005"),  // In vitro fertilization
    (SNOMED, "93461009"),  // Gender dysphoria
    (SNOMED, "86406008"),  // Human immunodeficiency virus infection
];

/// The codes whose entries are withheld.
#[derive(Debug, Clone)]
pub struct SensitiveCodes {
    codes: HashSet<(String, String)>,
}

impl Default for SensitiveCodes {
    fn default() -> Self {
        Self::new(DEFAULT_SENSITIVE.iter().map(|(s, c)| format!("{s}|{c}")))
    }
}

impl SensitiveCodes {
    /// From `system|code` strings.
    pub fn new(codes: impl IntoIterator<Item = String>) -> Self {
        let codes = codes
            .into_iter()
            .filter_map(|sc| {
                let (system, code) = sc.rsplit_once('|')?;
                Some((
                    system.trim().trim_end_matches('/').to_string(),
                    code.trim().to_string(),
                ))
            })
            .collect();
        Self { codes }
    }

    /// Whether any of the entry's codings is sensitive.
    pub fn is_sensitive(&self, entry: &Entry) -> bool {
        entry.codes.iter().any(|c| match (&c.system, &c.code) {
            (Some(system), Some(code)) => self.codes.contains(&(
                system.trim().trim_end_matches('/').to_string(),
                code.trim().to_string(),
            )),
            _ => false,
        })
    }

    /// Removes sensitive entries from `sections`; returns how many were withheld.
    pub fn withhold(&self, sections: &mut Vec<Section>) -> u32 {
        let mut withheld = 0;
        for section in sections.iter_mut() {
            let before = section.entries.len();
            section.entries.retain(|e| !self.is_sensitive(e));
            withheld += (before - section.entries.len()) as u32;
        }
        sections.retain(|s| !s.entries.is_empty());
        withheld
    }
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

    #[test]
    fn sensitive_entries_are_removed_and_counted_even_with_stray_spaces() {
        let mut sections = vec![Section {
            kind: SectionKind::Problems,
            entries: vec![entry("105629000"), entry("38341003"), entry("86406008")],
        }];
        assert_eq!(SensitiveCodes::default().withhold(&mut sections), 2);
        assert_eq!(sections[0].entries.len(), 1);
        assert_eq!(sections[0].entries[0].id, "38341003");
    }
}
