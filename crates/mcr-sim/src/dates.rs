//! Calendar arithmetic on days since 1970-01-01, and the fixed "today" of the
//! simulation: records are generated as of [`AS_OF`], not the wall clock, so the same
//! seed gives byte-identical responses on any day.

/// Days since 1970-01-01 (negative before).
pub type Day = i32;

/// The simulated "today": 2025-11-01.
pub const AS_OF: Day = 20_393;

/// The day of `year-month-day` (proleptic Gregorian).
pub fn day(year: i32, month: u32, day: u32) -> Day {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day.
pub fn civil(d: Day) -> (i32, u32, u32) {
    let z = d + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let dd = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let mm = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let yy = yoe + era * 400 + i32::from(mm <= 2);
    (yy, mm, dd)
}

/// `YYYY-MM-DD`.
pub fn date(d: Day) -> String {
    let (y, m, dd) = civil(d);
    format!("{y:04}-{m:02}-{dd:02}")
}

/// `YYYY-MM-DDTHH:MM:00+00:00` at `minute` minutes past midnight.
pub fn date_time(d: Day, minute: u32) -> String {
    format!(
        "{}T{:02}:{:02}:00+00:00",
        date(d),
        (minute / 60) % 24,
        minute % 60
    )
}

/// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (with anything after the date ignored) into
/// the first and last day it covers.
pub fn parse_range(s: &str) -> Option<(Day, Day)> {
    let s = s.get(..10).unwrap_or(s);
    let parts: Vec<&str> = s.split('-').collect();
    let num = |i: usize| parts.get(i).and_then(|p| p.parse::<u32>().ok());
    let year = parts.first()?.parse::<i32>().ok()?;
    match parts.len() {
        1 => Some((day(year, 1, 1), day(year + 1, 1, 1) - 1)),
        2 => {
            let m = num(1).filter(|m| (1..=12).contains(m))?;
            let next = if m == 12 {
                day(year + 1, 1, 1)
            } else {
                day(year, m + 1, 1)
            };
            Some((day(year, m, 1), next - 1))
        }
        3 => {
            let m = num(1).filter(|m| (1..=12).contains(m))?;
            let d = num(2).filter(|d| (1..=31).contains(d))?;
            let v = day(year, m, d);
            Some((v, v))
        }
        _ => None,
    }
}

/// Whole years between `born` and `on`.
pub fn age_on(born: Day, on: Day) -> i32 {
    let (by, bm, bd) = civil(born);
    let (y, m, d) = civil(on);
    y - by - i32::from((m, d) < (bm, bd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_is_the_first_of_november_2025() {
        assert_eq!(date(AS_OF), "2025-11-01");
        assert_eq!(day(2025, 11, 1), AS_OF);
    }

    #[test]
    fn days_and_civil_dates_round_trip_across_leap_years() {
        for d in -30_000..30_000 {
            let (y, m, dd) = civil(d);
            assert_eq!(day(y, m, dd), d);
        }
        assert_eq!(date(day(2024, 2, 29) + 1), "2024-03-01");
    }

    #[test]
    fn partial_dates_cover_their_whole_period() {
        assert_eq!(
            parse_range("2024"),
            Some((day(2024, 1, 1), day(2024, 12, 31)))
        );
        assert_eq!(
            parse_range("2024-02"),
            Some((day(2024, 2, 1), day(2024, 2, 29)))
        );
        assert_eq!(parse_range("2024-13"), None);
        assert_eq!(parse_range("soon"), None);
    }

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(day(1950, 6, 2), day(2025, 6, 1)), 74);
        assert_eq!(age_on(day(1950, 6, 2), day(2025, 6, 2)), 75);
    }
}
