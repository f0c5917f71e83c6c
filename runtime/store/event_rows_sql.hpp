#pragma once
/// A piece of SQL that several statements share (store-internal): inside a CTE whose `r` is the run row just
/// updated (last_seq already advanced by COUNT), inserts the events of the jsonb array parameter ROWS (EventRows)
/// with the sequence numbers that follow the run's previous last one.

#define AGENTOS_INSERT_EVENT_ROWS(COUNT, ROWS)                                                   \
    "INSERT INTO events (run_id, seq, workspace_id, type, level, payload, occurred_at)\n"        \
    "  SELECT r.id, r.last_seq - " COUNT                                                         \
    "::bigint + e.ord, r.workspace_id, e.type, e.level,\n"                                       \
    "         coalesce(e.payload, '{}'::jsonb), coalesce(e.occurred_at, now())\n"                \
    "  FROM r, ROWS FROM (jsonb_to_recordset(" ROWS                                              \
    "::jsonb)\n"                                                                                 \
    "                     AS (type text, level text, payload jsonb, occurred_at timestamptz))\n" \
    "       WITH ORDINALITY AS e(type, level, payload, occurred_at, ord)"
