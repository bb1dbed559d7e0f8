//! The demo identity provider (demo mode only, served on loopback only).
//!
//! It holds an ES256 key generated at start, publishes it as a JWKS, and signs tokens
//! for a fixed set of demo users, each optionally bound to a patient (the embedded
//! launch). The gateway verifies these tokens through the same JWKS path as any
//! production issuer. The identity issue grows this into an OpenID Connect provider.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use p256::ecdsa::SigningKey;
use p256::pkcs8::EncodePrivateKey;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::AppError;

/// How long a demo token lasts.
pub const TOKEN_LIFETIME_SECS: i64 = 15 * 60;

/// A demo user.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// The id used in `POST /demo/token` and as `sub`.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Project role.
    pub role: &'static str,
    /// Organisation ODS code.
    pub org: &'static str,
}

/// The demo users.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        id: "privacy-officer",
        name: "Sam Okoye",
        role: "privacy-officer",
        org: "Y91001",
    },
    DemoUser {
        id: "ae-doctor",
        name: "Dr Priya Shah",
        role: "hospital-clinician",
        org: "Y91001",
    },
    DemoUser {
        id: "ward-nurse",
        name: "Tom Bennett",
        role: "hospital-clinician",
        org: "Y91001",
    },
    DemoUser {
        id: "gp",
        name: "Dr Adaeze Okafor",
        role: "gp-clinician",
        org: "Y90001",
    },
    DemoUser {
        id: "social-worker",
        name: "Alex Kerr",
        role: "social-worker",
        org: "Y92001",
    },
    DemoUser {
        id: "patient",
        name: "The patient",
        role: "patient",
        org: "",
    },
];

#[derive(Serialize)]
struct DemoClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    name: &'a str,
    role: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    org: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    patient: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// The demo issuer: a signing key and its public JWKS.
pub struct DemoIdp {
    issuer: String,
    audience: String,
    kid: String,
    key: EncodingKey,
    jwks: Value,
    /// Outstanding authorisation codes (OpenID Connect with PKCE).
    pub codes: crate::auth::demo_oidc::Codes,
}

impl DemoIdp {
    /// A demo issuer named `issuer`, signing tokens for `audience` with a fresh key.
    pub fn generate(issuer: String, audience: String) -> Result<Self, AppError> {
        let signing = loop {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).map_err(|e| AppError::Internal(e.to_string()))?;
            // About one 32-byte string in 2^32 is not a valid scalar; draw again.
            if let Ok(key) = SigningKey::from_slice(&secret) {
                break key;
            }
        };
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let point = signing.verifying_key().to_encoded_point(false);
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let (x, y) = match (point.x(), point.y()) {
            (Some(x), Some(y)) => (b64(x), b64(y)),
            _ => return Err(AppError::Internal("uncompressed point expected".into())),
        };
        let mut kid_bytes = [0u8; 12];
        getrandom::fill(&mut kid_bytes).map_err(|e| AppError::Internal(e.to_string()))?;
        let kid = format!("demo-{}", b64(&kid_bytes));
        let jwks = json!({"keys": [{
            "kty": "EC", "crv": "P-256", "x": x, "y": y,
            "kid": kid, "alg": "ES256", "use": "sig",
        }]});
        Ok(Self {
            issuer,
            audience,
            kid,
            key,
            jwks,
            codes: Default::default(),
        })
    }

    /// The public key set.
    pub fn jwks(&self) -> &Value {
        &self.jwks
    }

    /// Signs a token for demo user `user_id`, bound to `patient` (ten digits) if given.
    pub fn issue(&self, user_id: &str, patient: Option<String>) -> Result<String, AppError> {
        self.sign(user_id, patient, &self.audience, None)
    }

    /// Signs an OpenID Connect ID token for `user_id`, addressed to the client.
    pub fn issue_id_token(
        &self,
        user_id: &str,
        client_id: &str,
        nonce: Option<String>,
    ) -> Result<String, AppError> {
        self.sign(user_id, None, client_id, nonce)
    }

    /// The issuer's name (its URL).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn sign(
        &self,
        user_id: &str,
        patient: Option<String>,
        audience: &str,
        nonce: Option<String>,
    ) -> Result<String, AppError> {
        let user = DEMO_USERS.iter().find(|u| u.id == user_id).ok_or_else(|| {
            AppError::bad_request("unknown_demo_user", format!("no demo user {user_id:?}"))
        })?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = DemoClaims {
            iss: &self.issuer,
            aud: audience,
            sub: user.id,
            name: user.name,
            role: user.role,
            org: user.org,
            patient,
            nonce,
            iat: now,
            nbf: now,
            exp: now + TOKEN_LIFETIME_SECS,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        encode(&header, &claims, &self.key).map_err(|e| AppError::Internal(e.to_string()))
    }
}
