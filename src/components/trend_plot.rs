//! Result trend plots: one small SVG per test with results from more than one date,
//! across sources — GP results as circles, other services' as squares, abnormal results
//! filled, the reference range as a band — with a text summary for screen readers and
//! anyone who cannot read the plot.

use leptos::prelude::*;
use mcr_model::Entry;

use crate::dates::{day_number, display_date};
use crate::trends::{Point, Trend, trends};

const WIDTH: f64 = 320.0;
const HEIGHT: f64 = 120.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 22.0;

/// The plot's linear scales.
struct Scales {
    day0: f64,
    day_span: f64,
    low: f64,
    high: f64,
}

impl Scales {
    fn for_trend(t: &Trend) -> Self {
        let days: Vec<f64> = t
            .points
            .iter()
            .filter_map(|p| day_number(&p.date))
            .map(|d| d as f64)
            .collect();
        let day0 = days.iter().copied().fold(f64::INFINITY, f64::min);
        let day1 = days.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut low = t
            .points
            .iter()
            .map(|p| p.value)
            .fold(f64::INFINITY, f64::min);
        let mut high = t
            .points
            .iter()
            .map(|p| p.value)
            .fold(f64::NEG_INFINITY, f64::max);
        if let Some((lo, hi)) = t.range {
            low = low.min(lo);
            high = high.max(hi);
        }
        let pad = ((high - low) * 0.1).max(high.abs() * 0.05).max(0.5);
        Self {
            day0,
            day_span: (day1 - day0).max(1.0),
            low: low - pad,
            high: high + pad,
        }
    }

    fn x(&self, p: &Point) -> f64 {
        let d = day_number(&p.date).map_or(self.day0, |d| d as f64);
        LEFT + (d - self.day0) / self.day_span * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, v: f64) -> f64 {
        TOP + (self.high - v) / (self.high - self.low) * (HEIGHT - TOP - BOTTOM)
    }
}

/// `v` rounded to `places` decimals (at most 3), written without the float formatting
/// machinery of `core::fmt`, which would add kilobytes to the panel for a few labels.
fn fixed(v: f64, places: u32) -> String {
    let scale = 10i64.pow(places.min(3));
    let n = (v * scale as f64).round() as i64;
    let sign = if n < 0 { "-" } else { "" };
    let (whole, frac) = (n.abs() / scale, n.abs() % scale);
    if places == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac:0width$}", width = places as usize)
    }
}

/// A number as a person writes it: no trailing `.0`, at most 2 decimals.
fn number(v: f64) -> String {
    let s = fixed(v, 2);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// An SVG coordinate, to a tenth of a unit.
fn at(v: f64) -> String {
    fixed(v, 1)
}

/// What the plot shows, in words: used as its accessible name and shown beneath it.
pub fn summary(t: &Trend) -> String {
    let latest = t.points.last();
    let mut s = format!(
        "{}: {} results from {} {}",
        t.title,
        t.points.len(),
        t.source_count(),
        if t.source_count() == 1 {
            "source"
        } else {
            "sources"
        }
    );
    if let Some(p) = latest {
        s.push_str(&format!(
            "; latest {} {} on {} ({}){}",
            number(p.value),
            t.unit,
            display_date(&p.date),
            p.organisation,
            if p.abnormal { ", abnormal" } else { "" }
        ));
    }
    if let Some((lo, hi)) = t.range {
        s.push_str(&format!(
            "; reference range {}–{} {}",
            number(lo),
            number(hi),
            t.unit
        ));
    }
    let abnormal = t.points.iter().filter(|p| p.abnormal).count();
    if abnormal > 0 {
        s.push_str(&format!("; {abnormal} abnormal"));
    }
    s
}

/// The markers of one kind (GP or not, abnormal or not) as one SVG path: a circle per
/// GP result, a square per other service's, so that a long series is four elements,
/// not one per result.
fn markers(s: &Scales, points: &[Point], from_gp: bool, abnormal: bool) -> Option<AnyView> {
    let d: String = points
        .iter()
        .filter(|p| p.from_gp == from_gp && p.abnormal == abnormal)
        .map(|p| {
            let (x, y) = (s.x(p), s.y(p.value));
            if from_gp {
                format!(
                    "M{},{}a3.5,3.5 0 1,0 7,0a3.5,3.5 0 1,0 -7,0",
                    at(x - 3.5),
                    at(y)
                )
            } else {
                format!("M{},{}h7v7h-7z", at(x - 3.5), at(y - 3.5))
            }
        })
        .collect();
    (!d.is_empty()).then(|| {
        let class = format!(
            "mcr-points mcr-points--{}{}",
            if from_gp { "gp" } else { "other" },
            if abnormal {
                " mcr-points--abnormal"
            } else {
                ""
            }
        );
        view! { <path class=class d=d/> }.into_any()
    })
}

/// One test's plot.
fn plot(t: Trend) -> impl IntoView {
    let s = Scales::for_trend(&t);
    let label = summary(&t);
    let band = t.range.map(|(lo, hi)| {
        let (top, bottom) = (s.y(hi), s.y(lo));
        view! {
            <rect class="mcr-range" x=at(LEFT) y=at(top)
                width=at(WIDTH - LEFT - RIGHT) height=at(bottom - top)/>
        }
    });
    let line = t
        .points
        .iter()
        .map(|p| format!("{},{}", at(s.x(p)), at(s.y(p.value))))
        .collect::<Vec<_>>()
        .join(" ");
    let markers = [(true, false), (true, true), (false, false), (false, true)]
        .into_iter()
        .map(|(gp, abnormal)| markers(&s, &t.points, gp, abnormal))
        .collect_view();
    let first = t
        .points
        .first()
        .map(|p| display_date(&p.date))
        .unwrap_or_default();
    let last = t
        .points
        .last()
        .map(|p| display_date(&p.date))
        .unwrap_or_default();
    let axis_y = HEIGHT - BOTTOM;
    view! {
        <figure class="mcr-trend">
            <svg class="mcr-trend-plot" viewBox=format!("0 0 {} {}", at(WIDTH), at(HEIGHT)) role="img"
                aria-label=label.clone() preserveAspectRatio="xMinYMin meet">
                {band}
                <line class="mcr-axis" x1=at(LEFT) y1=at(TOP)
                    x2=at(LEFT) y2=at(axis_y)/>
                <line class="mcr-axis" x1=at(LEFT) y1=at(axis_y)
                    x2=at(WIDTH - RIGHT) y2=at(axis_y)/>
                <text class="mcr-tick" x=at(LEFT - 4.0) y=at(TOP + 4.0)
                    text-anchor="end">{number(s.high)}</text>
                <text class="mcr-tick" x=at(LEFT - 4.0) y=at(axis_y)
                    text-anchor="end">{number(s.low)}</text>
                <text class="mcr-tick" x=at(LEFT) y=at(HEIGHT - 6.0)>{first}</text>
                <text class="mcr-tick" x=at(WIDTH - RIGHT) y=at(HEIGHT - 6.0)
                    text-anchor="end">{last}</text>
                <polyline class="mcr-trend-line" points=line/>
                {markers}
            </svg>
            <figcaption>{label}</figcaption>
        </figure>
    }
}

/// The trend plots for a Results section: nothing when no test has two plottable
/// results.
#[component]
pub fn TrendPlots(
    /// The section's entries from every source.
    entries: Vec<Entry>,
) -> impl IntoView {
    let all = trends(&entries);
    (!all.is_empty()).then(|| {
        let count = all.len();
        view! {
            <details class="mcr-trends" open=true>
                <summary><h4>"Trends " <span class="mcr-count">"(" {count} " tests)"</span></h4></summary>
                <p class="mcr-legend">
                    <span aria-hidden="true">"● "</span>"GP practice · "
                    <span aria-hidden="true">"■ "</span>"hospital or other service · "
                    "filled: abnormal · shaded band: reference range"
                </p>
                <div class="mcr-trend-grid">{all.into_iter().map(plot).collect_view()}</div>
            </details>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(date: &str, value: f64, abnormal: bool) -> Point {
        Point {
            date: date.into(),
            value,
            organisation: "Leeds GP".into(),
            from_gp: true,
            abnormal,
        }
    }

    #[test]
    fn the_summary_says_what_the_plot_shows() {
        let t = Trend {
            title: "HbA1c".into(),
            unit: "mmol/mol".into(),
            range: Some((20.0, 41.0)),
            points: vec![
                point("2025-01-01", 40.0, false),
                point("2026-01-02", 52.5, true),
            ],
        };
        assert_eq!(
            summary(&t),
            "HbA1c: 2 results from 1 source; latest 52.5 mmol/mol on 02-Jan-2026 (Leeds GP), \
             abnormal; reference range 20–41 mmol/mol; 1 abnormal"
        );
    }

    #[test]
    fn numbers_are_written_without_float_formatting() {
        assert_eq!(fixed(3.26, 1), "3.3");
        assert_eq!(fixed(-0.46, 1), "-0.5");
        assert_eq!(fixed(2.0, 2), "2.00");
        assert_eq!(fixed(0.04, 0), "0");
        assert_eq!(number(52.5), "52.5");
        assert_eq!(number(41.0), "41");
        assert_eq!(number(0.125), "0.13");
    }

    #[test]
    fn points_fall_inside_the_plot_area() {
        let t = Trend {
            title: "Sodium".into(),
            unit: "mmol/L".into(),
            range: Some((133.0, 146.0)),
            points: vec![
                point("2025-01-01", 120.0, true),
                point("2025-01-01", 150.0, true),
            ],
        };
        let s = Scales::for_trend(&t);
        for p in &t.points {
            let (x, y) = (s.x(p), s.y(p.value));
            assert!((LEFT..=WIDTH - RIGHT).contains(&x), "x {x}");
            assert!((TOP..=HEIGHT - BOTTOM).contains(&y), "y {y}");
        }
        assert!(s.y(150.0) < s.y(120.0), "higher values are drawn higher");
    }
}
