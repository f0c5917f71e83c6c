-- Durable pauses: a hosted run that waits for a person (an approval of a tool call or a step, or an answer to a
-- question) holds one pending row here and nothing in any server's memory. Approvals and input requests share the
-- table: the approval_id / request_id of the API is the row's id.

CREATE TABLE pauses (
    id             uuid PRIMARY KEY,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    run_id         uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    agent_id       uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('approval', 'input')),
    status         text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'answered', 'expired',
                                                   'cancelled')),
    -- where in the run it paused: 'tool:<model turn>:<place>:<call id>' or 'node:<name>:<step>'; a resumed run finds its
    -- answer here
    point          text NOT NULL,
    node_name      text,
    tool_name      text,
    tool_call_id   text,
    arguments      jsonb,          -- the exact call an approval is bound to, and its hash
    arguments_hash text,
    message        text,
    question       text,
    options        jsonb,          -- input: the choices offered, or NULL
    timeout_at     timestamptz,
    on_timeout     text CHECK (on_timeout IN ('approve', 'reject')),
    default_answer jsonb,
    -- the answer: approve/reject for approvals (a deadline's too), the response for input
    decision       text CHECK (decision IN ('approve', 'reject')),
    response       jsonb,
    comment        text,
    responded_by   text,
    resolved_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, point)
);

CREATE INDEX pauses_pending ON pauses (workspace_id, kind, id) WHERE status = 'pending';
CREATE INDEX pauses_run_pending ON pauses (run_id) WHERE status = 'pending';
CREATE INDEX pauses_deadline ON pauses (timeout_at) WHERE status = 'pending' AND timeout_at IS NOT NULL;

-- Idempotency-Key: the first answer to a request, replayed to its retries (same key, same request) for a day.
CREATE TABLE idempotency_keys (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key           text NOT NULL,
    request_hash  text NOT NULL,   -- method, path and body: the same key for another request is a conflict
    status_code   integer,         -- NULL while the first request is still being answered
    response      text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
