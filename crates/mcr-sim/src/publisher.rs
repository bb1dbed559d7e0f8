//! The providers' locator publisher: each simulated hospital and other provider tells
//! the gateway's record locator which patients it holds, in bulk, the way real sources
//! would — `PUT {locator}/api/v1/locator/pointers`, signed with the provider's own key
//! (ES256, derived from the population seed so the gateway's registry can name its
//! public key).

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::organisations::PROVIDERS;
use crate::state::SimState;

/// Pointers per request (the gateway accepts up to 10,000).
pub const BATCH: usize = 5_000;
/// The audience the gateway expects on source tokens.
pub const AUDIENCE: &str = "mcr-gateway";

/// The registry id the gateway knows a provider by.
pub fn registry_id(ods: &str) -> String {
    ods.to_ascii_lowercase()
}

/// The provider's signing key, derived from the seed and its ODS code.
pub fn signing_key(seed: u64, ods: &str) -> SigningKey {
    let mut counter = 0u32;
    loop {
        let digest = Sha256::new()
            .chain_update(b"mcr-sim publisher key")
            .chain_update(seed.to_le_bytes())
            .chain_update(ods.as_bytes())
            .chain_update(counter.to_le_bytes())
            .finalize();
        // About one digest in 2^32 is not a valid scalar; derive again.
        if let Ok(key) = SigningKey::from_slice(&digest) {
            return key;
        }
        counter += 1;
    }
}

/// The provider's public key as PEM, for the gateway's registry.
pub fn public_key_pem(seed: u64, ods: &str) -> String {
    signing_key(seed, ods)
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap_or_default()
}

/// A short-lived client-credentials token for provider `ods`.
pub fn token(seed: u64, ods: &str) -> Result<String, String> {
    let der = signing_key(seed, ods)
        .to_pkcs8_der()
        .map_err(|e| e.to_string())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let id = registry_id(ods);
    let claims = json!({"iss": id, "sub": id, "aud": AUDIENCE, "iat": now, "exp": now + 300});
    encode(
        &Header::new(Algorithm::ES256),
        &claims,
        &EncodingKey::from_ec_der(der.as_bytes()),
    )
    .map_err(|e| e.to_string())
}

/// What a publishing run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    /// Pointers the gateway accepted.
    pub pointers: u64,
    /// Requests that failed (each names its provider and status).
    pub failures: Vec<String>,
}

/// Publishes every provider's pointers for the whole population to the gateway at
/// `locator_base` (e.g. `http://127.0.0.1:8080`).
pub async fn publish_all(state: &SimState, locator_base: &str) -> Published {
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/locator/pointers",
        locator_base.trim_end_matches('/')
    );
    let mut per_provider: Vec<Vec<String>> = vec![Vec::new(); PROVIDERS.len()];
    for i in 0..state.population.len() {
        if let Some(p) = state.population.patient(i) {
            for provider in &p.providers {
                per_provider[*provider].push(p.nhs_number.as_digits());
            }
        }
    }
    let mut done = Published::default();
    for (provider, numbers) in PROVIDERS.iter().zip(per_provider) {
        let id = registry_id(provider.ods);
        for batch in numbers.chunks(BATCH) {
            let token = match token(state.config.seed, provider.ods) {
                Ok(t) => t,
                Err(e) => {
                    done.failures.push(format!("{id}: {e}"));
                    continue;
                }
            };
            let pointers: Vec<_> = batch
                .iter()
                .map(|n| json!({"nhs_number": n, "source_id": id}))
                .collect();
            let sent = http
                .put(&url)
                .bearer_auth(token)
                .json(&json!({"pointers": pointers}))
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => done.pointers += batch.len() as u64,
                Ok(r) => done.failures.push(format!("{id}: {}", r.status())),
                Err(e) => done.failures.push(format!("{id}: {e}")),
            }
        }
    }
    done
}
