-- The live feed across servers: every statement that stores events announces, per run, the range of sequence
-- numbers it wrote on the channel agentos_events ("<workspace> <run> <first> <last>"). NOTIFY is delivered at commit
-- and only then, so a listener that reads the events after hearing of them always finds them. One notification per
-- run and statement (not per event) keeps the cost of a many-event batch flat.

CREATE FUNCTION agentos_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT workspace_id, run_id, min(seq) AS first_seq, max(seq) AS last_seq
             FROM new_events GROUP BY workspace_id, run_id LOOP
        PERFORM pg_notify('agentos_events',
                          r.workspace_id::text || ' ' || r.run_id::text || ' ' || r.first_seq || ' ' || r.last_seq);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION agentos_events_notify();
