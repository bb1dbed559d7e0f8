-- A user's earlier contexts on a patient: when they last viewed it ("new since your last
-- view" for comments).
CREATE INDEX contexts_by_user_patient ON contexts (user_id, nhs_number);
