-- The gateway's store (SQLite). Times are milliseconds since the Unix epoch (UTC) unless
-- the column is named `at`, which holds a fixed-width RFC 3339 UTC text.

-- Audit rows form one hash chain: seq is assigned by the chain writer (no gaps), and
-- hash = SHA-256(prev_hash || canonical form of the row).
CREATE TABLE audit (
    seq              INTEGER PRIMARY KEY,
    at               TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    user_role        TEXT,
    org_ods          TEXT,
    nhs_number       TEXT,
    context_id       TEXT,
    action           TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    detail           TEXT,
    checkpoint_seq   INTEGER,
    checkpoint_hash  TEXT,
    prev_hash        TEXT NOT NULL,
    hash             TEXT NOT NULL
);
CREATE INDEX audit_by_patient ON audit (nhs_number, seq);
CREATE INDEX audit_by_time ON audit (at);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows are insert-only'); END;
-- Only rows already covered by a prune checkpoint may be deleted (retention).
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
WHEN NOT EXISTS (SELECT 1 FROM audit c WHERE c.checkpoint_seq IS NOT NULL AND c.checkpoint_seq >= OLD.seq)
BEGIN SELECT RAISE(ABORT, 'audit rows are insert-only; only rows covered by a prune checkpoint may be removed'); END;

-- Head anchors: the chain's latest (seq, hash), written periodically; insert-only, so
-- cutting the newest audit rows is detectable.
CREATE TABLE audit_anchors (
    seq   INTEGER PRIMARY KEY,
    hash  TEXT NOT NULL,
    at    TEXT NOT NULL
);
CREATE TRIGGER audit_anchors_no_update BEFORE UPDATE ON audit_anchors
BEGIN SELECT RAISE(ABORT, 'audit anchors are insert-only'); END;
CREATE TRIGGER audit_anchors_no_delete BEFORE DELETE ON audit_anchors
BEGIN SELECT RAISE(ABORT, 'audit anchors are insert-only'); END;

CREATE TABLE contexts (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    nhs_number    TEXT NOT NULL,
    reason        TEXT,
    created_ms    INTEGER NOT NULL,
    last_used_ms  INTEGER NOT NULL,
    ended_ms      INTEGER
);

-- Comments are append-only: the only change allowed is setting retracted_ms once.
CREATE TABLE comments (
    id               TEXT PRIMARY KEY,
    nhs_number       TEXT NOT NULL,
    entry_source     TEXT,
    entry_id         TEXT,
    author_id        TEXT NOT NULL,
    author_name      TEXT,
    author_role      TEXT,
    author_org       TEXT,
    body             TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    idempotency_key  TEXT NOT NULL,
    retracted_ms     INTEGER,
    UNIQUE (author_id, idempotency_key)
);
CREATE INDEX comments_by_patient ON comments (nhs_number, created_ms);
CREATE TRIGGER comments_append_only BEFORE UPDATE ON comments
WHEN OLD.retracted_ms IS NOT NULL OR NEW.body IS NOT OLD.body OR NEW.author_id IS NOT OLD.author_id
  OR NEW.nhs_number IS NOT OLD.nhs_number OR NEW.created_ms IS NOT OLD.created_ms
BEGIN SELECT RAISE(ABORT, 'comments are append-only; only a retraction may be recorded'); END;
CREATE TRIGGER comments_no_delete BEFORE DELETE ON comments
BEGIN SELECT RAISE(ABORT, 'comments are append-only'); END;

CREATE TABLE locator_pointers (
    nhs_number  TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (nhs_number, source_id)
);

CREATE TABLE dissent (
    nhs_number   TEXT PRIMARY KEY,
    recorded_by  TEXT NOT NULL,
    reason       TEXT,
    recorded_ms  INTEGER NOT NULL
);

CREATE TABLE break_glass (
    id           TEXT PRIMARY KEY,
    context_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    nhs_number   TEXT NOT NULL,
    reason       TEXT NOT NULL,
    granted_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    ended_ms     INTEGER,
    reviewed_by  TEXT,
    reviewed_ms  INTEGER
);
CREATE INDEX break_glass_by_context ON break_glass (context_id);
