-- Schedules: an agent run on a cron expression in an IANA time zone, fired exactly once per due time by whichever
-- server claims it. Forward-only: never edit this file once it has landed.
--
-- next_fire_at is the next due time, computed by the server (cron and time zones live in C++, with cctz). A server
-- fires a schedule by locking its row (FOR UPDATE SKIP LOCKED, next_fire_at <= now), inserting the fire's row under
-- the unique key (schedule_id, scheduled_for) and the run, and moving next_fire_at on, all in one transaction: two
-- servers cannot both fire a due time, and a crash before the commit leaves it due.

CREATE TABLE schedules (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id          uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    -- 'api' (POST /api/v1/schedules) or 'yaml' (the agent definition's schedules[yaml_index], synced when it loads)
    source            text NOT NULL CHECK (source IN ('api', 'yaml')),
    yaml_index        integer,
    cron              text NOT NULL,
    timezone          text NOT NULL,
    input             jsonb NOT NULL DEFAULT '{}',
    prompt_variables  jsonb NOT NULL DEFAULT '{}',
    enabled           boolean NOT NULL DEFAULT true,
    catch_up_s        integer NOT NULL DEFAULT 300 CHECK (catch_up_s >= 0),
    overlap           text NOT NULL DEFAULT 'skip' CHECK (overlap IN ('skip', 'allow')),
    next_fire_at      timestamptz,   -- NULL: the expression fires no more
    last_fired_for    timestamptz,   -- the due time of the last fire (fired or skipped)
    last_run_id       uuid,          -- no FK: runs may go with their agent; the overlap check reads its status
    fire_count        bigint NOT NULL DEFAULT 0,
    skipped_overlap   bigint NOT NULL DEFAULT 0,  -- due times skipped because the previous run was still active
    skipped_missed    bigint NOT NULL DEFAULT 0,  -- due times missed while no server ran, beyond catch_up_s
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((source = 'yaml') = (yaml_index IS NOT NULL)),
    UNIQUE (agent_id, yaml_index)
);

CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE enabled AND next_fire_at IS NOT NULL;
CREATE INDEX schedules_workspace ON schedules (workspace_id, id DESC);
CREATE INDEX schedules_agent ON schedules (agent_id);

-- One row per due time a server took: fired (run_id is the run), skipped because the previous run was still active
-- (run_id is that run) or because the agent is paused, or an error (the run could not be made: error says why).
-- The primary key is the exactly-once guarantee. Manual triggers make runs without a row here.
CREATE TABLE schedule_fires (
    schedule_id    uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    scheduled_for  timestamptz NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('fired', 'skipped_overlap', 'skipped_paused', 'error')),
    run_id         uuid,
    error          text,
    server_id      text NOT NULL,
    fired_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (schedule_id, scheduled_for)
);

CREATE INDEX schedule_fires_fired_at ON schedule_fires (fired_at);  -- pruning old rows
