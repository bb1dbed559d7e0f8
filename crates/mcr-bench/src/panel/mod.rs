//! Panel vs a peer: the panel's bundle size and render time beside a React peer built
//! in the same run — Medplum's `@medplum/react` components rendering the same entries as
//! FHIR R4 resources, bundled from npm with esbuild.
//!
//! Sizes: the shipped panel (`pkg/`: wasm + JS glue + snippets) against the peer's
//! bundle (JS + CSS), gzip and brotli ([`compress`]). Render time: a loopback page in
//! headless Chromium has each subject draw its waiting state (the patient, no entries),
//! then hands it the JSON of N entries ([`entries`]) and times, with performance marks,
//! until the frame after the entries are in the DOM (`browser/measure.mjs`); each run is
//! a fresh page, and the median of the runs is reported. Ours is the bench build of the
//! panel (`mount_for_bench`, cargo feature `bench`); the shipped one is measured for
//! size.

pub mod compress;
pub mod entries;
pub mod report;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::Serialize;

use compress::Sizes;

/// Where the suite's inputs are and how much to run.
pub struct PanelConfig {
    /// The repository root (for `node_modules` and `crates/mcr-bench/browser`).
    pub root: PathBuf,
    /// The shipped panel package (`pkg/`), measured for size.
    pub shipped_pkg: PathBuf,
    /// The panel built with the `bench` feature, rendered in the page.
    pub bench_pkg: PathBuf,
    /// A scratch directory: the served page, the peer's bundle, the data.
    pub work: PathBuf,
    /// Entry counts to render.
    pub entry_counts: Vec<usize>,
    /// Runs per subject and entry count.
    pub runs: usize,
}

/// One subject's bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    /// The files counted, relative to their package.
    pub files: Vec<String>,
    /// Their summed sizes.
    pub sizes: Sizes,
}

/// Render times for one entry count.
#[derive(Debug, Clone, Serialize)]
pub struct Render {
    /// Entries in the record.
    pub entries: usize,
    /// Our runs, ms.
    pub ours_ms: Vec<f64>,
    /// The peer's runs, ms.
    pub peer_ms: Vec<f64>,
    /// Median of ours, ms.
    pub ours_median_ms: f64,
    /// Median of the peer's, ms.
    pub peer_median_ms: f64,
    /// Entries found in our DOM after the last run: the summary's items, as ours opens on
    /// its Summary tab (a check: more than none).
    pub ours_in_dom: usize,
    /// Entries found in the peer's DOM after the last run.
    pub peer_in_dom: usize,
}

/// All panel figures.
#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    /// The shipped panel.
    pub ours: Bundle,
    /// The peer.
    pub peer: Bundle,
    /// Bytes the `bench` feature adds to the panel (wasm + JS, raw), for the record.
    pub bench_feature_adds_bytes: i64,
    /// Render times, by entry count.
    pub renders: Vec<Render>,
    /// Runs per subject and entry count.
    pub runs: usize,
    /// Versions: the peer's npm packages, esbuild and the browser.
    pub versions: Vec<(String, String)>,
    /// Requests the peer's MedplumClient tried to make (refused); should be 0.
    pub peer_refused_requests: u64,
}

/// One line of `measure.mjs`'s output.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    subject: String,
    n: usize,
    ms: f64,
    entries: usize,
    refused_requests: u64,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The files of a wasm-bindgen package a host page downloads: the wasm, the JS glue and
/// the inline-JS snippets.
fn panel_files(pkg: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = vec![pkg.join("mcr_panel_bg.wasm"), pkg.join("mcr_panel.js")];
    let snippets = pkg.join("snippets");
    if snippets.is_dir() {
        files.extend(files_under(&snippets)?);
    }
    Ok(files)
}

fn bundle(base: &Path, files: &[PathBuf]) -> anyhow::Result<Bundle> {
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    Ok(Bundle {
        files: files
            .iter()
            .map(|f| f.strip_prefix(base).unwrap_or(f).display().to_string())
            .collect(),
        sizes: compress::sizes(&paths)?,
    })
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    for file in files_under(from)? {
        let target = to.join(file.strip_prefix(from)?);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&file, &target)
            .with_context(|| format!("copying {} to {}", file.display(), target.display()))?;
    }
    Ok(())
}

fn node(root: &Path, script: &Path, args: &[String]) -> anyhow::Result<String> {
    let output = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(root)
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start node {}", script.display()))?;
    if !output.status.success() {
        bail!("node {} failed with {}", script.display(), output.status);
    }
    Ok(String::from_utf8(output.stdout)?)
}

fn npm_version(root: &Path, package: &str) -> String {
    let manifest = root.join("node_modules").join(package).join("package.json");
    std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|v| v["version"].as_str().map(str::to_string))
        .unwrap_or_else(|| "not installed".into())
}

/// Lays out the served directory: the page, both subjects, the data.
fn prepare(config: &PanelConfig, browser: &Path) -> anyhow::Result<()> {
    let work = &config.work;
    if work.exists() {
        std::fs::remove_dir_all(work)?;
    }
    std::fs::create_dir_all(work.join("data"))?;
    for page in ["bench.html", "harness.js", "ours.js"] {
        std::fs::copy(browser.join(page), work.join(page))
            .with_context(|| format!("copying {page}"))?;
    }
    copy_dir(&config.bench_pkg, &work.join("ours"))?;
    node(
        &config.root,
        &browser.join("build-peer.mjs"),
        &[work.join("peer").display().to_string()],
    )?;
    for &n in &config.entry_counts {
        std::fs::write(
            work.join(format!("data/record-{n}.json")),
            serde_json::to_vec(&entries::record(n))?,
        )?;
        std::fs::write(
            work.join(format!("data/fhir-{n}.json")),
            serde_json::to_vec(&entries::fhir_bundle(n))?,
        )?;
    }
    Ok(())
}

/// Runs the suite.
pub fn run(config: &PanelConfig) -> anyhow::Result<Panel> {
    let browser = config.root.join("crates/mcr-bench/browser");
    println!("panel: bundling the peer and writing the entries");
    prepare(config, &browser)?;
    let ours = bundle(&config.shipped_pkg, &panel_files(&config.shipped_pkg)?)?;
    let peer_dir = config.work.join("peer");
    let peer = bundle(
        &peer_dir,
        &[peer_dir.join("entry.js"), peer_dir.join("entry.css")],
    )?;
    let bench_build = bundle(&config.bench_pkg, &panel_files(&config.bench_pkg)?)?;
    println!(
        "panel: timing {:?} entries, {} runs each, in headless Chromium",
        config.entry_counts, config.runs
    );
    let counts = config
        .entry_counts
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let out = node(
        &config.root,
        &browser.join("measure.mjs"),
        &[
            config.work.display().to_string(),
            counts,
            config.runs.to_string(),
        ],
    )?;
    let mut versions = ["@medplum/react", "@mantine/core", "react", "esbuild"]
        .map(|p| (p.to_string(), npm_version(&config.root, p)))
        .to_vec();
    let mut runs = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value =
            serde_json::from_str(line).with_context(|| format!("measure.mjs said {line:?}"))?;
        match value["browser"].as_str() {
            Some(browser) => versions.push(("Chromium".into(), browser.to_string())),
            None => runs.push(serde_json::from_value::<Run>(value)?),
        }
    }
    let renders = config
        .entry_counts
        .iter()
        .map(|&n| {
            let of = |subject: &str| -> Vec<&Run> {
                runs.iter()
                    .filter(|r| r.n == n && r.subject == subject)
                    .collect()
            };
            let (o, p) = (of("ours"), of("peer"));
            let ours_ms: Vec<f64> = o.iter().map(|r| r.ms).collect();
            let peer_ms: Vec<f64> = p.iter().map(|r| r.ms).collect();
            Render {
                entries: n,
                ours_median_ms: median(&ours_ms),
                peer_median_ms: median(&peer_ms),
                ours_ms,
                peer_ms,
                ours_in_dom: o.last().map_or(0, |r| r.entries),
                peer_in_dom: p.last().map_or(0, |r| r.entries),
            }
        })
        .collect::<Vec<_>>();
    for r in &renders {
        if r.ours_in_dom == 0 || r.peer_in_dom != r.entries {
            eprintln!(
                "panel: warning: {} entries rendered, but {} found in our DOM and {} in the peer's",
                r.entries, r.ours_in_dom, r.peer_in_dom
            );
        }
    }
    let peer_refused_requests = runs
        .iter()
        .filter(|r| r.subject == "peer")
        .map(|r| r.refused_requests)
        .max()
        .unwrap_or(0);
    Ok(Panel {
        bench_feature_adds_bytes: bench_build.sizes.raw as i64 - ours.sizes.raw as i64,
        ours,
        peer,
        renders,
        runs: config.runs,
        versions,
        peer_refused_requests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
    }
}
