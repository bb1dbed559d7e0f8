//! Token verification against a JWKS: signature, issuer, audience, expiry.
//!
//! Only asymmetric algorithms are accepted (ES256, RS256, EdDSA); `none` and HMAC are
//! refused before any key is looked at, so a public key can never be used as an HMAC
//! secret. Keys are cached; an unknown `kid` triggers a refetch (key rotation), at most
//! once per [`REFETCH_INTERVAL`] so forged `kid`s cannot make the gateway hammer the
//! issuer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use super::Claims;
use super::claim_map::ClaimMap;
use crate::error::AppError;

/// Minimum time between two JWKS fetches triggered by unknown key ids.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// Verified tokens remembered; the memory is cleared when full.
pub const MAX_RECENT: usize = 10_000;
/// The largest token accepted; anything larger is refused before it is parsed.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 60;

/// Verifies bearer tokens from one trusted issuer.
pub struct TokenVerifier {
    issuer: String,
    audience: String,
    jwks_url: String,
    http: reqwest::Client,
    keys: RwLock<KeyCache>,
    recent: Mutex<HashMap<[u8; 32], Claims>>,
    claim_map: ClaimMap,
}

#[derive(Default)]
struct KeyCache {
    set: Option<JwkSet>,
    fetched_at: Option<Instant>,
}

impl TokenVerifier {
    /// The trusted issuer (its URL; its OpenID Connect discovery document is under it).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// A verifier trusting `issuer`, whose keys are published at `jwks_url`, reading
    /// who the user is through the default claim names.
    pub fn new(issuer: String, audience: String, jwks_url: String, http: reqwest::Client) -> Self {
        Self {
            issuer,
            audience,
            jwks_url,
            http,
            keys: RwLock::new(KeyCache::default()),
            recent: Mutex::new(HashMap::new()),
            claim_map: ClaimMap::default(),
        }
    }

    /// Reads who the user is through `claim_map` (claim names, RBAC role codes).
    pub fn with_claim_map(mut self, claim_map: ClaimMap) -> Self {
        self.claim_map = claim_map;
        self
    }

    /// Verifies `token` and returns its claims.
    ///
    /// A token verified before is recognised by its SHA-256 and not checked again until
    /// it expires: the signature, issuer and audience cannot have changed, and an EPR
    /// session sends the same token for every view.
    pub async fn verify(&self, token: &str) -> Result<Claims, AppError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AppError::Unauthorised(format!(
                "token larger than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if let Some(claims) = self
            .recent
            .lock()
            .ok()
            .and_then(|c| c.get(&digest).cloned())
            && claims.exp + LEEWAY_SECS as i64 > now
        {
            return Ok(claims);
        }
        let claims = self.verify_signature(token).await?;
        if let Ok(mut cache) = self.recent.lock() {
            if cache.len() >= MAX_RECENT {
                cache.clear();
            }
            cache.insert(digest, claims.clone());
        }
        Ok(claims)
    }

    async fn verify_signature(&self, token: &str) -> Result<Claims, AppError> {
        let header = decode_header(token)
            .map_err(|e| AppError::Unauthorised(format!("malformed token header: {e}")))?;
        if !matches!(
            header.alg,
            Algorithm::ES256 | Algorithm::RS256 | Algorithm::EdDSA
        ) {
            return Err(AppError::Unauthorised(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or_else(|| AppError::Unauthorised("token has no kid".into()))?;
        let key = self.key_for(kid).await?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        // The user id's claim is configurable; the claim map requires it below.
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        let raw = decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| AppError::Unauthorised(format!("token rejected: {e}")))?;
        self.claim_map.claims(&raw)
    }

    async fn key_for(&self, kid: &str) -> Result<DecodingKey, AppError> {
        if let Some(key) = self.cached_key(kid).await? {
            return Ok(key);
        }
        {
            let mut cache = self.keys.write().await;
            let recently = cache
                .fetched_at
                .is_some_and(|t| t.elapsed() < REFETCH_INTERVAL);
            // Another request may have refreshed the set while this one waited.
            let known = cache.set.as_ref().is_some_and(|s| s.find(kid).is_some());
            if !known && !recently {
                let set = self.fetch().await?;
                cache.set = Some(set);
                cache.fetched_at = Some(Instant::now());
            }
        }
        self.cached_key(kid)
            .await?
            .ok_or_else(|| AppError::Unauthorised("unknown signing key".into()))
    }

    async fn cached_key(&self, kid: &str) -> Result<Option<DecodingKey>, AppError> {
        let cache = self.keys.read().await;
        match cache.set.as_ref().and_then(|s| s.find(kid)) {
            Some(jwk) => DecodingKey::from_jwk(jwk)
                .map(Some)
                .map_err(|e| AppError::Unauthorised(format!("unusable key: {e}"))),
            None => Ok(None),
        }
    }

    async fn fetch(&self) -> Result<JwkSet, AppError> {
        let fetched = self
            .http
            .get(&self.jwks_url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .and_then(|r| r.error_for_status());
        match fetched {
            Ok(response) => response
                .json::<JwkSet>()
                .await
                .map_err(|e| AppError::Internal(format!("issuer JWKS is not a key set: {e}"))),
            Err(e) => Err(AppError::Internal(format!(
                "could not fetch issuer JWKS: {e}"
            ))),
        }
    }
}
