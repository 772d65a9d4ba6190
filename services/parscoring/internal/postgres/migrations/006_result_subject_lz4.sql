-- A subject row holds four arrays of one figure per node (about 4.5 kB for 110 nodes),
-- above the 2 kB at which PostgreSQL compresses a row's values. With the default pglz,
-- compressing them was half of the COPY of a 10,000-unit publication (1.1 s of it on the
-- test machine); lz4 compresses them in under half the time, keeps them small, and reads
-- them back faster for scorecards. Rows already stored keep pglz (both read alike).
-- A server built without lz4 keeps pglz: the migration must not fail for a speed setting.
DO $$
BEGIN
    ALTER TABLE result_subject
        ALTER COLUMN scores SET COMPRESSION lz4,
        ALTER COLUMN ranks SET COMPRESSION lz4,
        ALTER COLUMN prev_scores SET COMPRESSION lz4,
        ALTER COLUMN prev_ranks SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 not supported by this server: result_subject keeps pglz';
END $$;

---- create above / drop below ----

ALTER TABLE result_subject
    ALTER COLUMN scores SET COMPRESSION default,
    ALTER COLUMN ranks SET COMPRESSION default,
    ALTER COLUMN prev_scores SET COMPRESSION default,
    ALTER COLUMN prev_ranks SET COMPRESSION default;
