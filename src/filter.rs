//! The reader's filter across the record's entries: words to look for, a date range and
//! the order. Pure, so it is tested natively; the filter bar edits one of these.

use mcr_model::Entry;

use crate::dates::day;

/// What the reader has asked to see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    /// Words that must all appear (any case) in the entry's title, detail, value,
    /// status, category, organisation or code displays.
    pub text: String,
    /// The earliest date shown (`YYYY-MM-DD`), inclusive.
    pub from: Option<String>,
    /// The latest date shown (`YYYY-MM-DD`), inclusive.
    pub to: Option<String>,
    /// Oldest first instead of newest first.
    pub oldest_first: bool,
}

impl EntryFilter {
    /// Whether it hides anything (the order alone hides nothing).
    pub fn is_active(&self) -> bool {
        !self.text.trim().is_empty() || self.from.is_some() || self.to.is_some()
    }

    /// Whether `e` is shown. An entry without a date is hidden by a date range, as it
    /// cannot be said to fall inside it.
    pub fn matches(&self, e: &Entry) -> bool {
        let on = e.date.as_deref().map(day);
        let in_range = match (&self.from, &self.to) {
            (None, None) => true,
            (from, to) => on.is_some_and(|d| {
                from.as_deref().is_none_or(|f| d >= f) && to.as_deref().is_none_or(|t| d <= t)
            }),
        };
        in_range && self.matches_text(e)
    }

    fn matches_text(&self, e: &Entry) -> bool {
        let words: Vec<String> = self
            .text
            .split_whitespace()
            .map(crate::text::lowercase)
            .collect();
        if words.is_empty() {
            return true;
        }
        let mut haystack = vec![e.title.as_str(), e.source.organisation.as_str()];
        haystack.extend(
            [&e.detail, &e.value, &e.status, &e.category]
                .into_iter()
                .filter_map(|f| f.as_deref()),
        );
        haystack.extend(e.codes.iter().filter_map(|c| c.display.as_deref()));
        let text = crate::text::lowercase(&haystack.join(" "));
        words.iter().all(|w| text.contains(w.as_str()))
    }

    /// Sorts entries in the chosen order; undated entries always last.
    pub fn sort(&self, entries: &mut Vec<Entry>) {
        crate::order::sort_by(entries, |a, b| match (&a.date, &b.date) {
            (Some(x), Some(y)) if self.oldest_first => x.cmp(y),
            (Some(x), Some(y)) => y.cmp(x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
    }
}

#[cfg(test)]
mod tests {
    use mcr_model::{SourceKind, SourceRef};

    use super::*;

    fn entry(title: &str, date: Option<&str>) -> Entry {
        let source = SourceRef {
            id: "rr8".into(),
            organisation: "Leeds Teaching Hospitals".into(),
            ods_code: "RR8".into(),
            kind: SourceKind::AcuteTrust,
        };
        Entry {
            date: date.map(str::to_string),
            detail: Some("One tablet twice a day".into()),
            ..Entry::new("e", source, title)
        }
    }

    #[test]
    fn every_word_must_appear_somewhere_in_the_entry() {
        let e = entry("Metformin 500mg tablets", Some("2026-01-02"));
        let f = |text: &str| EntryFilter {
            text: text.into(),
            ..Default::default()
        };
        assert!(f("").matches(&e));
        assert!(f("METFORMIN").matches(&e));
        assert!(f("metformin twice").matches(&e), "title and detail");
        assert!(f("leeds metformin").matches(&e), "organisation");
        assert!(!f("metformin thrice").matches(&e));
        assert!(!f("").is_active() && f(" x ").is_active());
    }

    #[test]
    fn a_date_range_includes_its_ends_and_hides_undated_entries() {
        let f = EntryFilter {
            from: Some("2026-01-01".into()),
            to: Some("2026-01-31".into()),
            ..Default::default()
        };
        assert!(f.matches(&entry("a", Some("2026-01-01"))));
        assert!(f.matches(&entry("a", Some("2026-01-31T23:00:00Z"))));
        assert!(!f.matches(&entry("a", Some("2026-02-01"))));
        assert!(!f.matches(&entry("a", Some("2025-12-31"))));
        assert!(!f.matches(&entry("a", None)));
        assert!(f.is_active());
    }

    #[test]
    fn entries_sort_either_way_with_undated_ones_last() {
        let mut list = vec![
            entry("undated", None),
            entry("old", Some("2020-01-01")),
            entry("new", Some("2026-01-01")),
        ];
        let titles = |l: &[Entry]| l.iter().map(|e| e.title.clone()).collect::<Vec<_>>();
        EntryFilter::default().sort(&mut list);
        assert_eq!(titles(&list), ["new", "old", "undated"]);
        EntryFilter {
            oldest_first: true,
            ..Default::default()
        }
        .sort(&mut list);
        assert_eq!(titles(&list), ["old", "new", "undated"]);
    }
}
