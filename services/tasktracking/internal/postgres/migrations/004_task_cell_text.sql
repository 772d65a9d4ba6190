-- The lead and cooperating cells of an imported table as written, beside the ids read from
-- them, so anyone can check the reading (collectives such as "các cơ quan liên quan" name no
-- unit and live only here). Empty for tasks entered without a table.
ALTER TABLE tasks
    ADD COLUMN lead_text        text NOT NULL DEFAULT '',
    ADD COLUMN cooperating_text text NOT NULL DEFAULT '';
