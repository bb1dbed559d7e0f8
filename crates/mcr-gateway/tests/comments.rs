//! Comments through a spawned gateway: the odd-text corpus stored byte-for-byte after
//! NFC or refused with a reason; idempotent, ordered posts under concurrency on both
//! backends; the role table (clinicians write, others are refused and audited); "new
//! since your last view"; retraction by the author only; the per-user rate limit.
#![allow(missing_docs)]

mod support;

use mcr_gateway::store::{self, Location};
use mcr_sim::population::nhs_for_index;
use serde_json::{Value, json};
use support::PgTestDb;

/// A gateway over a small simulated region; on PostgreSQL when `database_url` is given.
async fn gateway(
    database_url: Option<String>,
    comments_per_minute: u32,
) -> (String, tempfile::TempDir, mcr_sim::RunningSim) {
    let (base, data, sim, _server) = support::demo_stack(|c| {
        c.database_url = database_url;
        c.comments_per_minute = comments_per_minute;
    })
    .await;
    (base, data, sim)
}

/// A user launched into patient `index`'s context: (token, comments URL).
async fn launched(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    index: usize,
) -> (String, String) {
    let nhs = nhs_for_index(index).as_digits();
    let token = support::demo_token(http, base, user, &nhs).await;
    let ctx = support::open_context(http, base, &token, &nhs).await;
    (token, format!("{base}/api/v1/contexts/{ctx}/comments"))
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    key: &str,
    body: Value,
) -> reqwest::Response {
    http.post(url)
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn list(http: &reqwest::Client, url: &str, token: &str) -> Value {
    let r = http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn bodies(comments: &Value) -> Vec<Option<String>> {
    comments["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_odd_text_corpus_is_stored_byte_for_byte_after_nfc_or_refused_with_a_reason() {
    let (base, _data, _sim) = gateway(None, 1_000).await;
    let http = reqwest::Client::new();
    let (token, url) = launched(&http, &base, "ae-doctor", 0).await;
    let exactly_2000: String = "é".repeat(2_000);
    // (input, what must be stored; None = refused with this code)
    let corpus: Vec<(String, Result<String, &str>)> = vec![
        (
            "<script>alert('x')</script>".into(),
            Ok("<script>alert('x')</script>".into()),
        ),
        (
            "<img src=x onerror=alert(1)>".into(),
            Ok("<img src=x onerror=alert(1)>".into()),
        ),
        (
            "<a href=\"javascript:alert(1)\">click</a>".into(),
            Ok("<a href=\"javascript:alert(1)\">click</a>".into()),
        ),
        (
            "&lt;b&gt;bold&lt;/b&gt; &amp; &#x41;".into(),
            Ok("&lt;b&gt;bold&lt;/b&gt; &amp; &#x41;".into()),
        ),
        ("Pain 7/10 😀👍🏽".into(), Ok("Pain 7/10 😀👍🏽".into())),
        (
            "ألم في الصدر · 胸痛 · Грудь · दर्द".into(),
            Ok("ألم في الصدر · 胸痛 · Грудь · दर्द".into()),
        ),
        // Decomposed é (e + U+0301) is stored composed.
        ("Cafe\u{301} au lait".into(), Ok("Caf\u{e9} au lait".into())),
        (
            "line one\n\tindented".into(),
            Ok("line one\n\tindented".into()),
        ),
        (
            "right-to-left \u{202e}gnp.exe\u{202c} override".into(),
            Ok("right-to-left \u{202e}gnp.exe\u{202c} override".into()),
        ),
        // 2,000 characters of a two-byte letter, decomposed, is 2,000 after NFC.
        ("e\u{301}".repeat(2_000), Ok(exactly_2000.clone())),
        ("a".repeat(2_001), Err("comment_too_long")),
        ("nul \0 inside".into(), Err("comment_control_character")),
        (
            "escape \u{1b}[31m red".into(),
            Err("comment_control_character"),
        ),
        ("carriage\rreturn".into(), Err("comment_control_character")),
        ("   \n  ".into(), Err("comment_empty")),
    ];
    let mut stored = vec![];
    for (i, (input, expected)) in corpus.iter().enumerate() {
        let r = post(
            &http,
            &url,
            &token,
            &format!("corpus-{i}"),
            json!({"body": input}),
        )
        .await;
        match expected {
            Ok(text) => {
                assert_eq!(r.status(), 201, "{input:?}");
                let c: Value = r.json().await.unwrap();
                assert_eq!(c["body"].as_str(), Some(text.as_str()), "{input:?}");
                stored.push(Some(text.clone()));
            }
            Err(code) => {
                assert_eq!(r.status(), 400, "{input:?}");
                let e: Value = r.json().await.unwrap();
                assert_eq!(e["code"], *code, "{input:?}");
                assert!(e["message"].as_str().unwrap().len() > 20, "{e}");
            }
        }
    }
    assert_eq!(bodies(&list(&http, &url, &token).await), stored);

    // Malformed requests: no key, unknown fields, a bad entry reference, not JSON.
    let no_key = http
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"body": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), 400);
    assert_eq!(
        no_key.json::<Value>().await.unwrap()["code"],
        "idempotency_key_required"
    );
    for (key, body, code) in [
        (
            "k-a",
            json!({"body": "x", "author": "someone else"}),
            "invalid_body",
        ),
        (
            "k-b",
            json!({"body": "x", "entry": {"source": "", "entry": "e"}}),
            "invalid_entry",
        ),
        ("k-c", json!("just a string"), "invalid_body"),
    ] {
        let r = post(&http, &url, &token, key, body).await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], code);
    }
    assert_eq!(bodies(&list(&http, &url, &token).await).len(), stored.len());
}

/// 100 posts at once from three clinicians, then every post resent with its key: each
/// stored exactly once, listed in the order stored.
async fn concurrent_posts_are_stored_once_in_order(database_url: Option<String>) {
    let (base, _data, _sim) = gateway(database_url, 1_000).await;
    let http = reqwest::Client::new();
    let mut users = vec![];
    for user in ["ae-doctor", "ward-nurse", "gp"] {
        users.push(launched(&http, &base, user, 1).await);
    }
    let send_all = || {
        futures_util::future::join_all((0..100).map(|i| {
            let (token, url) = users[i % 3].clone();
            let http = http.clone();
            async move {
                let r = post(
                    &http,
                    &url,
                    &token,
                    &format!("key-{i}"),
                    json!({"body": format!("post {i}")}),
                )
                .await;
                r.status().as_u16()
            }
        }))
    };
    let first = send_all().await;
    assert!(first.iter().all(|s| *s == 201), "{first:?}");
    let again = send_all().await;
    assert!(again.iter().all(|s| *s == 200), "{again:?}");
    let all = list(&http, &users[0].1, &users[0].0).await;
    let comments = all["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 100);
    let mut texts: Vec<&str> = comments
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 100, "each post once");
    let times: Vec<&str> = comments
        .iter()
        .map(|c| c["created"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    let ids: Vec<&str> = comments.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ties in time keep the order stored"
    );

    // One user's posts in a row come back in that order.
    let (token, url) = &users[2];
    for i in 0..5 {
        assert_eq!(
            post(
                &http,
                url,
                token,
                &format!("seq-{i}"),
                json!({"body": format!("seq {i}")})
            )
            .await
            .status(),
            201
        );
    }
    let seq: Vec<String> = bodies(&list(&http, url, token).await)
        .into_iter()
        .flatten()
        .filter(|b| b.starts_with("seq "))
        .collect();
    assert_eq!(seq, ["seq 0", "seq 1", "seq 2", "seq 3", "seq 4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_are_stored_once_in_order_on_sqlite() {
    concurrent_posts_are_stored_once_in_order(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_are_stored_once_in_order_on_postgres() {
    let Some(db) = PgTestDb::create().await else {
        return;
    };
    concurrent_posts_are_stored_once_in_order(Some(db.gateway_url.clone())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_new_since_last_view_retraction_and_audit_follow_the_rules() {
    let (base, data, _sim) = gateway(None, 1_000).await;
    let http = reqwest::Client::new();
    let (doctor, doctor_url) = launched(&http, &base, "ae-doctor", 2).await;
    // The GP looks first, before any comment.
    let (gp, gp_url) = launched(&http, &base, "gp", 2).await;
    let empty = list(&http, &gp_url, &gp).await;
    assert_eq!(empty["comments"], json!([]));
    assert_eq!(empty["may_write"], true);
    assert!(empty["last_viewed"].is_null());

    let created: Value = post(
        &http,
        &doctor_url,
        &doctor,
        "k1",
        json!({"body": "Started on apixaban in A&E", "entry": {"source": "gp-y90001", "entry": "med-1"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(created["author"]["id"], "ae-doctor");
    assert_eq!(created["author"]["name"], "Dr Priya Shah");
    assert_eq!(created["author"]["role"], "hospital-clinician");
    assert_eq!(created["author"]["organisation"], "Y91001");
    assert_eq!(
        created["entry"],
        json!({"source": "gp-y90001", "entry": "med-1"})
    );
    assert_eq!(created["mine"], true);
    let id = created["id"].as_str().unwrap().to_string();

    // The same key with a different text is a conflict, not a second comment.
    let reused = post(
        &http,
        &doctor_url,
        &doctor,
        "k1",
        json!({"body": "something else"}),
    )
    .await;
    assert_eq!(reused.status(), 409);

    // The GP's next view: the comment is new to them, and not theirs.
    let (gp, gp_url) = launched(&http, &base, "gp", 2).await;
    let seen = list(&http, &gp_url, &gp).await;
    assert!(seen["last_viewed"].is_string());
    assert_eq!(seen["comments"][0]["new"], true);
    assert_eq!(seen["comments"][0]["mine"], false);
    // And the view after that: no longer new.
    let (gp, gp_url) = launched(&http, &base, "gp", 2).await;
    assert_eq!(list(&http, &gp_url, &gp).await["comments"][0]["new"], false);

    // Another patient's record shows none of it.
    let (other, other_url) = launched(&http, &base, "ae-doctor", 3).await;
    assert_eq!(list(&http, &other_url, &other).await["comments"], json!([]));

    // Only the author retracts, only through this patient's context, and only once.
    let retract = |token: String, url: String| {
        let http = http.clone();
        let id = id.clone();
        async move {
            http.post(format!("{url}/{id}/retract"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(retract(gp.clone(), gp_url.clone()).await, 404);
    assert_eq!(retract(other.clone(), other_url.clone()).await, 404);
    assert_eq!(retract(doctor.clone(), doctor_url.clone()).await, 204);
    assert_eq!(retract(doctor.clone(), doctor_url.clone()).await, 404);
    let after = list(&http, &gp_url, &gp).await;
    assert!(
        after["comments"][0]["body"].is_null(),
        "retracted text is not shown"
    );
    assert!(after["comments"][0]["retracted"].is_string());

    // A privacy officer has no comments access: refused, and the refusal audited.
    let officer = support::demo_token(&http, &base, "privacy-officer", "").await;
    let nhs = nhs_for_index(2).as_digits();
    let officer_ctx = support::search_context(&http, &base, &officer, &nhs, "audit check").await;
    let officer_url = format!("{base}/api/v1/contexts/{officer_ctx}/comments");
    let r = http
        .get(&officer_url)
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        post(&http, &officer_url, &officer, "po", json!({"body": "x"}))
            .await
            .status(),
        403
    );

    // Every read and write is on record, with who and which patient.
    let store = store::open(Location::DataDir(data.path())).await.unwrap();
    let rows = store.audit_rows(0, 10_000).await.unwrap();
    let count = |action: &str, outcome: &str, user: &str| {
        rows.iter()
            .filter(|r| {
                r.fields.action == action
                    && r.fields.outcome == outcome
                    && r.fields.user_id == user
                    && r.fields.nhs_number.as_deref() == Some(nhs.as_str())
            })
            .count()
    };
    assert_eq!(
        count("comment.add", "allowed", "ae-doctor"),
        2,
        "the post and the reused-key attempt"
    );
    assert_eq!(count("comments.read", "allowed", "gp"), 4);
    assert_eq!(count("comment.retract", "allowed", "ae-doctor"), 1);
    assert_eq!(count("comments.read", "refused", "privacy-officer"), 1);
    assert_eq!(count("comment.add", "refused", "privacy-officer"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_over_the_rate_limit_gets_429_with_retry_after_and_a_retry_is_not_limited() {
    let (base, _data, _sim) = gateway(None, 3).await;
    let http = reqwest::Client::new();
    let (token, url) = launched(&http, &base, "ward-nurse", 4).await;
    for i in 0..3 {
        assert_eq!(
            post(&http, &url, &token, &format!("r{i}"), json!({"body": "ok"}))
                .await
                .status(),
            201
        );
    }
    let limited = post(&http, &url, &token, "r3", json!({"body": "one too many"})).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "60");
    let e: Value = limited.json().await.unwrap();
    assert_eq!(e["code"], "rate_limited");
    // A retried post that was stored is answered, not limited.
    assert_eq!(
        post(&http, &url, &token, "r0", json!({"body": "ok"}))
            .await
            .status(),
        200
    );
    // Another user is not limited by the nurse's posts.
    let (doctor, doctor_url) = launched(&http, &base, "ae-doctor", 4).await;
    assert_eq!(
        post(&http, &doctor_url, &doctor, "d0", json!({"body": "fine"}))
            .await
            .status(),
        201
    );
}
