//! Scale on paper (issue 10, item 4): the per-view cost measured in this run — the
//! release gateway's own CPU time per audited record view, the audit rows each view
//! appends, and the audit rows per second PostgreSQL takes through the group-commit
//! writer — turned into how many gateway replicas, and what PostgreSQL write rate, a
//! region of 2 million patients needs at its peak of 50 record views a second.
//!
//! The gateway runs as its own process on a PostgreSQL store (the replicas'
//! configuration), so its CPU time (`/proc/{pid}/stat`) is its alone, though the
//! simulator and the load generator share the machine with it.
//!
//! With `MCR_BENCH_CALLGRIND=FILE` in the environment the gateway runs under
//! `valgrind --tool=callgrind`, its counters zeroed just before the measured views and
//! written to FILE.1 just after them: instructions per view (callgrind's total over the
//! views printed) are repeatable on a busy machine, unlike CPU time, which valgrind's
//! slowdown makes meaningless for the arithmetic in such a run (BENCHMARKS.md is left as
//! it was).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mcr_gateway::store::{self, Location};
use sqlx::Connection;

use crate::pg::BenchDb;

/// The region the arithmetic is for (issue 10).
pub const REGION_PATIENTS: u64 = 2_000_000;
/// Its peak record views per second (issue 10).
pub const PEAK_VIEWS_PER_S: f64 = 50.0;
/// Cores of one replica: a small VM, like the machine this ran on.
pub const CORES_PER_REPLICA: f64 = 2.0;
/// The CPU a replica should use at peak: half, so one replica failing leaves the
/// others under full load rather than over it.
pub const TARGET_UTILISATION: f64 = 0.5;
/// The fewest replicas: two, so a failure or a rolling upgrade leaves one serving.
pub const MIN_REPLICAS: u64 = 2;
/// Viewers driving the measured views.
const VIEWERS: usize = 32;
/// The environment variable naming a callgrind output file (see the module's doc).
const CALLGRIND: &str = "MCR_BENCH_CALLGRIND";

/// Whether this run's gateway is under callgrind (`MCR_BENCH_CALLGRIND`), so that its
/// times are not to be written down as figures.
pub fn under_callgrind() -> bool {
    std::env::var_os(CALLGRIND).is_some()
}

/// The measured inputs and the figures derived from them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Scale {
    /// Views measured.
    pub views: u64,
    /// Views per second in the measurement (machine shared with the load).
    pub views_per_s: f64,
    /// Gateway CPU time per view (ms, user + system).
    pub cpu_ms_per_view: f64,
    /// Views per second one core of gateway sustains (1000 / `cpu_ms_per_view`).
    pub views_per_core_s: f64,
    /// Audit rows each view appended.
    pub audit_rows_per_view: f64,
    /// Audit rows per second through the group-commit writer on PostgreSQL (64 writers).
    pub store_audit_rows_per_s: f64,
    /// Gateway cores busy at the peak.
    pub cores_at_peak: f64,
    /// Replicas to run.
    pub replicas: u64,
    /// Audit rows per second PostgreSQL must take at the peak.
    pub audit_rows_per_s_at_peak: f64,
}

/// The arithmetic from the measured inputs (kept apart so it is tested on its own).
pub fn derive(
    views: u64,
    views_per_s: f64,
    cpu_ms_per_view: f64,
    audit_rows_per_view: f64,
    store_audit_rows_per_s: f64,
) -> Scale {
    let views_per_core_s = 1000.0 / cpu_ms_per_view;
    let cores_at_peak = PEAK_VIEWS_PER_S / views_per_core_s;
    let replicas = ((cores_at_peak / (CORES_PER_REPLICA * TARGET_UTILISATION)).ceil() as u64)
        .max(MIN_REPLICAS);
    Scale {
        views,
        views_per_s,
        cpu_ms_per_view,
        views_per_core_s,
        audit_rows_per_view,
        store_audit_rows_per_s,
        cores_at_peak,
        replicas,
        audit_rows_per_s_at_peak: PEAK_VIEWS_PER_S * audit_rows_per_view,
    }
}

struct Gateway(Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CPU seconds (user + system, all threads) the process `pid` has used.
fn cpu_seconds(pid: u32, ticks_per_s: f64) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow::anyhow!("unexpected /proc/{pid}/stat"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = fields
        .get(11..13)
        .ok_or_else(|| anyhow::anyhow!("short /proc/{pid}/stat"))?
        .iter()
        .map(|f| f.parse::<f64>())
        .sum::<Result<f64, _>>()?;
    Ok(ticks / ticks_per_s)
}

/// Clock ticks per second, as `getconf CLK_TCK` reports them.
fn ticks_per_second() -> anyhow::Result<f64> {
    let out = Command::new("getconf").arg("CLK_TCK").output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

/// Measures the inputs on PostgreSQL and derives the figures; `None` when PostgreSQL
/// is unreachable.
pub async fn run(duration: Duration, gateway_bin: &Path) -> anyhow::Result<Option<Scale>> {
    let Some(db) = BenchDb::create().await else {
        return Ok(None);
    };
    let measured = measure(duration, gateway_bin, &db.url).await;
    db.drop_now().await;
    measured.map(Some)
}

async fn measure(duration: Duration, gateway_bin: &Path, url: &str) -> anyhow::Result<Scale> {
    let ticks = ticks_per_second()?;
    let sim = mcr_sim::start(mcr_sim::SimConfig {
        patients: 2_000,
        ..Default::default()
    })
    .await?;
    let data = tempfile::tempdir()?;
    let registry = data.path().join("sources.toml");
    std::fs::write(
        &registry,
        mcr_sim::gateway_registry::registry_toml(&sim, 8_000),
    )?;
    let callgrind = std::env::var_os(CALLGRIND);
    let mut command = match &callgrind {
        Some(out) => {
            let mut c = Command::new("valgrind");
            let mut file = std::ffi::OsString::from("--callgrind-out-file=");
            file.push(out);
            c.arg("--tool=callgrind").arg(file).arg(gateway_bin);
            c
        }
        None => Command::new(gateway_bin),
    };
    let mut child = command
        .args(["--demo", "--bind", "127.0.0.1:0", "--database-url", url])
        .arg("--sources")
        .arg(&registry)
        .arg("--data-dir")
        .arg(data.path().join("db"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let gateway = Gateway(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_string();
    let published = mcr_sim::publisher::publish_all(&sim.state, &base).await;
    anyhow::ensure!(
        published.failures.is_empty(),
        "publishing failed: {:?}",
        published.failures
    );

    // Patients with their practice and two providers, each in their own context.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(VIEWERS)
        .build()?;
    let population = &sim.state.population;
    let mut viewers = Vec::new();
    for p in (0..population.len()).filter_map(|i| population.patient(i)) {
        if viewers.len() == VIEWERS {
            break;
        }
        if p.providers.len() != 2 || p.dissented || p.deceased.is_some() || p.huge_record {
            continue;
        }
        let nhs = p.nhs_number.as_digits();
        let token = crate::client::demo_token(&http, &base, &nhs).await?;
        let ctx = crate::client::open_context(&http, &base, &token, &nhs).await?;
        viewers.push((token, format!("{base}/api/v1/contexts/{ctx}/record")));
    }
    anyhow::ensure!(!viewers.is_empty(), "no patient with three sources");

    let mut pg = sqlx::PgConnection::connect(url).await?;
    let head = "SELECT COALESCE(MAX(seq), 0) FROM audit";
    let (seq_before,): (i64,) = sqlx::query_as(head).fetch_one(&mut pg).await?;
    // Callgrind's counters cover the measured views alone: zeroed now, written after.
    let callgrind_control = |what: &str| -> anyhow::Result<()> {
        if callgrind.is_some() {
            let pid = gateway.0.id().to_string();
            let status = Command::new("callgrind_control")
                .args([what, &pid])
                .stdout(Stdio::null())
                .status()?;
            anyhow::ensure!(status.success(), "callgrind_control {what} failed");
        }
        Ok(())
    };
    callgrind_control("-z")?;
    let cpu_before = cpu_seconds(gateway.0.id(), ticks)?;
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for (token, record_url) in viewers {
        let (http, done) = (http.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let resp = http
                    .get(&record_url)
                    .header("Accept", "application/json")
                    .bearer_auth(&token)
                    .send()
                    .await?;
                anyhow::ensure!(resp.status() == 200, "view failed: {}", resp.status());
                resp.bytes().await?;
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(gateway.0.id(), ticks)? - cpu_before;
    callgrind_control("-d")?;
    let (seq_after,): (i64,) = sqlx::query_as(head).fetch_one(&mut pg).await?;
    pg.close().await?;
    drop(gateway);
    let views = done.load(Ordering::Relaxed);
    anyhow::ensure!(views > 0, "no view completed");
    if let Some(out) = &callgrind {
        println!(
            "scale: callgrind counted {views} views into {}.1 (divide its total by them)",
            Path::new(out).display()
        );
    }

    let store = store::open(Location::Postgres(url)).await?;
    let store_rate = crate::store::group_commit(store, duration).await?;
    Ok(derive(
        views,
        views as f64 / elapsed,
        cpu * 1000.0 / views as f64,
        (seq_after - seq_before) as f64 / views as f64,
        store_rate,
    ))
}

/// BENCHMARKS.md's section under `heading`; `locator` is the PostgreSQL locator lookup
/// at 2 million patients when that suite ran too.
pub fn markdown(heading: &str, s: &Scale, locator: Option<&crate::locator::Latencies>) -> String {
    let per_replica = s.views_per_core_s * CORES_PER_REPLICA;
    let mut md = format!(
        "{heading}\n\nA region of {} patients at a peak of {PEAK_VIEWS_PER_S} record views/s, \
         from the per-view cost measured in this run: the release gateway as its own process on PostgreSQL \
         (the replicas' store), {} audited record views (each of a patient with three sources; {:.0} views/s \
         with the simulator and the load generator on the same cores), then the group-commit writer alone.\n\n\
         | input (measured) | value |\n| --- | ---: |\n\
         | gateway CPU per view (user + system) | {:.2} ms |\n\
         | views/s per core (1000 ÷ CPU ms per view) | {:.0} |\n\
         | audit rows per view | {:.2} |\n\
         | PostgreSQL audit rows/s through group commit (64 writers) | {:.0} |\n\n",
        crate::thousands(REGION_PATIENTS),
        s.views,
        s.views_per_s,
        s.cpu_ms_per_view,
        s.views_per_core_s,
        s.audit_rows_per_view,
        s.store_audit_rows_per_s,
    );
    md.push_str(&format!(
        "- Gateway cores busy at the peak: {PEAK_VIEWS_PER_S} views/s ÷ {:.0} views/s per core = **{:.2} cores**.\n\
         - Replicas: {:.2} cores ÷ ({CORES_PER_REPLICA} cores per replica × {TARGET_UTILISATION} target \
         utilisation, so the others carry a failed one's load) = {:.2}, rounded up, at least {MIN_REPLICAS} \
         for failover = **{} replicas** of {CORES_PER_REPLICA} cores ({per_replica:.0} views/s each at full CPU, \
         {:.0} views/s for all of them).\n\
         - PostgreSQL audit writes at the peak: {PEAK_VIEWS_PER_S} views/s × {:.2} rows per view = \
         **{:.0} rows/s**, {:.1}% of the {:.0} rows/s measured through group commit ({:.0}× headroom); \
         every replica appends to the one chain, so this rate is the region's, whatever the replica count.\n",
        s.views_per_core_s,
        s.cores_at_peak,
        s.cores_at_peak,
        s.cores_at_peak / (CORES_PER_REPLICA * TARGET_UTILISATION),
        s.replicas,
        per_replica * s.replicas as f64,
        s.audit_rows_per_view,
        s.audit_rows_per_s_at_peak,
        100.0 * s.audit_rows_per_s_at_peak / s.store_audit_rows_per_s,
        s.store_audit_rows_per_s,
        s.store_audit_rows_per_s / s.audit_rows_per_s_at_peak,
    ));
    md.push_str(&format!(
        "- The locator's {} pointers (3 per patient): one lookup per view, so {PEAK_VIEWS_PER_S} \
         lookups/s at the peak{}.\n",
        crate::thousands(REGION_PATIENTS * 3),
        match locator {
            Some(l) => format!(
                ", against {:.0}/s measured from one client on PostgreSQL at that size (p50 {:.0} µs, \
                 p99 {:.0} µs; Locator lookups above)",
                l.per_s, l.p50_us, l.p99_us
            ),
            None => " (see Locator lookups for the lookup time at that size)".into(),
        }
    ));
    md.push_str(
        "\nThe CPU per view is measured with the simulator and load generator competing for the same cores, \
         which if anything inflates it; the sources' own time is not gateway CPU (the views wait on them \
         without using it). The utilisation target and minimum replica count are the assumptions, stated in \
         `crates/mcr-bench/src/scale.rs`.\n",
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_cover_the_peak_at_half_load_and_are_never_fewer_than_two() {
        // 5 ms a view: 200 views/s a core; 50 views/s is a quarter of a core.
        let light = derive(1000, 100.0, 5.0, 2.0, 5000.0);
        assert_eq!(light.views_per_core_s, 200.0);
        assert_eq!(light.cores_at_peak, 0.25);
        assert_eq!(light.replicas, MIN_REPLICAS);
        assert_eq!(light.audit_rows_per_s_at_peak, 100.0);
        // 100 ms a view: 5 cores busy, 5 ÷ (2 × 0.5) = 5 replicas.
        let heavy = derive(1000, 100.0, 100.0, 4.0, 5000.0);
        assert_eq!(heavy.cores_at_peak, 5.0);
        assert_eq!(heavy.replicas, 5);
        assert_eq!(heavy.audit_rows_per_s_at_peak, 200.0);
    }
}
