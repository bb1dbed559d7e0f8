//! Compressed sizes, the same way for both subjects: each file compressed on its own
//! (as a server sends it) with gzip at level 9 and brotli at quality 11, and summed.

use std::io::Write;
use std::path::Path;

/// Raw, gzip and brotli bytes of a set of files.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Sizes {
    /// Uncompressed.
    pub raw: u64,
    /// gzip, level 9.
    pub gzip: u64,
    /// brotli, quality 11, window 22.
    pub brotli: u64,
}

fn gzip(bytes: &[u8]) -> anyhow::Result<u64> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

fn brotli(bytes: &[u8]) -> anyhow::Result<u64> {
    let mut out = Vec::new();
    {
        let mut encoder = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        encoder.write_all(bytes)?;
    }
    Ok(out.len() as u64)
}

/// The summed sizes of `files`.
pub fn sizes(files: &[&Path]) -> anyhow::Result<Sizes> {
    let mut total = Sizes::default();
    for file in files {
        let bytes = std::fs::read(file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        total.raw += bytes.len() as u64;
        total.gzip += gzip(&bytes)?;
        total.brotli += brotli(&bytes)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetitive_text_compresses_and_brotli_beats_gzip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("a.js");
        std::fs::write(&file, "function f() { return 1; }\n".repeat(1000)).expect("write");
        let s = sizes(&[&file]).expect("sizes");
        assert_eq!(s.raw, 27_000);
        assert!(s.gzip < 1_000 && s.brotli <= s.gzip, "{s:?}");
    }
}
