-- The coded reason for each break-glass grant, beside the free text. Grants made before
-- codes existed are marked `other`: their free text is the whole reason.
ALTER TABLE break_glass ADD COLUMN reason_code TEXT NOT NULL DEFAULT 'other';
