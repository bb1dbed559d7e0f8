//! FHIR R4 search over one patient's resources: the `patient`/`subject` reference,
//! `date` and `_lastUpdated` with the comparison prefixes (`eq`, `ge`, `gt`, `le`,
//! `lt`) at year, month or day precision, `_count` and paging through `_offset` with
//! `next` links, answered as a `searchset` Bundle with `total`.

use serde_json::{Value, json};

use super::resources::Found;
use crate::dates::{Day, parse_range};

/// The default page size.
pub const DEFAULT_COUNT: usize = 50;
/// The largest page served.
pub const MAX_COUNT: usize = 1000;

/// A date comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateFilter {
    prefix: Prefix,
    from: Day,
    to: Day,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

impl DateFilter {
    /// Parses `ge2024-01`, `2024-03-05`, `lt2025` …
    pub fn parse(value: &str) -> Option<Self> {
        let (prefix, rest) = match value.get(..2) {
            Some("eq") => (Prefix::Eq, &value[2..]),
            Some("ge") => (Prefix::Ge, &value[2..]),
            Some("gt") => (Prefix::Gt, &value[2..]),
            Some("le") => (Prefix::Le, &value[2..]),
            Some("lt") => (Prefix::Lt, &value[2..]),
            _ => (Prefix::Eq, value),
        };
        let (from, to) = parse_range(rest)?;
        Some(Self { prefix, from, to })
    }

    /// Whether day `d` passes.
    pub fn accepts(&self, d: Day) -> bool {
        match self.prefix {
            Prefix::Eq => (self.from..=self.to).contains(&d),
            Prefix::Ge => d >= self.from,
            Prefix::Gt => d > self.to,
            Prefix::Le => d <= self.to,
            Prefix::Lt => d < self.from,
        }
    }
}

/// A parsed search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// The patient's logical id.
    pub patient: Option<String>,
    /// `date` filters (all must pass).
    pub date: Vec<DateFilter>,
    /// `_lastUpdated` filters.
    pub last_updated: Vec<DateFilter>,
    /// Page size.
    pub count: usize,
    /// Offset of the page.
    pub offset: usize,
}

impl Search {
    /// Reads the search parameters; an unparseable date is an error.
    pub fn parse(params: &[(String, String)]) -> Result<Self, String> {
        let mut s = Search {
            count: DEFAULT_COUNT,
            ..Search::default()
        };
        for (name, value) in params {
            match name.as_str() {
                "patient" | "subject" | "patient:Patient" | "subject:Patient" => {
                    s.patient = Some(value.trim_start_matches("Patient/").to_string());
                }
                "date" => s.date.push(
                    DateFilter::parse(value).ok_or_else(|| format!("invalid date {value:?}"))?,
                ),
                "_lastUpdated" => s.last_updated.push(
                    DateFilter::parse(value)
                        .ok_or_else(|| format!("invalid _lastUpdated {value:?}"))?,
                ),
                "_count" => {
                    s.count = value
                        .parse::<usize>()
                        .map_err(|_| "invalid _count".to_string())?
                        .min(MAX_COUNT)
                }
                "_offset" => s.offset = value.parse().map_err(|_| "invalid _offset".to_string())?,
                _ => {}
            }
        }
        Ok(s)
    }

    /// Whether a resource passes the date filters.
    pub fn accepts(&self, f: &Found) -> bool {
        self.date.iter().all(|d| d.accepts(f.day))
            && self.last_updated.iter().all(|d| d.accepts(f.updated))
    }
}

/// A `searchset` Bundle of one page of `matches`, with `self` and `next` links built
/// from `base_url` (the search URL without its query) and the original `params`.
pub fn searchset(
    matches: Vec<Value>,
    search: &Search,
    base_url: &str,
    full_base: &str,
    params: &[(String, String)],
) -> Value {
    let total = matches.len();
    let link = |offset: usize| {
        let mut query: Vec<String> = params
            .iter()
            .filter(|(k, _)| k != "_offset" && k != "_count")
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        query.push(format!("_count={}", search.count));
        query.push(format!("_offset={offset}"));
        format!("{base_url}?{}", query.join("&"))
    };
    let mut links = vec![json!({"relation": "self", "url": link(search.offset)})];
    if search.offset + search.count < total {
        links.push(json!({"relation": "next", "url": link(search.offset + search.count)}));
    }
    if search.offset > 0 {
        links.push(json!({"relation": "previous", "url": link(search.offset.saturating_sub(search.count))}));
    }
    let entries: Vec<Value> = matches
        .into_iter()
        .skip(search.offset)
        .take(search.count)
        .map(|r| {
            let full_url = format!(
                "{full_base}/{}/{}",
                r["resourceType"].as_str().unwrap_or_default(),
                r["id"].as_str().unwrap_or_default()
            );
            // Not `json!`: it would copy the whole resource through `to_value`.
            let mut entry = serde_json::Map::new();
            entry.insert("fullUrl".into(), Value::String(full_url));
            entry.insert("resource".into(), r);
            entry.insert("search".into(), json!({"mode": "match"}));
            Value::Object(entry)
        })
        .collect();
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
    });
    // Moved in, not through `json!` (which would copy every entry via `to_value`).
    bundle["entry"] = Value::Array(entries);
    bundle
}

/// Percent-encodes a query component.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::day;

    #[test]
    fn date_prefixes_compare_at_the_given_precision() {
        let ge = DateFilter::parse("ge2024-02").unwrap();
        assert!(ge.accepts(day(2024, 2, 1)) && !ge.accepts(day(2024, 1, 31)));
        let lt = DateFilter::parse("lt2024").unwrap();
        assert!(lt.accepts(day(2023, 12, 31)) && !lt.accepts(day(2024, 1, 1)));
        let eq = DateFilter::parse("2024-03-05").unwrap();
        assert!(eq.accepts(day(2024, 3, 5)) && !eq.accepts(day(2024, 3, 6)));
        let gt = DateFilter::parse("gt2024-03").unwrap();
        assert!(gt.accepts(day(2024, 4, 1)) && !gt.accepts(day(2024, 3, 31)));
        assert!(DateFilter::parse("ge-soon").is_none());
    }

    #[test]
    fn pages_link_to_the_next_until_the_last() {
        let items: Vec<Value> = (0..5)
            .map(|i| json!({"resourceType": "Observation", "id": i.to_string()}))
            .collect();
        let params = vec![
            ("patient".to_string(), "abc".to_string()),
            ("_count".to_string(), "2".to_string()),
        ];
        let mut s = Search::parse(&params).unwrap();
        let first = searchset(
            items.clone(),
            &s,
            "http://x/r4/RR8/Observation",
            "http://x/r4/RR8",
            &params,
        );
        assert_eq!(first["total"], 5);
        assert_eq!(first["entry"].as_array().unwrap().len(), 2);
        assert!(
            first["link"][1]["url"]
                .as_str()
                .unwrap()
                .ends_with("patient=abc&_count=2&_offset=2")
        );
        s.offset = 4;
        let last = searchset(
            items,
            &s,
            "http://x/r4/RR8/Observation",
            "http://x/r4/RR8",
            &params,
        );
        assert_eq!(last["entry"].as_array().unwrap().len(), 1);
        assert!(
            last["link"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["relation"] != "next")
        );
    }

    #[test]
    fn query_components_are_percent_encoded() {
        assert_eq!(
            encode("https://fhir.nhs.uk/Id/nhs-number|999"),
            "https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C999"
        );
    }
}
