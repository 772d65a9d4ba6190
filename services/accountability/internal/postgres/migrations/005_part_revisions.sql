-- Optimistic concurrency on explanations (AIP-154 etags): the owning unit and each
-- cooperating unit draft at the same time, so each part counts its own changes beside the
-- explanation's version; a writer names the revision it read and a stale one is refused
-- instead of silently overwritten.
ALTER TABLE explanation_part ADD COLUMN version integer NOT NULL DEFAULT 1;

---- create above / drop below ----

ALTER TABLE explanation_part DROP COLUMN version;
