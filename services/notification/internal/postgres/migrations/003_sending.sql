-- A delivery being sent is marked 'sending' in a committed row before the e-mail or the
-- call leaves, so a process that dies between the send and its record leaves a row that
-- says "outcome unknown" instead of a pending one that would silently go out again.

ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'dead', 'digest', 'digested'));

-- 'unknown': the attempt was made (or about to be) when its process died.
ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_outcome_check;
ALTER TABLE delivery_attempts ADD CONSTRAINT delivery_attempts_outcome_check
    CHECK (outcome IN ('sent', 'failed', 'unknown'));

-- Sends whose lease ran out, found by every dispatcher round.
CREATE INDEX deliveries_sending_idx ON deliveries (channel, lease_until) WHERE state = 'sending';
