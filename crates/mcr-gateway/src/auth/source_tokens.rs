//! Tokens of sources themselves (client credentials), for publishing locator pointers.
//!
//! A source signs its own JWT with its own key: `iss` and `sub` are its registry id,
//! `aud` the gateway's audience. The key is the one the registry names for that source —
//! a PEM public key or a JWKS URL — so a user token, or another source's token, cannot
//! publish for it. Only asymmetric algorithms are accepted.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use tokio::sync::RwLock;

use super::verifier::LEEWAY_SECS;
use crate::error::AppError;
use crate::registry::Registry;

/// How long a source's fetched JWKS is trusted before it is fetched again.
pub const JWKS_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Deserialize)]
struct SourceClaims {
    sub: String,
    iss: String,
}

/// Verifies source tokens against the registry's keys.
pub struct SourceTokenVerifier {
    audience: String,
    http: reqwest::Client,
    jwks: RwLock<HashMap<String, (JwkSet, Instant)>>,
}

fn unauthorised(reason: impl Into<String>) -> AppError {
    AppError::Unauthorised(reason.into())
}

impl SourceTokenVerifier {
    /// A verifier for tokens addressed to `audience`.
    pub fn new(audience: String, http: reqwest::Client) -> Self {
        Self {
            audience,
            http,
            jwks: RwLock::new(HashMap::new()),
        }
    }

    /// Verifies `token` and returns the registry id of the source that signed it.
    pub async fn verify(&self, token: &str, registry: &Registry) -> Result<String, AppError> {
        let header = decode_header(token)
            .map_err(|e| unauthorised(format!("malformed token header: {e}")))?;
        if !matches!(
            header.alg,
            Algorithm::ES256 | Algorithm::RS256 | Algorithm::EdDSA
        ) {
            return Err(unauthorised(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        // Read the claimed subject only to find which key must have signed the token;
        // nothing else is trusted until the signature is checked with that key.
        let claimed: SourceClaims = token
            .split('.')
            .nth(1)
            .and_then(|p| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            })
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| unauthorised("malformed source token"))?;
        let source = registry
            .by_id(&claimed.sub)
            .ok_or_else(|| unauthorised("the token's subject is not a registered source"))?;
        let key = match (&source.publisher_public_key_pem, &source.publisher_jwks_url) {
            (Some(pem), _) => match header.alg {
                Algorithm::ES256 => DecodingKey::from_ec_pem(pem.as_bytes()),
                Algorithm::RS256 => DecodingKey::from_rsa_pem(pem.as_bytes()),
                _ => DecodingKey::from_ed_pem(pem.as_bytes()),
            }
            .map_err(|e| {
                AppError::Internal(format!("source {} has an unusable key: {e}", source.id))
            })?,
            (None, Some(url)) => self.jwks_key(url, header.kid.as_deref()).await?,
            (None, None) => {
                return Err(unauthorised(
                    "the source has no publishing key in the registry",
                ));
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&source.id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        let verified = decode::<SourceClaims>(token, &key, &validation)
            .map_err(|e| unauthorised(format!("source token rejected: {e}")))?
            .claims;
        debug_assert_eq!(verified.iss, verified.sub);
        Ok(verified.sub)
    }

    async fn jwks_key(&self, url: &str, kid: Option<&str>) -> Result<DecodingKey, AppError> {
        let cached = self
            .jwks
            .read()
            .await
            .get(url)
            .filter(|(_, at)| at.elapsed() < JWKS_TTL)
            .map(|(s, _)| s.clone());
        let set = match cached {
            Some(set) => set,
            None => {
                let set: JwkSet = self
                    .http
                    .get(url)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| AppError::Internal(format!("cannot fetch a source's JWKS: {e}")))?
                    .json()
                    .await
                    .map_err(|e| {
                        AppError::Internal(format!("a source's JWKS is not a key set: {e}"))
                    })?;
                self.jwks
                    .write()
                    .await
                    .insert(url.to_string(), (set.clone(), Instant::now()));
                set
            }
        };
        let jwk = match kid {
            Some(kid) => set.find(kid),
            None => set.keys.first(),
        }
        .ok_or_else(|| unauthorised("unknown signing key"))?;
        DecodingKey::from_jwk(jwk).map_err(|e| unauthorised(format!("unusable key: {e}")))
    }
}
