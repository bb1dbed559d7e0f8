-- Audit rows: insert-only (the triggers refuse updates and deletes).
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_role   TEXT,
    org_ods     TEXT,
    nhs_number  TEXT,
    action      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows are insert-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit rows are insert-only'); END;

-- Patient contexts: bound to a user and a patient; expire when idle.
CREATE TABLE contexts (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    nhs_number    TEXT NOT NULL,
    reason        TEXT,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    ended_at      INTEGER
);
