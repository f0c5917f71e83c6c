-- Hosted agents: deleting an agent keeps its runs on record (soft delete, and the slug is free again), file-defined
-- agents remember their file, hosted runs keep their prompt variables and their depth in a tree of child runs,
-- and queued runs are found fast by whichever server claims them.

ALTER TABLE agents ADD COLUMN deleted_at timestamptz;
ALTER TABLE agents ADD COLUMN source_path text;
ALTER TABLE agents DROP CONSTRAINT agents_workspace_id_slug_key;
CREATE UNIQUE INDEX agents_workspace_slug ON agents (workspace_id, slug) WHERE deleted_at IS NULL;

ALTER TABLE runs ADD COLUMN prompt_variables jsonb NOT NULL DEFAULT '{}';
ALTER TABLE runs ADD COLUMN depth integer NOT NULL DEFAULT 0 CHECK (depth >= 0);
CREATE INDEX runs_queued ON runs (id) WHERE status = 'queued';
