//! The providers' locator publisher: each simulated hospital and other provider tells
//! the gateway's record locator which patients it holds, the way real sources would —
//! `PUT {locator}/api/v1/locator/pointers`, signed with the provider's own key (ES256,
//! derived from the population seed so the gateway's registry can name its public key).
//!
//! Two moments, as at a real trust: in bulk when it joins the locator
//! ([`publish_all`], `POST /_control/publish`), and one pointer when it first sees a
//! patient it has not yet told that locator of ([`Publisher::first_seen`]: a provider
//! asked about a patient it holds). The simulator stores no patients, so "not yet told"
//! is remembered only as the pointers sent one by one since the last bulk run to the
//! current locator; after a complete bulk run there is nothing left to tell.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

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

/// The pointers endpoint of the gateway at `locator_base`.
fn pointers_url(locator_base: &str) -> String {
    format!(
        "{}/api/v1/locator/pointers",
        locator_base.trim_end_matches('/')
    )
}

/// Sends `numbers`' pointers from provider `ods` in one request.
async fn put_pointers(
    http: &reqwest::Client,
    url: &str,
    seed: u64,
    ods: &str,
    numbers: &[String],
) -> Result<(), String> {
    let id = registry_id(ods);
    let token = token(seed, ods).map_err(|e| format!("{id}: {e}"))?;
    let pointers: Vec<_> = numbers
        .iter()
        .map(|n| json!({"nhs_number": n, "source_id": id}))
        .collect();
    match http
        .put(url)
        .bearer_auth(token)
        .json(&json!({"pointers": pointers}))
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("{id}: {}", r.status())),
        Err(e) => Err(format!("{id}: {e}")),
    }
}

/// Where the providers tell the locator, and what they have told it since their last
/// complete bulk run there. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct Publisher {
    told: Arc<Mutex<Told>>,
    http: reqwest::Client,
}

#[derive(Default)]
struct Told {
    /// The gateway to tell, once one is known.
    locator: Option<String>,
    /// Whether every provider's bulk run to `locator` has succeeded.
    everyone: bool,
    /// (provider, patient index) pointers sent one by one to `locator` since.
    one_by_one: HashSet<(usize, usize)>,
}

impl Publisher {
    /// Tells first-seen patients' pointers to the gateway at `locator_base` from now on
    /// (without a bulk run); a different gateway starts with nothing told.
    pub fn set_locator(&self, locator_base: &str) {
        let mut told = self.told.lock().unwrap_or_else(|e| e.into_inner());
        if told.locator.as_deref() != Some(locator_base) {
            *told = Told {
                locator: Some(locator_base.to_string()),
                ..Told::default()
            };
        }
    }

    /// The gateway the providers tell, if any.
    pub fn locator(&self) -> Option<String> {
        self.told
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .locator
            .clone()
    }

    /// Provider `provider` (an index into [`PROVIDERS`]) has just been asked about
    /// `patient`, whom it holds: if the locator has not been told, tell it now, in the
    /// background (a real source does not make its own caller wait for the locator).
    /// A failed send is forgotten, so the next sighting tries again.
    pub fn first_seen(&self, seed: u64, provider: usize, patient: &crate::population::Patient) {
        let key = (provider, patient.index);
        let url = {
            let mut told = self.told.lock().unwrap_or_else(|e| e.into_inner());
            let Some(locator) = told.locator.clone() else {
                return;
            };
            if told.everyone || !told.one_by_one.insert(key) {
                return;
            }
            pointers_url(&locator)
        };
        let Some(ods) = PROVIDERS.get(provider).map(|p| p.ods) else {
            return;
        };
        let (this, number) = (self.clone(), patient.nhs_number.as_digits());
        tokio::spawn(async move {
            if let Err(e) = put_pointers(&this.http, &url, seed, ods, &[number]).await {
                tracing::warn!(error = %e, "a first-seen pointer was not published");
                this.told
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .one_by_one
                    .remove(&key);
            }
        });
    }

    /// Records a bulk run's end: complete, it leaves nothing to tell `locator_base`.
    fn bulk_done(&self, locator_base: &str, complete: bool) {
        self.set_locator(locator_base);
        let mut told = self.told.lock().unwrap_or_else(|e| e.into_inner());
        if complete {
            told.everyone = true;
            told.one_by_one.clear();
        }
    }
}

/// Publishes every provider's pointers for the whole population to the gateway at
/// `locator_base` (e.g. `http://127.0.0.1:8080`), which becomes the gateway the
/// providers tell of patients they see from then on.
pub async fn publish_all(state: &SimState, locator_base: &str) -> Published {
    let http = state.publisher.http.clone();
    let url = pointers_url(locator_base);
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
        for batch in numbers.chunks(BATCH) {
            match put_pointers(&http, &url, state.config.seed, provider.ods, batch).await {
                Ok(()) => done.pointers += batch.len() as u64,
                Err(e) => done.failures.push(e),
            }
        }
    }
    state
        .publisher
        .bulk_done(locator_base, done.failures.is_empty());
    done
}
