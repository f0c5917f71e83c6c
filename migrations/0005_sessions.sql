-- Server-managed sessions (multi-turn conversations the server remembers) and per-user memories.
--
-- A session runs one turn at a time: active_run_id is the run that holds it (queued to start, running or paused).
-- A run takes a free session when it is inserted; with multitask_strategy enqueue a run waits queued without holding
-- it, and the session passes to the oldest such run when the holder ends (the trigger below), so the queue worker
-- only ever starts a session run that holds its session.

ALTER TABLE sessions ADD COLUMN active_run_id uuid;            -- no FK: a run deleted with its agent frees nothing
ALTER TABLE sessions ADD COLUMN message_count bigint NOT NULL DEFAULT 0;  -- the last message's seq

CREATE INDEX sessions_workspace ON sessions (workspace_id, id DESC);
CREATE INDEX sessions_agent ON sessions (agent_id, id DESC);
CREATE INDEX sessions_user ON sessions (workspace_id, external_user_id, id DESC) WHERE external_user_id IS NOT NULL;
CREATE INDEX runs_session_queued ON runs (session_id, id) WHERE status = 'queued' AND session_id IS NOT NULL;

-- A session's messages in order. A completed turn appends its user message, the assistant's tool calls with their
-- results, and the answer; a turn that ends otherwise appends its user message and a marker (status failed or
-- cancelled, no content), never a half answer. Markers are shown, not sent to the model.
CREATE TABLE session_messages (
    session_id    uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq           bigint NOT NULL,
    run_id        uuid NOT NULL,
    role          text NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content       text,
    tool_calls    jsonb,           -- assistant: [{id, name, arguments}]
    tool_call_id  text,            -- tool: the call this result answers
    tool_name     text,            -- tool: the tool that answered
    status        text NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'failed', 'cancelled')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, seq)
);

CREATE INDEX session_messages_run ON session_messages (run_id);  -- "did this run append its turn?" in O(log n)

-- Every end of a session's run, whichever path closes it (the executor, a cancel, the ingest API, recovery): the
-- session passes to its oldest waiting run (or is free), and a turn that started but appended nothing leaves its user
-- message and a marker (a queued turn cancelled before it started leaves nothing). The user message is the run's
-- input.message if a string, else input.query if a string, else the input.
CREATE FUNCTION agentos_session_turn_end() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_run uuid;
    base bigint;
BEGIN
    -- Lock the session first: an invoke that queues a run on it holds this lock while it decides, so the next
    -- statement (a new snapshot) sees every run queued before.
    PERFORM 1 FROM sessions WHERE id = NEW.session_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;  -- deleted: its runs keep their session_id for the record
    END IF;
    IF OLD.status <> 'queued' AND NOT EXISTS (SELECT 1 FROM session_messages WHERE run_id = NEW.id) THEN
        UPDATE sessions SET message_count = message_count + 2, updated_at = now()
        WHERE id = NEW.session_id RETURNING message_count - 2 INTO base;
        INSERT INTO session_messages (session_id, seq, run_id, role, content, status)
        VALUES (NEW.session_id, base + 1, NEW.id, 'user',
                CASE WHEN jsonb_typeof(NEW.input -> 'message') = 'string' THEN NEW.input ->> 'message'
                     WHEN jsonb_typeof(NEW.input -> 'query') = 'string' THEN NEW.input ->> 'query'
                     ELSE NEW.input::text END,
                'complete'),
               (NEW.session_id, base + 2, NEW.id, 'assistant', NULL,
                CASE WHEN NEW.status = 'cancelled' THEN 'cancelled' ELSE 'failed' END);  -- completed elsewhere (ingest): no answer here
    END IF;
    SELECT id INTO next_run FROM runs
    WHERE session_id = NEW.session_id AND status = 'queued' AND id <> NEW.id ORDER BY id LIMIT 1;
    UPDATE sessions SET active_run_id = next_run, updated_at = now()
    WHERE id = NEW.session_id AND active_run_id = NEW.id;
    IF FOUND AND next_run IS NOT NULL THEN
        PERFORM pg_notify('agentos_runs', '');  -- the queue workers' channel
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER runs_session_turn_end AFTER UPDATE OF status ON runs
    FOR EACH ROW
    WHEN (NEW.session_id IS NOT NULL AND NEW.status IN ('completed', 'failed', 'cancelled')
          AND OLD.status NOT IN ('completed', 'failed', 'cancelled'))
    EXECUTE FUNCTION agentos_session_turn_end();

-- Per-user memories (by the caller's external_user_id), written through the API or by an agent's remember tool.
CREATE TABLE user_memories (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    external_user_id  text NOT NULL,
    memory            text NOT NULL,
    topics            text[] NOT NULL DEFAULT '{}',
    agent_id          uuid REFERENCES agents (id) ON DELETE SET NULL,  -- the agent whose run stored it, if any
    run_id            uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    search            tsvector GENERATED ALWAYS AS (to_tsvector('simple', memory)) STORED
);

CREATE INDEX user_memories_user ON user_memories (workspace_id, external_user_id, id DESC);
CREATE INDEX user_memories_search ON user_memories USING gin (search);
CREATE INDEX user_memories_topics ON user_memories USING gin (topics);
