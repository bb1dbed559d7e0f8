//! Upstream narrative HTML is sanitised against an allow-list (ammonia's: no scripts,
//! no event attributes, no `javascript:` URLs, no styles) before it leaves the gateway.

use std::collections::HashSet;
use std::sync::LazyLock;

/// The sanitiser, built once: a builder holds the allow-list's sets, which are costly
/// to build again for every narrative.
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https"]))
        .link_rel(Some("noopener noreferrer"));
    builder
});

/// The HTML with everything not on the allow-list removed; links keep only http(s) and
/// are marked `rel="noopener noreferrer"`.
pub fn sanitise(html: &str) -> String {
    SANITISER.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_event_handlers_and_javascript_urls_are_removed() {
        let dirty = r#"<div onclick="steal()"><p>Discharged <b>well</b></p><script>alert(1)</script><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)></div>"#;
        let clean = sanitise(dirty);
        assert!(clean.contains("<p>Discharged <b>well</b></p>"), "{clean}");
        for bad in ["script", "onclick", "onerror", "javascript:", "alert"] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
    }
}
