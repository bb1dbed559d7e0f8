//! The panel suite's figures as a console table and as BENCHMARKS.md's section.

use super::Panel;

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

fn ratio(ours: f64, peer: f64) -> String {
    format!("{:.2}×", ours / peer)
}

/// Prints the figures.
pub fn print(p: &Panel) {
    println!(
        "\n{:<34} {:>12} {:>12} {:>12}",
        "panel bundle", "raw", "gzip -9", "brotli 11"
    );
    for (name, b) in [("ours (wasm + js)", &p.ours), ("peer (js + css)", &p.peer)] {
        println!(
            "{:<34} {:>12} {:>12} {:>12}",
            name,
            kb(b.sizes.raw),
            kb(b.sizes.gzip),
            kb(b.sizes.brotli)
        );
    }
    let (o, q) = (&p.ours.sizes, &p.peer.sizes);
    println!(
        "{:<34} {:>12} {:>12} {:>12}",
        "ratio ours/peer",
        ratio(o.raw as f64, q.raw as f64),
        ratio(o.gzip as f64, q.gzip as f64),
        ratio(o.brotli as f64, q.brotli as f64)
    );
    println!(
        "\n{:<34} {:>12} {:>12} {:>12}",
        "panel render (median)", "ours ms", "peer ms", "ours/peer"
    );
    for r in &p.renders {
        println!(
            "{:<34} {:>12.1} {:>12.1} {:>12}",
            format!("{} entries", r.entries),
            r.ours_median_ms,
            r.peer_median_ms,
            ratio(r.ours_median_ms, r.peer_median_ms)
        );
    }
}

/// BENCHMARKS.md's section for the panel suite.
pub fn markdown(p: &Panel) -> String {
    let version = |name: &str| {
        p.versions
            .iter()
            .find(|(n, _)| n == name)
            .map_or("?", |(_, v)| v.as_str())
    };
    let mut md = format!(
        "## Panel vs a React peer\n\n\
         The peer is Medplum's `@medplum/react` {} (Mantine {}, React {}) rendering the same entries as \
         FHIR R4 resources: its patient-summary problem list, medications and allergies sections and its \
         `ObservationTable`, bundled from npm in the same run with esbuild {} (minified, production, no \
         legal comments). Each file is compressed on its own, gzip at level 9 and brotli at quality 11.\n\n\
         | bundle | files | raw | gzip | brotli |\n| --- | --- | ---: | ---: | ---: |\n",
        version("@medplum/react"),
        version("@mantine/core"),
        version("react"),
        version("esbuild"),
    );
    for (name, b) in [("ours", &p.ours), ("peer", &p.peer)] {
        md.push_str(&format!(
            "| {name} | {} | {} | {} | {} |\n",
            b.files
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", "),
            kb(b.sizes.raw),
            kb(b.sizes.gzip),
            kb(b.sizes.brotli)
        ));
    }
    let (o, q) = (&p.ours.sizes, &p.peer.sizes);
    md.push_str(&format!(
        "| ratio ours/peer | | {} | {} | {} |\n",
        ratio(o.raw as f64, q.raw as f64),
        ratio(o.gzip as f64, q.gzip as f64),
        ratio(o.brotli as f64, q.brotli as f64)
    ));
    md.push_str(&format!(
        "\nRender time in headless Chromium {}: median of {} runs, each in a fresh page, from the \
         last byte of the data — handing the subject the record's JSON as UTF-8 bytes, as they come \
         from the network (ours: the gateway's `Record`; the peer: a FHIR Bundle, which it decodes \
         with `TextDecoder` and `JSON.parse`s) — to the frame after its entries are in the DOM \
         (`performance.measure`; the end mark is set in a task queued from `requestAnimationFrame`, \
         after that frame's style, layout and paint). Before the timed span, untimed, each subject \
         draws what a viewer shows while it waits for the data — the patient and no entries (ours: \
         the record as it is once the sources to ask are known and none has answered; the peer: its \
         sections with the Bundle's Patient and no resources) — and a frame goes by, as a viewer \
         is on screen before its record arrives; so neither subject's timed frame pays for the \
         page's first text (the first font look-ups) or the first call into its code. Ours is the \
         clinician's `RecordView` mounted by `mount_for_bench` (the `bench` feature, which adds {} \
         bytes and is not in the shipped panel), which copies the bytes into wasm memory, checks \
         they are UTF-8 and parses them with the panel's own JSON reader, as the panel reads the \
         gateway's stream (there, most of an event's bytes are copied in as they arrive, before \
         its last), and sets the record into the view's signal, \
         rebuilding the view as the panel does on each event (the view borrows the record, never \
         copies it); it opens on \
         its Summary tab, as the panel does: the banner, the sources, a tab per section with its \
         count, and the summary (a few items of each part, which the peer has no counterpart of); \
         a section's entries (50 per column at first), its medication comparison and trend plots \
         are built when its tab is selected; the peer renders every entry through `flushSync` into \
         its React root. Entries spread evenly over problems, medications, allergies and results, \
         half from a GP practice and half from a trust. The whole record arrives at once here, the \
         worst case: streamed, the panel reads and draws each source's part as it comes.\n\n\
         | entries | ours median ms | peer median ms | ratio ours/peer | entries in the DOM (ours: summary items / peer) |\n\
         | ---: | ---: | ---: | ---: | ---: |\n",
        version("Chromium"),
        p.runs,
        p.bench_feature_adds_bytes,
    ));
    for r in &p.renders {
        md.push_str(&format!(
            "| {} | {:.1} | {:.1} | {} | {} / {} |\n",
            r.entries,
            r.ours_median_ms,
            r.peer_median_ms,
            ratio(r.ours_median_ms, r.peer_median_ms),
            r.ours_in_dom,
            r.peer_in_dom
        ));
    }
    if p.peer_refused_requests > 0 {
        md.push_str(&format!(
            "\nThe peer's MedplumClient tried {} request(s), refused by the page.\n",
            p.peer_refused_requests
        ));
    }
    md
}
