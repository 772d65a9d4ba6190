-- The appraisers' first review ends at a deadline of its own, between the self-assessment
-- deadline and the unit's answers. Rounds opened before keep NULL: no deadline.
ALTER TABLE assessment_round
    ADD COLUMN appraisal_deadline timestamptz,
    ADD CONSTRAINT assessment_round_appraisal_deadline_check
        CHECK (appraisal_deadline IS NULL OR appraisal_deadline > self_assessment_deadline);

---- create above / drop below ----

ALTER TABLE assessment_round DROP COLUMN appraisal_deadline;
