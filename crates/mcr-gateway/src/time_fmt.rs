//! Timestamps as the gateway writes them: UTC, and for audit rows a fixed-width RFC 3339
//! form (`2026-11-25T14:00:00.000Z`) so that text order is time order.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// The current time in RFC 3339 (UTC).
pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

/// A time in RFC 3339.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A time in the audit log's fixed-width form, always UTC with milliseconds.
pub fn audit_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(&format).unwrap_or_else(|_| rfc3339(t))
}

/// Now, in the audit log's fixed-width form.
pub fn now_audit() -> String {
    audit_time(OffsetDateTime::now_utc())
}

/// Parses a user-given RFC 3339 time (any offset) into the audit log's form, so
/// `--since`/`--before` compare correctly with stored rows.
pub fn parse_to_audit(input: &str) -> Result<String, String> {
    OffsetDateTime::parse(input, &Rfc3339)
        .map(audit_time)
        .map_err(|e| format!("{input:?} is not an RFC 3339 time such as 2026-01-31T00:00:00Z: {e}"))
}

/// Milliseconds since the Unix epoch in the audit log's fixed-width form.
pub fn ms_to_audit(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(audit_time)
        .unwrap_or_else(|_| ms.to_string())
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_times_are_fixed_width_utc() {
        let t = OffsetDateTime::from_unix_timestamp(0).unwrap();
        assert_eq!(audit_time(t), "1970-01-01T00:00:00.000Z");
        assert_eq!(now_audit().len(), 24);
    }

    #[test]
    fn user_times_with_offsets_are_normalised_to_utc() {
        assert_eq!(
            parse_to_audit("2026-06-01T01:30:00+01:00").unwrap(),
            "2026-06-01T00:30:00.000Z"
        );
        assert!(parse_to_audit("yesterday").is_err());
    }
}
