-- The client's IP address as the gateway's TCP connection saw it, for each audit row a
-- request caused (IHE BALP records the client's network address). Part of the row's
-- canonical form when present, so older rows keep their hashes.
ALTER TABLE audit ADD COLUMN client_addr TEXT;
