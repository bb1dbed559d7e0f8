-- The gateway's store (PostgreSQL). Same tables and rules as the SQLite schema; times
-- are milliseconds since the Unix epoch (UTC) unless the column is named `at`
-- (fixed-width RFC 3339 UTC text). The gateway's own role is granted INSERT and SELECT
-- only on audit tables (see `mcr-gateway db grant`); the triggers hold even for owners.

CREATE TABLE audit (
    seq              BIGINT PRIMARY KEY,
    at               TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    user_role        TEXT,
    org_ods          TEXT,
    nhs_number       TEXT,
    context_id       TEXT,
    action           TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    detail           TEXT,
    checkpoint_seq   BIGINT,
    checkpoint_hash  TEXT,
    prev_hash        TEXT NOT NULL,
    hash             TEXT NOT NULL
);
CREATE INDEX audit_by_patient ON audit (nhs_number, seq);
CREATE INDEX audit_by_time ON audit (at);

CREATE FUNCTION audit_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit rows are insert-only'; END $$;
CREATE FUNCTION audit_refuse_unpruned_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit c WHERE c.checkpoint_seq IS NOT NULL AND c.checkpoint_seq >= OLD.seq) THEN
        RAISE EXCEPTION 'audit rows are insert-only; only rows covered by a prune checkpoint may be removed';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION audit_refuse_update();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_refuse_unpruned_delete();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_update();

CREATE TABLE audit_anchors (
    seq   BIGINT PRIMARY KEY,
    hash  TEXT NOT NULL,
    at    TEXT NOT NULL
);
CREATE FUNCTION audit_anchors_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit anchors are insert-only'; END $$;
CREATE TRIGGER audit_anchors_no_change BEFORE UPDATE OR DELETE ON audit_anchors
    FOR EACH ROW EXECUTE FUNCTION audit_anchors_refuse();

CREATE TABLE contexts (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    nhs_number    TEXT NOT NULL,
    reason        TEXT,
    created_ms    BIGINT NOT NULL,
    last_used_ms  BIGINT NOT NULL,
    ended_ms      BIGINT
);

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
    created_ms       BIGINT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    retracted_ms     BIGINT,
    UNIQUE (author_id, idempotency_key)
);
CREATE INDEX comments_by_patient ON comments (nhs_number, created_ms);
CREATE FUNCTION comments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.retracted_ms IS NOT NULL OR NEW.body IS DISTINCT FROM OLD.body
       OR NEW.author_id IS DISTINCT FROM OLD.author_id OR NEW.nhs_number IS DISTINCT FROM OLD.nhs_number
       OR NEW.created_ms IS DISTINCT FROM OLD.created_ms THEN
        RAISE EXCEPTION 'comments are append-only; only a retraction may be recorded';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER comments_append_only BEFORE UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION comments_append_only();

CREATE TABLE locator_pointers (
    nhs_number  TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    updated_ms  BIGINT NOT NULL,
    PRIMARY KEY (nhs_number, source_id)
);

CREATE TABLE dissent (
    nhs_number   TEXT PRIMARY KEY,
    recorded_by  TEXT NOT NULL,
    reason       TEXT,
    recorded_ms  BIGINT NOT NULL
);

CREATE TABLE break_glass (
    id           TEXT PRIMARY KEY,
    context_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    nhs_number   TEXT NOT NULL,
    reason       TEXT NOT NULL,
    granted_ms   BIGINT NOT NULL,
    expires_ms   BIGINT NOT NULL,
    ended_ms     BIGINT,
    reviewed_by  TEXT,
    reviewed_ms  BIGINT
);
CREATE INDEX break_glass_by_context ON break_glass (context_id);
