//! Dates as the NHS common user interface shows them (`03-Feb-1950`) and ages.

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The day of an ISO date or date-time: its first ten characters (`2026-03-12` from
/// `2026-03-12T09:00:00Z`); text shorter than that is returned as it is.
pub fn day(iso: &str) -> &str {
    iso.get(..10).unwrap_or(iso)
}

/// `(year, month, day)` from `YYYY-MM-DD` (or the date part of a dateTime).
pub fn parse_ymd(iso: &str) -> Option<(i32, u32, u32)> {
    let mut parts = iso.get(..10)?.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts
        .next()?
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))?;
    let d = parts
        .next()?
        .parse()
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    Some((y, m, d))
}

/// `03-Feb-1950` from `1950-02-03`; a year-only or year-month date is shown as given.
pub fn display_date(iso: &str) -> String {
    match parse_ymd(iso) {
        Some((y, m, d)) => format!("{d:02}-{}-{y:04}", MONTHS[(m - 1) as usize]),
        None => iso.to_string(),
    }
}

/// A UTC timestamp (RFC 3339) as the viewer's local date and time, `25-Nov-2026 16:40`;
/// text that is not a time is shown as given.
pub fn local_date_time(iso: &str) -> String {
    let t = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    if t.get_time().is_nan() {
        return iso.to_string();
    }
    format!(
        "{:02}-{}-{:04} {:02}:{:02}",
        t.get_date(),
        MONTHS[t.get_month() as usize % 12],
        t.get_full_year(),
        t.get_hours(),
        t.get_minutes()
    )
}

/// Days since 1970-01-01 of an ISO date (or a dateTime's date part), for placing dates
/// on a time axis.
pub fn day_number(iso: &str) -> Option<i64> {
    let (y, m, d) = parse_ymd(iso)?;
    // Days from civil (proleptic Gregorian), after Howard Hinnant's algorithm.
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Today's date on the viewer's clock, `YYYY-MM-DD`.
pub fn today_iso() -> String {
    let t = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        t.get_full_year(),
        t.get_month() + 1,
        t.get_date()
    )
}

/// Age in whole years on `today` for someone born on `birth`.
pub fn age_on(birth: (i32, u32, u32), today: (i32, u32, u32)) -> Option<u32> {
    let mut years = today.0 - birth.0;
    if (today.1, today.2) < (birth.1, birth.2) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_shown_day_month_name_year() {
        assert_eq!(display_date("1950-02-03"), "03-Feb-1950");
        assert_eq!(display_date("2020-12-01T00:00:00+00:00"), "01-Dec-2020");
        assert_eq!(display_date("2020"), "2020");
    }

    #[test]
    fn day_numbers_count_from_the_unix_epoch() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(day_number("2026-11-25T10:00:00Z"), Some(20_782));
        assert_eq!(day_number("1969-12-31"), Some(-1));
        assert_eq!(day_number("2026"), None);
    }

    #[test]
    fn age_counts_only_completed_years() {
        assert_eq!(age_on((1950, 2, 3), (2026, 2, 2)), Some(75));
        assert_eq!(age_on((1950, 2, 3), (2026, 2, 3)), Some(76));
        assert_eq!(age_on((2030, 1, 1), (2026, 1, 1)), None);
    }
}
