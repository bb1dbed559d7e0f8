//! Response headers that protect the pages and the API wherever they are served from:
//! a strict Content-Security-Policy (scripts from the gateway itself plus what
//! WebAssembly needs; `frame-ancestors` limited to the configured host origins),
//! `nosniff`, no referrer, HSTS when the gateway is behind TLS — and CORS for the
//! configured host origins only, so a host EPR on another origin can embed the panel.

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The Content-Security-Policy of everything the gateway serves, allowing framing by
/// `origins` (the host EPRs) as well as the gateway itself, and connections to the
/// gateway plus `connect` (in demo mode, the simulator's control endpoint).
pub fn content_security_policy(origins: &[String], connect: &[String]) -> String {
    let mut ancestors = vec!["'self'".to_string()];
    ancestors.extend(origins.iter().cloned());
    let mut connects = vec!["'self'".to_string()];
    connects.extend(connect.iter().cloned());
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src {}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; \
         form-action 'none'; object-src 'none'; frame-ancestors {}",
        connects.join(" "),
        ancestors.join(" ")
    )
}

/// The headers set on every response: `(name, value)`.
pub fn headers(
    origins: &[String],
    connect: &[String],
    hsts: bool,
) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let csp = HeaderValue::from_str(&content_security_policy(origins, connect))
        .map_err(|_| "an allowed origin contains characters not allowed in a header".to_string())?;
    let mut out = vec![
        (header::CONTENT_SECURITY_POLICY, csp),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ];
    if hsts {
        out.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    Ok(out)
}

/// Checks an allowed origin: `scheme://host[:port]`, nothing after.
pub fn parse_origin(origin: &str) -> Result<HeaderValue, String> {
    let origin = origin.trim().trim_end_matches('/');
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("allowed origin {origin:?} must start with https:// or http://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
        return Err(format!(
            "allowed origin {origin:?} must be scheme://host[:port] with no path or wildcard"
        ));
    }
    HeaderValue::from_str(origin).map_err(|_| format!("allowed origin {origin:?} is not valid"))
}

/// The origin (`scheme://host[:port]`) of an http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (matches!(scheme, "http" | "https") && !host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// CORS for the host origins: the methods and headers the panel uses, bearer tokens
/// only (no cookies or credentials mode). `None` when no origin is configured.
pub fn cors(origins: &[HeaderValue]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ancestors_name_only_the_gateway_and_the_configured_hosts() {
        let csp = content_security_policy(&["https://epr.example.nhs.uk".into()], &[]);
        assert!(
            csp.ends_with("frame-ancestors 'self' https://epr.example.nhs.uk"),
            "{csp}"
        );
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval';"));
        assert!(!csp.contains("unsafe-eval'") || csp.contains("wasm-unsafe-eval"));
    }

    #[test]
    fn origins_must_be_exact_scheme_host_and_port() {
        assert_eq!(
            parse_origin("https://epr.example.nhs.uk/").unwrap(),
            "https://epr.example.nhs.uk"
        );
        assert!(parse_origin("http://127.0.0.1:8443").is_ok());
        for bad in [
            "epr.example.nhs.uk",
            "https://*.nhs.uk",
            "https://epr/path",
            "ftp://x",
            "https://",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_origin_of_a_url_is_its_scheme_host_and_port() {
        assert_eq!(
            origin_of("http://127.0.0.1:4000/_control").as_deref(),
            Some("http://127.0.0.1:4000")
        );
        assert_eq!(
            origin_of("https://sim.example").as_deref(),
            Some("https://sim.example")
        );
        assert_eq!(origin_of("ftp://x/y"), None);
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn hsts_only_when_behind_tls() {
        let names = |hsts: bool| -> Vec<HeaderName> {
            headers(&[], &[], hsts)
                .unwrap()
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        assert!(!names(false).contains(&header::STRICT_TRANSPORT_SECURITY));
        assert!(names(true).contains(&header::STRICT_TRANSPORT_SECURITY));
        assert!(names(false).contains(&header::X_CONTENT_TYPE_OPTIONS));
    }
}
