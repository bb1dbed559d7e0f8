//! The cross-check of the host's own demographics against the shared record's: the
//! NHS number already matched, but a different family name or date of birth means one
//! of the two systems holds something wrong about this patient, and the clinician must
//! be told before relying on either.

use mcr_model::Demographics;

/// What the host system holds about the patient, as it passed it in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostDemographics {
    /// Family name.
    pub family_name: Option<String>,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: Option<String>,
}

fn normalise_name(name: &str) -> String {
    // One lower-case sigma whatever its place in the word, as when each letter was
    // lowered on its own.
    crate::text::alphanumeric_lowercase(name).replace('ς', "σ")
}

/// Each detail on which the host and the shared record disagree, in words; empty when
/// they agree (a detail one side does not know is not a disagreement).
pub fn differences(host: &HostDemographics, record: &Demographics) -> Vec<String> {
    let mut out = vec![];
    if let (Some(h), Some(r)) = (&host.family_name, &record.family_name)
        && normalise_name(h) != normalise_name(r)
    {
        out.push(format!(
            "family name: {} here, {} in the shared record",
            h.trim(),
            r
        ));
    }
    if let (Some(h), Some(r)) = (&host.birth_date, &record.birth_date)
        && h.trim().get(..10) != r.get(..10)
    {
        out.push(format!(
            "date of birth: {} here, {} in the shared record",
            crate::dates::display_date(h.trim()),
            crate::dates::display_date(r)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use mcr_model::NhsNumber;

    use super::*;

    fn record() -> Demographics {
        Demographics {
            nhs_number: NhsNumber::parse("9434765919").unwrap(),
            family_name: Some("O'Brien".into()),
            given_names: vec!["Ann".into()],
            birth_date: Some("1950-02-03".into()),
            gender: None,
            address: vec![],
            registered_practice: None,
            deceased_date: None,
        }
    }

    #[test]
    fn the_same_person_written_differently_is_not_a_mismatch() {
        let host = HostDemographics {
            family_name: Some("OBRIEN ".into()),
            birth_date: Some("1950-02-03".into()),
        };
        assert!(differences(&host, &record()).is_empty());
        assert!(differences(&HostDemographics::default(), &record()).is_empty());
    }

    #[test]
    fn a_different_family_name_or_birth_date_is_named() {
        let host = HostDemographics {
            family_name: Some("Jones".into()),
            birth_date: Some("1950-03-02".into()),
        };
        assert_eq!(
            differences(&host, &record()),
            [
                "family name: Jones here, O'Brien in the shared record",
                "date of birth: 02-Mar-1950 here, 03-Feb-1950 in the shared record"
            ]
        );
    }
}
