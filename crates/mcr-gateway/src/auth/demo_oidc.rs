//! The demo identity provider's authorisation codes (OpenID Connect authorisation code
//! flow with PKCE, demo mode only): a code is bound to the user who signed in, the
//! client, its redirect URI and the S256 code challenge; it lasts a minute and can be
//! exchanged once, and only with the verifier whose SHA-256 is the challenge.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// How long a code may wait to be exchanged.
pub const CODE_LIFETIME_MS: i64 = 60_000;

/// What a code was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The demo user who signed in.
    pub user_id: String,
    /// The client that asked.
    pub client_id: String,
    /// Where the code was sent.
    pub redirect_uri: String,
    /// base64url(SHA-256(verifier)).
    pub code_challenge: String,
    /// The client's nonce, echoed in the ID token.
    pub nonce: Option<String>,
    /// When the code expires (ms).
    pub expires_ms: i64,
}

/// Outstanding codes (in memory: the demo provider runs in one process).
#[derive(Debug, Default)]
pub struct Codes {
    pending: Mutex<HashMap<String, Grant>>,
}

/// base64url(SHA-256(`verifier`)), the S256 challenge for a verifier.
pub fn challenge_of(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn invalid_grant(why: &str) -> AppError {
    AppError::bad_request("invalid_grant", why.to_string())
}

impl Codes {
    /// Issues a code for `grant`.
    pub fn issue(&self, grant: Grant) -> Result<String, AppError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(e.to_string()))?;
        let code = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let mut pending = self
            .pending
            .lock()
            .map_err(|_| AppError::Internal("code table poisoned".into()))?;
        pending.retain(|_, g| g.expires_ms > grant.expires_ms - CODE_LIFETIME_MS);
        pending.insert(code.clone(), grant);
        Ok(code)
    }

    /// Exchanges `code` once: it must exist, be unexpired at `now_ms`, and match the
    /// client, redirect URI and PKCE verifier it was issued for.
    pub fn redeem(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        verifier: &str,
        now_ms: i64,
    ) -> Result<Grant, AppError> {
        let grant = self
            .pending
            .lock()
            .map_err(|_| AppError::Internal("code table poisoned".into()))?
            .remove(code)
            .ok_or_else(|| invalid_grant("the code is unknown or was already used"))?;
        if grant.expires_ms <= now_ms {
            return Err(invalid_grant("the code has expired; sign in again"));
        }
        if grant.client_id != client_id || grant.redirect_uri != redirect_uri {
            return Err(invalid_grant(
                "the code was issued to another client or redirect URI",
            ));
        }
        if !(43..=128).contains(&verifier.len()) || challenge_of(verifier) != grant.code_challenge {
            return Err(invalid_grant(
                "the code verifier does not match the challenge",
            ));
        }
        Ok(grant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn grant(expires_ms: i64) -> Grant {
        Grant {
            user_id: "social-worker".into(),
            client_id: "portal".into(),
            redirect_uri: "http://127.0.0.1:8080/www/portal.html".into(),
            code_challenge: challenge_of(VERIFIER),
            nonce: None,
            expires_ms,
        }
    }

    #[test]
    fn the_s256_challenge_is_the_rfc_7636_example() {
        assert_eq!(
            challenge_of(VERIFIER),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_code_is_exchanged_once_with_the_right_verifier_client_and_redirect() {
        let codes = Codes::default();
        let uri = "http://127.0.0.1:8080/www/portal.html";
        let code = codes.issue(grant(10_000)).unwrap();
        assert!(codes.redeem(&code, "portal", uri, VERIFIER, 1_000).is_ok());
        assert!(
            codes.redeem(&code, "portal", uri, VERIFIER, 1_000).is_err(),
            "single use"
        );
        for (client, redirect, verifier, now) in [
            ("portal", uri, "x".repeat(43).as_str(), 1_000),
            ("other", uri, VERIFIER, 1_000),
            ("portal", "http://127.0.0.1:8080/elsewhere", VERIFIER, 1_000),
            ("portal", uri, VERIFIER, 10_000),
        ] {
            let code = codes.issue(grant(10_000)).unwrap();
            assert!(
                matches!(
                    codes.redeem(&code, client, redirect, verifier, now),
                    Err(AppError::BadRequest {
                        code: "invalid_grant",
                        ..
                    })
                ),
                "{client} {redirect} {verifier} {now}"
            );
        }
    }
}
