//! The few gateway calls the benchmarks make as a client: a demo token and a context.

use serde_json::{Value, json};

/// A demo token for an A&E doctor launched in `nhs`'s context.
pub async fn demo_token(http: &reqwest::Client, base: &str, nhs: &str) -> anyhow::Result<String> {
    let body: Value = http
        .post(format!("{base}/demo/token"))
        .json(&json!({"user": "ae-doctor", "nhs_number": nhs}))
        .send()
        .await?
        .json()
        .await?;
    body["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no token: {body}"))
}

/// Opens a patient context; returns its id.
pub async fn open_context(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    nhs: &str,
) -> anyhow::Result<String> {
    let body: Value = http
        .post(format!("{base}/api/v1/contexts"))
        .bearer_auth(token)
        .json(&json!({"nhs_number": nhs}))
        .send()
        .await?
        .json()
        .await?;
    body["context_id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no context: {body}"))
}
