-- Art. 15.7 of seed 002 (QĐ 3373/QĐ-UBND Thái Bình): every department head and district
-- chairman also explains the fallen nodes of their own unit's index. Node codes of a
-- department's index repeat those of the provincial index ("2", "3.1", …), so a request is
-- now identified by the index its node belongs to as well.

-- Whose index the node is of (the province for Art. 14.1 on the provincial index, the unit
-- itself for Art. 15.7), and that index's subject kind ("province", "department", …).
ALTER TABLE explanation ADD COLUMN index_unit_id uuid;
ALTER TABLE explanation ADD COLUMN index_kind text NOT NULL DEFAULT '';
-- Every request opened before this migration was on the provincial index.
UPDATE explanation SET index_unit_id = province_unit_id, index_kind = 'province' WHERE kind = 'score_fell';
ALTER TABLE explanation ADD CONSTRAINT explanation_index_named CHECK (kind <> 'score_fell' OR index_unit_id IS NOT NULL);

-- Art. 14.1, 15.7: exactly one request per year, index, node and unit, however often
-- results arrive.
DROP INDEX explanation_trigger_once;
CREATE UNIQUE INDEX explanation_trigger_once ON explanation (year, index_unit_id, node_code, unit_id) WHERE kind = 'score_fell';

---- create above / drop below ----

DROP INDEX explanation_trigger_once;
CREATE UNIQUE INDEX explanation_trigger_once ON explanation (year, node_code, unit_id) WHERE kind = 'score_fell';
ALTER TABLE explanation DROP CONSTRAINT explanation_index_named;
ALTER TABLE explanation DROP COLUMN index_kind;
ALTER TABLE explanation DROP COLUMN index_unit_id;
