-- AgentOS schema, first version: tenants and keys, agents and their versions, runs (ingested and hosted),
-- their event timelines, and ingest tasks. Forward-only: never edit this file once it has landed.

CREATE TABLE workspaces (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents (
    id                  uuid PRIMARY KEY,
    workspace_id        uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    slug                text NOT NULL,
    name                text NOT NULL,
    description         text NOT NULL DEFAULT '',
    runtime             text NOT NULL CHECK (runtime IN ('hosted', 'external')),
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    -- how the agent came to exist: 'ingest' (auto-registered), 'api', 'file' (loaded from --agents DIR)
    source              text NOT NULL CHECK (source IN ('ingest', 'api', 'file')),
    current_version     integer,
    monthly_budget_usd  double precision CHECK (monthly_budget_usd IS NULL OR monthly_budget_usd >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, slug)
);

CREATE TABLE agent_versions (
    agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    version       integer NOT NULL CHECK (version >= 1),
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    spec          jsonb NOT NULL,
    source_text   text,
    checksum      text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, version)
);

-- Spend per agent and calendar month (UTC), added to when a run closes; drives budget_warning.
CREATE TABLE agent_monthly_costs (
    agent_id      uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    month         date NOT NULL,
    cost_usd      double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (agent_id, month)
);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id      uuid REFERENCES agents (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('workspace', 'agent')),
    prefix        text NOT NULL UNIQUE,          -- "aos_ws_" + 8 characters: shown in lists, used to revoke
    key_hash      bytea NOT NULL,                -- SHA-256 of the whole key; the key itself is never stored
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    CHECK ((kind = 'agent') = (agent_id IS NOT NULL))
);

-- Server-managed conversations (filled in by the sessions work); runs point at them.
CREATE TABLE sessions (
    id                uuid PRIMARY KEY,
    workspace_id      uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id          uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    external_user_id  text,
    name              text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runs (
    id                 uuid PRIMARY KEY,
    workspace_id       uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    agent_id           uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    agent_version      integer,
    status             text NOT NULL CHECK (status IN ('queued', 'running', 'awaiting_approval', 'awaiting_input',
                                                       'completed', 'failed', 'cancelled')),
    -- who reported or executes it: 'ingest' (v1 ingest API), 'legacy' (POST /api/ingest), 'hosted' (runtime)
    source             text NOT NULL CHECK (source IN ('ingest', 'legacy', 'hosted')),
    trigger_type       text NOT NULL,
    external_run_id    text,                     -- ingest correlation id; the sdk_run_id of legacy runs
    input              jsonb NOT NULL DEFAULT '{}',
    output             jsonb,
    error_message      text,
    error_detail       jsonb,
    parent_run_id      uuid REFERENCES runs (id) ON DELETE SET NULL,
    session_id         uuid,                     -- no FK: a deleted session leaves its runs' session_id on record
    schedule_id        uuid,
    last_seq           bigint NOT NULL DEFAULT 0,   -- the last event sequence_number; bumped in the insert tx
    prompt_tokens      bigint NOT NULL DEFAULT 0,
    completion_tokens  bigint NOT NULL DEFAULT 0,
    total_tokens       bigint NOT NULL DEFAULT 0,
    cost_usd           double precision NOT NULL DEFAULT 0,
    model              text,
    budget_warning     text,
    -- hosted execution: where to continue, who holds the run, how often it was recovered
    checkpoint         jsonb,
    step_count         integer NOT NULL DEFAULT 0,
    lease_owner        text,
    lease_expires_at   timestamptz,
    lease_term         bigint NOT NULL DEFAULT 0,
    recovery_count     integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    ended_at           timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX runs_workspace_id ON runs (workspace_id, id DESC);
CREATE INDEX runs_agent ON runs (agent_id, id DESC);
CREATE INDEX runs_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_session ON runs (session_id, id DESC) WHERE session_id IS NOT NULL;
CREATE INDEX runs_schedule ON runs (schedule_id, id DESC) WHERE schedule_id IS NOT NULL;
CREATE INDEX runs_lease ON runs (lease_expires_at) WHERE status IN ('running', 'queued');
CREATE UNIQUE INDEX runs_legacy_sdk_run_id ON runs (workspace_id, external_run_id) WHERE source = 'legacy';

CREATE SEQUENCE events_id_seq;

-- One timeline per run: sequence_number (seq) starts at 1 and has no gaps; it is assigned in the inserting
-- transaction from runs.last_seq, so concurrent batches for one run serialize on the run row.
CREATE TABLE events (
    run_id        uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq           bigint NOT NULL,
    id            bigint NOT NULL DEFAULT nextval('events_id_seq'),  -- the legacy API's event_id
    workspace_id  uuid NOT NULL,
    type          text NOT NULL,
    level         text NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    payload       jsonb NOT NULL DEFAULT '{}',
    occurred_at   timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);
ALTER SEQUENCE events_id_seq OWNED BY events.id;

CREATE TABLE tasks (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    run_id        uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped')),
    input         jsonb,
    output        jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
CREATE INDEX tasks_run ON tasks (run_id);
