-- The request that caused each audit row, to match it with the response's X-Request-Id
-- and the gateway's log lines. Part of the row's canonical form when present.
ALTER TABLE audit ADD COLUMN request_id TEXT;
