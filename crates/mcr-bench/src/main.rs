//! `mcr-bench` (run by `cargo xtask bench`): measures the gateway's store, its fan-out
//! and the panel side by side with their baselines in one run, prints a table, and
//! writes `target/bench/results.json` and `BENCHMARKS.md`.
//!
//! Absolute figures drift on shared machines; the ratios against a baseline measured
//! in the same run are what to compare across runs. `--suite store|locator|fanout|scale|panel`
//! (or several, comma-separated: `locator,scale`) runs only those; BENCHMARKS.md then keeps
//! the other suites' sections from the run before.

mod client;
mod fanout;
mod locator;
mod panel;
mod pg;
mod scale;
mod store;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

/// The same allocator as the gateway and simulator binaries, which run in this process
/// for the store suite.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One measured figure beside its baseline.
pub struct Figure {
    /// What was measured.
    pub name: String,
    /// The backend.
    pub backend: &'static str,
    /// Operations per second.
    pub per_second: f64,
    /// The baseline's name and operations per second.
    pub baseline: Option<(String, f64)>,
}

/// Which suites to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suite {
    All,
    Store,
    Locator,
    Fanout,
    Scale,
    Panel,
}

impl Suite {
    fn parse(name: &str) -> anyhow::Result<Self> {
        Ok(match name {
            "all" => Suite::All,
            "store" => Suite::Store,
            "locator" => Suite::Locator,
            "fanout" => Suite::Fanout,
            "scale" => Suite::Scale,
            "panel" => Suite::Panel,
            other => {
                anyhow::bail!("unknown suite {other:?} (all, store, locator, fanout, scale, panel)")
            }
        })
    }
}

/// The suites chosen with `--suite`, comma-separated.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Suites(Vec<Suite>);

impl Suites {
    fn parse(names: &str) -> anyhow::Result<Self> {
        Ok(Suites(
            names
                .split(',')
                .map(|n| Suite::parse(n.trim()))
                .collect::<anyhow::Result<_>>()?,
        ))
    }

    /// Whether this choice runs `suite`.
    fn runs(&self, suite: Suite) -> bool {
        self.0.iter().any(|s| *s == Suite::All || *s == suite)
    }

    /// Whether every suite runs.
    fn all(&self) -> bool {
        self.0.contains(&Suite::All)
    }

    /// `locator, scale`.
    fn names(&self) -> String {
        self.0
            .iter()
            .map(|s| format!("{s:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The headings of BENCHMARKS.md's sections, one per suite.
const STORE_HEADING: &str = "## Store";
const LOCATOR_HEADING: &str = "## Locator lookups";
const FANOUT_HEADING: &str = "## Gateway vs the bare fan-out client";
const SCALE_HEADING: &str = "## Scale on paper";
const PANEL_HEADING: &str = "## Panel vs a React peer";

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: u64 = arg(&args, "--seconds")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5);
    let json_out = arg(&args, "--json").map(PathBuf::from);
    let markdown_out = arg(&args, "--markdown").map(PathBuf::from);
    let root: PathBuf = arg(&args, "--root")
        .map(PathBuf::from)
        .unwrap_or_else(|| ".".into());
    let duration = Duration::from_secs(seconds);
    let suite = Suites::parse(&arg(&args, "--suite").unwrap_or_else(|| "all".into()))?;
    let figures = if suite.runs(Suite::Store) {
        store::run(duration, &root).await?
    } else {
        Vec::new()
    };
    let locator = if suite.runs(Suite::Locator) {
        let patients = arg(&args, "--locator-patients")
            .map(|s| s.parse())
            .transpose()?
            .unwrap_or(2_000_000);
        Some(locator::run(duration, patients).await?)
    } else {
        None
    };
    let fanout = match arg(&args, "--gateway-bin") {
        Some(bin) if suite.runs(Suite::Fanout) => {
            Some(fanout::run(duration, std::path::Path::new(&bin)).await?)
        }
        _ => None,
    };
    let scale = match arg(&args, "--gateway-bin") {
        Some(bin) if suite.runs(Suite::Scale) => {
            scale::run(duration, std::path::Path::new(&bin)).await?
        }
        _ => None,
    };
    let panel = match (arg(&args, "--panel-pkg"), arg(&args, "--panel-bench-pkg")) {
        (Some(shipped), Some(bench)) if suite.runs(Suite::Panel) => {
            Some(panel::run(&panel::PanelConfig {
                root: root.clone(),
                shipped_pkg: shipped.into(),
                bench_pkg: bench.into(),
                work: arg(&args, "--panel-work")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| std::env::temp_dir().join("mcr-bench-panel")),
                entry_counts: vec![100, 1_000, 10_000],
                runs: arg(&args, "--panel-runs")
                    .map(|s| s.parse())
                    .transpose()?
                    .unwrap_or(7),
            })?)
        }
        _ => None,
    };

    if !figures.is_empty() {
        println!(
            "\n{:<58} {:>10} {:>12} {:>44}",
            "measure", "backend", "per second", "baseline (same run) → ratio"
        );
    }
    for f in &figures {
        let baseline = f
            .baseline
            .as_ref()
            .map(|(n, b)| format!("{n} {b:.0}/s → {:.2}×", f.per_second / b))
            .unwrap_or_default();
        println!(
            "{:<58} {:>10} {:>12.0} {:>44}",
            f.name, f.backend, f.per_second, baseline
        );
    }
    if let Some(p) = &panel {
        panel::report::print(p);
    }
    let results = json!({
        "suite": suite.names(),
        "date": mcr_gateway::time_fmt::now_rfc3339(),
        "commit": std::env::var("MCR_BENCH_COMMIT").unwrap_or_default(),
        "machine": machine(),
        "seconds_per_measure": seconds,
        "figures": figures.iter().map(|f| json!({
            "name": f.name,
            "backend": f.backend,
            "per_second": f.per_second,
            "baseline": f.baseline.as_ref().map(|(n, b)| json!({"name": n, "per_second": b, "ratio": f.per_second / b})),
        })).collect::<Vec<_>>(),
        "locator": locator,
        "fanout": fanout,
        "scale": scale,
        "panel": panel,
    });
    if let Some(path) = json_out {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, serde_json::to_string_pretty(&results)?)?;
        println!("bench: wrote {}", path.display());
    }
    // A run under callgrind is for counting instructions: its times are not figures.
    let markdown_out = match markdown_out {
        Some(path) if scale::under_callgrind() => {
            println!(
                "bench: {} left as it was (the gateway ran under callgrind)",
                path.display()
            );
            None
        }
        other => other,
    };
    if let Some(path) = markdown_out {
        let previous = std::fs::read_to_string(&path).unwrap_or_default();
        let sections = Sections {
            store: suite
                .runs(Suite::Store)
                .then(|| store_markdown(&figures))
                .or_else(|| previous_section(&previous, STORE_HEADING)),
            locator: match &locator {
                Some(runs) => Some(locator::markdown(LOCATOR_HEADING, runs)),
                None => previous_section(&previous, LOCATOR_HEADING),
            },
            fanout: match &fanout {
                Some(f) => Some(fanout_markdown(f)),
                None => previous_section(&previous, FANOUT_HEADING),
            },
            scale: match &scale {
                Some(s) => Some(scale::markdown(
                    SCALE_HEADING,
                    s,
                    locator.as_ref().and_then(|runs| {
                        runs.iter()
                            .find(|r| r.backend == "PostgreSQL")
                            .map(|r| &r.gateway)
                    }),
                )),
                None => previous_section(&previous, SCALE_HEADING),
            },
            panel: match &panel {
                Some(p) => Some(panel::report::markdown(p)),
                None => previous_section(&previous, PANEL_HEADING),
            },
        };
        std::fs::write(&path, markdown(&results, &suite, &sections))?;
        println!("bench: wrote {}", path.display());
    }
    Ok(())
}

/// `n` with commas between thousands (`2,000,000`), for the tables.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// CPU model and count, as this run saw them.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!("{cpus} × {model}")
}

/// BENCHMARKS.md's section for each suite: this run's, or the previous file's.
struct Sections {
    store: Option<String>,
    locator: Option<String>,
    fanout: Option<String>,
    scale: Option<String>,
    panel: Option<String>,
}

/// The section under `heading` in `markdown`, up to the next `## ` heading.
fn previous_section(markdown: &str, heading: &str) -> Option<String> {
    let start = markdown.find(&format!("{heading}\n"))?;
    let rest = &markdown[start..];
    let end = rest[heading.len()..]
        .find("\n## ")
        .map_or(rest.len(), |i| heading.len() + i + 1);
    Some(rest[..end].trim_end().to_string() + "\n")
}

fn markdown(results: &serde_json::Value, suite: &Suites, sections: &Sections) -> String {
    let mut md = String::from(
        "# Benchmarks\n\nWritten by `cargo xtask bench`; every figure is shown beside a baseline measured in the \
         same run on the same machine, and the ratio is what to compare between runs. Nothing here is a \
         pass/fail test.\n\n",
    );
    md.push_str(&format!(
        "- date: {}\n- commit: {}\n- machine: {}\n- seconds per measure: {}\n",
        results["date"].as_str().unwrap_or(""),
        results["commit"].as_str().unwrap_or(""),
        results["machine"].as_str().unwrap_or(""),
        results["seconds_per_measure"]
    ));
    if !suite.all() {
        md.push_str(&format!(
            "- suites run: {} only (`--suite`); the other sections are kept from an earlier run\n",
            suite.names()
        ));
    }
    for section in [
        &sections.store,
        &sections.locator,
        &sections.fanout,
        &sections.scale,
        &sections.panel,
    ]
    .into_iter()
    .flatten()
    {
        md.push('\n');
        md.push_str(section);
    }
    md
}

fn store_markdown(figures: &[Figure]) -> String {
    let mut md = format!(
        "{STORE_HEADING}\n\n| measure | backend | per second | baseline (same run) | ratio |\n| --- | --- | ---: | --- | ---: |\n"
    );
    for f in figures {
        let (bname, bval, ratio) = match &f.baseline {
            Some((n, b)) => (
                n.clone(),
                format!("{b:.0}/s"),
                format!("{:.2}×", f.per_second / b),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        md.push_str(&format!(
            "| {} | {} | {:.0} | {} {} | {} |\n",
            f.name, f.backend, f.per_second, bname, bval, ratio
        ));
    }
    md.push_str(
        "\nAn audited view is `GET /api/v1/contexts/{ctx}/record` over loopback HTTP: token check, context \
         lookup, access row committed, GP Connect fetch from the simulator, normalisation, outcome row \
         committed, response. The load generator, the gateway and the simulator share the machine's cores. \
         The budget from issue 3 is ≥ 2,000 audited views/s with SQLite, each response after its commit.\n",
    );
    md
}

fn fanout_markdown(f: &fanout::Fanout) -> String {
    let mut md = format!(
        "{FANOUT_HEADING}\n\nThe same source requests, for patients with three sources (their practice and two \
         providers) at ~50 ms a request (normal, sd 10 ms): the bare client calls the gateway's adapters \
         concurrently with nothing around them; the gateway is the real release process (token, context, \
         locator, audit rows, NDJSON stream). Targets from issue 5: p99 ratio ≤ 1.05, first-source overhead \
         ≤ 20 ms, peak RSS ≤ 100 MB at 200 concurrent. Views the gateway refused as overloaded (503 with \
         `Retry-After`, its admission control) are counted apart and are not in the times; peak RSS is the \
         gateway's during that load alone.\n\n\
         | load | views/s | gateway p50 / p99 ms | bare p50 / p99 ms | p99 ratio | first-source overhead (p50) | refused (503) | gateway peak RSS |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for s in &f.shapes {
        md.push_str(&format!(
            "| {} | {:.0} | {:.0} / {:.0} | {:.0} / {:.0} | {:.2} | {:.1} ms | {} | {:.0} MiB |\n",
            s.load,
            s.views_per_s,
            s.gateway_p50_ms,
            s.gateway_p99_ms,
            s.bare_p50_ms,
            s.bare_p99_ms,
            s.gateway_p99_ms / s.bare_p99_ms,
            s.first_source_overhead_p50_ms,
            s.refused,
            s.gateway_peak_rss_mib
        ));
    }
    md.push_str(&format!(
        "\nGateway peak RSS over the whole run: {:.0} MiB.\n",
        f.gateway_peak_rss_mib
    ));
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_suites_may_be_chosen_and_all_runs_every_one() {
        let chosen = Suites::parse("locator,scale").unwrap();
        assert!(chosen.runs(Suite::Locator) && chosen.runs(Suite::Scale));
        assert!(!chosen.runs(Suite::Store) && !chosen.all());
        assert_eq!(chosen.names(), "locator, scale");
        assert!(Suites::parse("all").unwrap().runs(Suite::Panel));
        assert!(Suites::parse("store,nope").is_err());
    }

    #[test]
    fn thousands_are_separated_by_commas() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(2_000_000), "2,000,000");
        assert_eq!(thousands(16_535), "16,535");
    }

    #[test]
    fn a_previous_section_runs_to_the_next_heading_or_the_end() {
        let md = "# B\n\n## Store\n\ntable\n\n## Panel vs a React peer\n\npanel\n";
        assert_eq!(
            previous_section(md, STORE_HEADING).as_deref(),
            Some("## Store\n\ntable\n")
        );
        assert_eq!(
            previous_section(md, PANEL_HEADING).as_deref(),
            Some("## Panel vs a React peer\n\npanel\n")
        );
        assert_eq!(previous_section(md, FANOUT_HEADING), None);
    }
}
