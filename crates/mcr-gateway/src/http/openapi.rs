//! The OpenAPI 3.0 document served at `/openapi.json`, and the table of the API's
//! routes that both the router and the document are built from — so a route cannot be
//! served without being documented (a test checks the two agree).

use serde_json::{Value, json};

/// `POST` opens a patient context.
pub const CONTEXTS: &str = "/api/v1/contexts";
/// `DELETE` ends a context.
pub const CONTEXT: &str = "/api/v1/contexts/{ctx}";
/// `GET` the record of a context.
pub const RECORD: &str = "/api/v1/contexts/{ctx}/record";
/// `GET`/`POST` the comments on a context's patient.
pub const COMMENTS: &str = "/api/v1/contexts/{ctx}/comments";
/// `POST` retracts the caller's own comment.
pub const COMMENT_RETRACT: &str = "/api/v1/contexts/{ctx}/comments/{id}/retract";
/// `GET` who accessed the context's patient's record.
pub const ACCESS_LOG: &str = "/api/v1/contexts/{ctx}/access-log";
/// `POST` breaks the glass in a context.
pub const BREAK_GLASS: &str = "/api/v1/contexts/{ctx}/break-glass";
/// `GET` break-glass use awaiting review.
pub const BREAK_GLASS_REVIEWS: &str = "/api/v1/break-glass";
/// `POST` marks one break-glass use reviewed.
pub const BREAK_GLASS_REVIEW: &str = "/api/v1/break-glass/{id}/review";
/// `GET`/`PUT`/`DELETE` the patient's dissent (privacy officers).
pub const DISSENT: &str = "/api/v1/contexts/{ctx}/dissent";
/// `PUT`/`DELETE` locator pointers.
pub const POINTERS: &str = "/api/v1/locator/pointers";
/// Where the portal signs in (issuer and client id).
pub const PORTAL_CONFIG: &str = "/api/v1/portal-config";
/// Liveness.
pub const HEALTHZ: &str = "/healthz";
/// Readiness.
pub const READYZ: &str = "/readyz";
/// This document.
pub const OPENAPI: &str = "/openapi.json";
/// Demo mode only: a signed demo token.
pub const DEMO_TOKEN: &str = "/demo/token";
/// Demo mode only: where the demo page finds the simulator's control endpoint.
pub const DEMO_CONFIG: &str = "/demo/config";
/// Demo mode only: OpenID Connect discovery for the demo identity provider.
pub const DEMO_DISCOVERY: &str = "/demo/.well-known/openid-configuration";
/// Demo mode only: the sign-in page of the authorisation code flow (PKCE).
pub const DEMO_AUTHORIZE: &str = "/demo/authorize";
/// Demo mode only: exchanges a code and its PKCE verifier for tokens.
pub const DEMO_OAUTH_TOKEN: &str = "/demo/oauth/token";
/// Demo mode only: the demo issuer's keys.
pub const DEMO_JWKS: &str = "/demo/jwks.json";

/// Every API route with its methods (static pages under `/`, `/www` and `/pkg` are not API).
pub const ROUTES: &[(&str, &[&str])] = &[
    (CONTEXTS, &["post"]),
    (CONTEXT, &["delete"]),
    (RECORD, &["get"]),
    (COMMENTS, &["get", "post"]),
    (COMMENT_RETRACT, &["post"]),
    (ACCESS_LOG, &["get"]),
    (BREAK_GLASS, &["post"]),
    (BREAK_GLASS_REVIEWS, &["get"]),
    (BREAK_GLASS_REVIEW, &["post"]),
    (DISSENT, &["get", "put", "delete"]),
    (POINTERS, &["put", "delete"]),
    (PORTAL_CONFIG, &["get"]),
    (HEALTHZ, &["get"]),
    (READYZ, &["get"]),
    (OPENAPI, &["get"]),
    (DEMO_TOKEN, &["post"]),
    (DEMO_JWKS, &["get"]),
    (DEMO_CONFIG, &["get"]),
    (DEMO_DISCOVERY, &["get"]),
    (DEMO_AUTHORIZE, &["get", "post"]),
    (DEMO_OAUTH_TOKEN, &["post"]),
];

/// `ok` responses plus the error responses with `codes`.
fn responses(ok: Value, codes: &[&str]) -> Value {
    let mut r = ok;
    for code in codes {
        let why = match *code {
            "400" => "bad input; the message says what to fix",
            "401" => "no valid bearer token",
            "403" => "not allowed (e.g. patient_context_mismatch)",
            "404" => "no such context (or not yours)",
            "409" => "conflicts with what is stored (e.g. an idempotency key reused)",
            "429" => "too many requests; Retry-After says when to try again",
            _ => "the audit log or store is unavailable; nothing was returned",
        };
        r[*code] = json!({"description": why, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    }
    r
}

/// Record views also answer `503` when admission control refuses them.
fn with_overload(mut responses: Value) -> Value {
    responses["503"]["description"] = json!(
        "overloaded: the gateway is serving as many record views as it may, and Retry-After says when to try again; or the audit log or store is unavailable; nothing was returned"
    );
    responses["503"]["headers"] = json!({"Retry-After": {
        "description": "seconds to wait before trying again (when overloaded)",
        "schema": {"type": "integer"},
    }});
    responses
}

/// The document.
pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "My Care Record gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Shared care record gateway. NHS numbers never appear in URLs: open a patient context with the number in the body, then use the context id. Tokens go only in the Authorization header.",
        },
        "components": {
            "securitySchemes": {
                "user": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "the host user's token from a trusted issuer"},
                "source": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "a source's own client-credentials token (iss = sub = its registry id)"},
            },
            "schemas": {
                "Error": {"type": "object", "required": ["code", "message"], "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}}},
                "CreateContext": {"type": "object", "required": ["nhs_number"], "properties": {
                    "nhs_number": {"type": "string", "description": "10 digits; spaces and hyphens allowed"},
                    "reason": {"type": "string"}, "birth_date": {"type": "string", "format": "date"}}},
                "ContextCreated": {"type": "object", "required": ["context_id"], "properties": {"context_id": {"type": "string"}}},
                "Pointer": {"type": "object", "required": ["nhs_number", "source_id"], "additionalProperties": false, "properties": {
                    "nhs_number": {"type": "string"}, "source_id": {"type": "string"}}},
                "Pointers": {"oneOf": [
                    {"$ref": "#/components/schemas/Pointer"},
                    {"type": "object", "required": ["pointers"], "properties": {"pointers": {"type": "array", "maxItems": 10000, "items": {"$ref": "#/components/schemas/Pointer"}}}},
                ]},
                "Record": {"type": "object", "description": "patient, located sources, each source's status, and sections of entries; see mcr-model", "required": ["sources", "sections"]},
                "EntryRef": {"type": "object", "required": ["source", "entry"], "additionalProperties": false, "properties": {
                    "source": {"type": "string", "description": "the source's registry id"}, "entry": {"type": "string", "description": "the entry's id at that source"}}},
                "NewComment": {"type": "object", "required": ["body"], "additionalProperties": false, "properties": {
                    "body": {"type": "string", "maxLength": 2000, "description": "plain text; stored after NFC normalisation; control characters other than newline and tab are refused"},
                    "entry": {"$ref": "#/components/schemas/EntryRef"}}},
                "Comment": {"type": "object", "required": ["id", "author", "created", "new", "mine"], "properties": {
                    "id": {"type": "string"}, "entry": {"$ref": "#/components/schemas/EntryRef"},
                    "author": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "role": {"type": "string"}, "organisation": {"type": "string"}}},
                    "body": {"type": "string", "description": "absent once retracted"}, "created": {"type": "string", "format": "date-time"},
                    "retracted": {"type": "string", "format": "date-time"}, "new": {"type": "boolean"}, "mine": {"type": "boolean"}}},
                "Comments": {"type": "object", "required": ["comments", "may_write"], "properties": {
                    "comments": {"type": "array", "items": {"$ref": "#/components/schemas/Comment"}},
                    "last_viewed": {"type": "string", "format": "date-time"}, "may_write": {"type": "boolean"}}},
                "BreakGlassReason": {"type": "string", "enum": mcr_model::BreakGlassReason::ALL.iter().map(|c| c.code()).collect::<Vec<_>>(),
                    "description": "the kind of need: an emergency in which the patient cannot be asked, the patient present and agreeing, a safeguarding concern, or another reason given in the text"},
                "Grant": {"type": "object", "required": ["id", "user_id", "nhs_number", "code", "reason", "granted", "expires"], "properties": {
                    "id": {"type": "string"}, "user_id": {"type": "string"}, "nhs_number": {"type": "string"}, "code": {"$ref": "#/components/schemas/BreakGlassReason"}, "reason": {"type": "string"},
                    "granted": {"type": "string", "format": "date-time"}, "expires": {"type": "string", "format": "date-time"}, "ended": {"type": "string", "format": "date-time"}}},
                "RecordEvent": {"type": "object", "required": ["event"], "properties": {
                    "event": {"type": "string", "enum": ["patient", "located", "source", "complete", "aborted"]}}},
            },
        },
        "paths": {
            CONTEXTS: {"post": {
                "summary": "open a patient context", "security": [{"user": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateContext"}}}},
                "responses": responses(json!({"201": {"description": "opened", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ContextCreated"}}}}}), &["400", "401", "403", "503"]),
            }},
            CONTEXT: {"delete": {
                "summary": "end a context (the panel switched patient or closed) and any break-glass grant in it",
                "security": [{"user": []}],
                "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": responses(json!({"204": {"description": "ended"}}), &["401", "404", "503"]),
            }},
            RECORD: {"get": {
                "summary": "the record: NDJSON events as sources answer, the whole record as JSON, or a FHIR R4 Bundle",
                "security": [{"user": []}],
                "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "source", "in": "query", "required": false, "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}, "description": "ask only this located source (a retry of one that failed)"}],
                "responses": with_overload(responses(json!({"200": {"description": "the record", "content": {
                    "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/RecordEvent"}},
                    "application/json": {"schema": {"$ref": "#/components/schemas/Record"}},
                    "application/fhir+json": {"schema": {"type": "object"}},
                }}}), &["400", "401", "404", "503"])),
            }},
            COMMENTS: {
                "get": {"summary": "the comments on this patient's record, oldest first (clinicians and social workers)", "security": [{"user": []}],
                    "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "responses": responses(json!({"200": {"description": "the comments", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Comments"}}}}}), &["401", "403", "404", "503"])},
                "post": {"summary": "add a comment on the record or one entry (clinicians); the author comes from the token", "security": [{"user": []}],
                    "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}},
                        {"name": "Idempotency-Key", "in": "header", "required": true, "schema": {"type": "string", "maxLength": 200}, "description": "a retried post with the same key is stored once"}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewComment"}}}},
                    "responses": responses(json!({
                        "201": {"description": "stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Comment"}}}},
                        "200": {"description": "a retry: the comment stored the first time", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Comment"}}}}}),
                        &["400", "401", "403", "404", "409", "429", "503"])},
            },
            COMMENT_RETRACT: {"post": {"summary": "retract your own comment (kept, shown as retracted)", "security": [{"user": []}],
                "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": responses(json!({"204": {"description": "retracted"}}), &["401", "403", "404", "503"])}},
            ACCESS_LOG: {"get": {"summary": "who opened, viewed or commented on this patient's record, newest first (the patient: role, organisation, time, purpose; privacy officers: every audited action)",
                "security": [{"user": []}],
                "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "before", "in": "query", "required": false, "schema": {"type": "integer"}, "description": "next_before from the previous page"}],
                "responses": responses(json!({"200": {"description": "the log", "content": {"application/json": {"schema": {"type": "object", "required": ["entries"], "properties": {
                    "entries": {"type": "array", "items": {"type": "object", "required": ["at", "action", "outcome", "break_glass"]}}, "next_before": {"type": "integer"}}}}}}}), &["400", "401", "403", "404", "503"])}},
            BREAK_GLASS: {"post": {"summary": "clinicians: an emergency override of the patient's dissent, with a reason; time-limited, ends with the context, flagged in the audit and reviewed",
                "security": [{"user": []}],
                "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["code", "reason"], "additionalProperties": false, "properties": {"code": {"$ref": "#/components/schemas/BreakGlassReason"}, "reason": {"type": "string", "minLength": 5, "maxLength": 500}}}}}},
                "responses": responses(json!({"201": {"description": "granted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Grant"}}}}}), &["400", "401", "403", "404", "503"])}},
            BREAK_GLASS_REVIEWS: {"get": {"summary": "privacy officers: break-glass use awaiting review, oldest first", "security": [{"user": []}],
                "responses": responses(json!({"200": {"description": "the grants", "content": {"application/json": {"schema": {"type": "object", "required": ["grants"], "properties": {"grants": {"type": "array", "items": {"$ref": "#/components/schemas/Grant"}}}}}}}}), &["401", "403", "503"])}},
            BREAK_GLASS_REVIEW: {"post": {"summary": "privacy officers: mark one break-glass use reviewed", "security": [{"user": []}],
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": responses(json!({"204": {"description": "reviewed"}}), &["401", "403", "404", "503"])}},
            DISSENT: {
                "get": {"summary": "privacy officers: whether the patient's dissent is recorded, by whom and why", "security": [{"user": []}],
                    "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "responses": responses(json!({"200": {"description": "the entry", "content": {"application/json": {"schema": {"type": "object", "required": ["recorded"], "properties": {
                        "recorded": {"type": "boolean"}, "recorded_by": {"type": "string"}, "reason": {"type": "string"}, "recorded_at": {"type": "string", "format": "date-time"}}}}}}}), &["401", "403", "404", "503"])},
                "put": {"summary": "privacy officers: record the patient's dissent", "security": [{"user": []}],
                    "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "properties": {"reason": {"type": "string"}}}}}},
                    "responses": responses(json!({"204": {"description": "recorded"}}), &["400", "401", "403", "404", "503"])},
                "delete": {"summary": "privacy officers: lift the patient's dissent", "security": [{"user": []}],
                    "parameters": [{"name": "ctx", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "responses": responses(json!({"200": {"description": "lifted (or there was none)"}}), &["401", "403", "404", "503"])},
            },
            POINTERS: {
                "put": {"summary": "publish pointers (one or many)", "security": [{"source": []}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pointers"}}}},
                    "responses": responses(json!({"200": {"description": "stored"}}), &["400", "401", "403", "503"])},
                "delete": {"summary": "withdraw pointers (one or many)", "security": [{"source": []}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pointers"}}}},
                    "responses": responses(json!({"200": {"description": "removed"}}), &["400", "401", "403", "503"])},
            },
            PORTAL_CONFIG: {"get": {"summary": "where the portal signs in: the trusted OpenID Connect issuer and the portal's client id", "responses": {"200": {"description": "{issuer, client_id}"}}}},
            HEALTHZ: {"get": {"summary": "the process is up", "responses": {"200": {"description": "ok"}}}},
            READYZ: {"get": {"summary": "the store and the audit writer work", "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
            OPENAPI: {"get": {"summary": "this document", "responses": {"200": {"description": "OpenAPI 3.0"}}}},
            DEMO_TOKEN: {"post": {"summary": "demo mode only, loopback only: a signed token for a demo user",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["user"], "properties": {
                    "user": {"type": "string"}, "nhs_number": {"type": "string"}}}}}},
                "responses": {"200": {"description": "token"}, "400": {"description": "unknown user or bad NHS number"}}}},
            DEMO_DISCOVERY: {"get": {"summary": "demo mode only: OpenID Connect discovery for the demo identity provider", "responses": {"200": {"description": "provider metadata"}}}},
            DEMO_AUTHORIZE: {
                "get": {"summary": "demo mode only: the sign-in page (authorisation code flow; PKCE S256 required; redirect_uri a page under /www/)", "responses": {"200": {"description": "HTML sign-in page"}, "400": {"description": "invalid request"}}},
                "post": {"summary": "demo mode only: the chosen user; redirects to redirect_uri with code and state", "responses": {"303": {"description": "redirect"}, "400": {"description": "invalid request"}}}},
            DEMO_OAUTH_TOKEN: {"post": {"summary": "demo mode only: code + code_verifier → access_token and id_token (form-urlencoded)", "responses": {"200": {"description": "tokens"}, "400": {"description": "invalid_grant or invalid_request"}}}},
            DEMO_CONFIG: {"get": {"summary": "demo mode only: the simulator's control URL (patient list, faults) for the demo page", "responses": {"200": {"description": "{control_url}"}}}},
            DEMO_JWKS: {"get": {"summary": "demo mode only: the demo issuer's public keys", "responses": {"200": {"description": "JWKS"}}}},
        },
    })
}
