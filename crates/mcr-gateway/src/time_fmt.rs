//! Timestamps as the gateway writes them: UTC, RFC 3339.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The current time in RFC 3339 (UTC).
pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

/// A time in RFC 3339.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}
