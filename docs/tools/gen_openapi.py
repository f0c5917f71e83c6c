#!/usr/bin/env python3
"""Generates api/openapi.json, the OpenAPI 3.1 document served at /openapi.json. Edit this file, run it, commit both.
A unit test (tests/unit/api/openapi_test.cpp) fails when a served route is missing from the document or vice versa."""
import json
import os

REF = lambda name: {"$ref": f"#/components/schemas/{name}"}
RESP = lambda name: {"$ref": f"#/components/responses/{name}"}
HDR = lambda name: {"$ref": f"#/components/headers/{name}"}
PARAM = lambda name: {"$ref": f"#/components/parameters/{name}"}

UUID_PATTERN = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
AGENT_REF_PATTERN = (
    "^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[a-z0-9][a-z0-9-]{0,63})$"
)
TIME_INPUT_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:?[0-9]{2})?$"
MAX_SEQ = 4611686018427387903  # INT64_MAX / 2, the bound of `after` and `cursor` on the events list

RATE_HEADERS = {
    "X-Request-Id": HDR("X-Request-Id"),
    "X-RateLimit-Limit": HDR("X-RateLimit-Limit"),
    "X-RateLimit-Remaining": HDR("X-RateLimit-Remaining"),
    "X-RateLimit-Reset": HDR("X-RateLimit-Reset"),
}
ID_HEADER = {"X-Request-Id": HDR("X-Request-Id")}


def envelope(data_schema, description=None):
    s = {
        "type": "object",
        "required": ["data", "error"],
        "properties": {"data": data_schema, "error": {"type": "null"}},
    }
    if description:
        s["description"] = description
    return s


def ok(schema_name, description, authenticated=True, example=None):
    content = {"schema": REF(schema_name)}
    if example is not None:
        content["example"] = example
    return {
        "description": description,
        "headers": RATE_HEADERS if authenticated else ID_HEADER,
        "content": {"application/json": content},
    }


def errors(*codes):
    names = {
        400: "BadRequest",
        401: "Unauthenticated",
        403: "Forbidden",
        404: "NotFound",
        409: "Conflict",
        413: "PayloadTooLarge",
        429: "RateLimited",
        500: "Internal",
        503: "Unavailable",
    }
    return {str(c): RESP(names[c]) for c in codes}


def json_body(schema_name, example):
    return {
        "required": True,
        "content": {"application/json": {"schema": REF(schema_name), "example": example}},
    }


def definition_body(yaml_example, json_example):
    """An agent definition: YAML text or a JSON object, read by the same loader (JSON is YAML)."""
    return {
        "required": True,
        "description": (
            "An agent definition (docs/agents.md), as YAML or as JSON. The Content-Type is not checked: JSON is YAML, "
            "and both go through the same loader. Besides the body limit (default 1 MiB): valid UTF-8, flow collections ([ ] { }) nested at most 64 deep, no line indented more than 512 columns, and "
            "at most 100,000 values once YAML aliases are expanded."
        ),
        "content": {
            "application/yaml": {
                "schema": {"type": "string", "description": "The definition as a YAML document."},
                "example": yaml_example,
            },
            "application/json": {"schema": REF("AgentDefinition"), "example": json_example},
        },
    }


BEARER = [{"bearerAuth": []}]

# ---------------------------------------------------------------- examples (taken from a running server)
RUN_ID = "01a20bef-330d-7b45-946c-3b87f79b4cbe"
AGENT_ID = "01a20bee-7983-71c1-87e2-71a6be72dfbc"
TASK_ID = "01890a5d-ac96-774b-bcce-b302099a8057"

RUN_EXAMPLE = {
    "id": RUN_ID,
    "agent_id": AGENT_ID,
    "agent_slug": "research-agent",
    "agent_version": None,
    "status": "completed",
    "source": "ingest",
    "trigger_type": "sdk",
    "external_run_id": "job_8f2a",
    "input": {"invoiceId": "INV-001"},
    "output": {"total": 1234.5},
    "error_message": None,
    "error_detail": None,
    "parent_run_id": None,
    "session_id": None,
    "schedule_id": None,
    "event_count": 5,
    "prompt_tokens": 0,
    "completion_tokens": 0,
    "total_tokens": 0,
    "cost_usd": 0.0,
    "model": None,
    "budget_warning": None,
    "created_at": "2026-11-24T05:02:35.276Z",
    "started_at": "2026-11-24T05:02:35.276Z",
    "ended_at": "2026-11-24T05:02:42.859Z",
    "updated_at": "2026-11-24T05:02:42.859Z",
    "duration_ms": 7583,
}
TASK_EXAMPLE = {
    "id": TASK_ID,
    "run_id": RUN_ID,
    "name": "parse-pdf",
    "status": "completed",
    "input": {"file": "report.pdf"},
    "output": {"pages": 3},
    "created_at": "2026-11-24T05:02:35.530Z",
    "updated_at": "2026-11-24T05:02:35.547Z",
}
AGENT_EXAMPLE = {
    "id": AGENT_ID,
    "slug": "research-agent",
    "name": "Research Agent",
    "description": "",
    "runtime": "external",
    "status": "active",
    "source": "ingest",
    "current_version": None,
    "monthly_budget_usd": None,
    "created_at": "2026-11-24T05:01:47.779Z",
    "updated_at": "2026-11-24T05:01:47.779Z",
}
HOSTED_AGENT_ID = "01a20c4b-a662-76b8-a128-9cc6a25488da"
HOSTED_AGENT_EXAMPLE = {
    "id": HOSTED_AGENT_ID,
    "slug": "research-agent",
    "name": "Research agent",
    "description": "Answers questions with a web search",
    "runtime": "hosted",
    "status": "active",
    "source": "api",
    "current_version": 1,
    "monthly_budget_usd": 10.0,
    "created_at": "2026-11-24T06:43:34.114Z",
    "updated_at": "2026-11-24T06:43:34.114Z",
}
DEFINITION_YAML = """\
slug: research-agent
name: Research agent
description: Answers questions with a web search
model:
  provider: mock
instructions: |
  You are a research assistant for {{COMPANY}}.
variables:
  COMPANY: { required: true }
budget:
  max_steps: 25
  monthly_cost_usd: 10
"""
DEFINITION_EXAMPLE = {
    "slug": "research-agent",
    "name": "Research agent",
    "description": "Answers questions with a web search",
    "model": {"provider": "mock"},
    "instructions": "You are a research assistant for {{COMPANY}}.\n",
    "variables": {"COMPANY": {"required": True}},
    "budget": {"max_steps": 25, "monthly_cost_usd": 10},
}
VERSION_EXAMPLE = {
    "version": 1,
    "current": True,
    "checksum": "4e176c9cff9651cb71ddc615d481b150a8a7b2e6a12ab2a357e294c6241d0d5e",
    "definition": DEFINITION_EXAMPLE,
    "created_at": "2026-11-24T06:43:34.114Z",
}
DEFINITION_ERROR_EXAMPLE = {
    "data": None,
    "error": {
        "code": "VALIDATION_ERROR",
        "message": "body:3:3: model.name: required (and 2 more)",
        "details": {
            "errors": [
                {"line": 3, "column": 3, "field": "model.name", "message": "required"},
                {
                    "line": 4,
                    "column": 3,
                    "field": "model.temprature",
                    "message": (
                        "unknown field (allowed here: provider, name, base_url, api_key_env, temperature, max_tokens, "
                        "top_p, stop, timeout_s, script)"
                    ),
                },
                {"line": 7, "column": 18, "field": "tools[0].http.url", "message": "not a URL (must start with http:// or https://)"},
            ]
        },
    },
}
EVENT_EXAMPLE = {
    "sequence_number": 1,
    "type": "run_start",
    "level": "info",
    "payload": {"input": {"invoiceId": "INV-001"}, "trigger_type": "sdk", "external_run_id": "job_8f2a"},
    "occurred_at": "2026-11-24T05:02:35.276Z",
    "received_at": "2026-11-24T05:02:35.276Z",
}

# ---------------------------------------------------------------- schemas
nullable_uuid = {"type": ["string", "null"], "format": "uuid"}
timestamp = REF("Timestamp")
nullable_timestamp = {"type": ["string", "null"], "format": "date-time", "description": "ISO-8601 UTC with milliseconds, or null."}

schemas = {
    "Uuid": {
        "type": "string",
        "format": "uuid",
        "pattern": UUID_PATTERN,
        "description": "Canonical 8-4-4-4-12 hex UUID, either case on input; always lower-case on output.",
        "example": RUN_ID,
    },
    "Timestamp": {
        "type": "string",
        "format": "date-time",
        "description": "ISO-8601 UTC with milliseconds.",
        "example": "2026-05-11T20:00:00.000Z",
    },
    "TimeInput": {
        "type": "string",
        "pattern": TIME_INPUT_PATTERN,
        "description": (
            "ISO-8601 time YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|+HHMM]. Without an offset the time is read as UTC. "
            "Up to 9 fraction digits (stored to the microsecond). Impossible dates (2026-02-30) are refused."
        ),
        "example": "2026-05-11T20:00:00.000Z",
    },
    "AgentRef": {
        "type": "string",
        "pattern": AGENT_REF_PATTERN,
        "description": "An agent UUID, or an agent slug ([a-z0-9][a-z0-9-]{0,63}).",
        "example": "research-agent",
    },
    "ErrorCode": {
        "type": "string",
        "enum": [
            "UNAUTHENTICATED",
            "FORBIDDEN",
            "NOT_FOUND",
            "METHOD_NOT_ALLOWED",
            "REQUEST_TIMEOUT",
            "VALIDATION_ERROR",
            "CONFLICT",
            "PAYLOAD_TOO_LARGE",
            "HEADERS_TOO_LARGE",
            "RATE_LIMITED",
            "INTERNAL",
            "UNAVAILABLE",
        ],
        "description": (
            "UNAUTHENTICATED 401, FORBIDDEN 403, NOT_FOUND 404, METHOD_NOT_ALLOWED 405, REQUEST_TIMEOUT 408, "
            "VALIDATION_ERROR 400, CONFLICT 409, PAYLOAD_TOO_LARGE 413, HEADERS_TOO_LARGE 431, RATE_LIMITED 429, "
            "INTERNAL 500, UNAVAILABLE 503."
        ),
    },
    "Error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": REF("ErrorCode"),
            "message": {"type": "string", "description": "What went wrong and what to fix; for one bad field it reads \"<field>: <problem>\"."},
            "details": {
                "type": "object",
                "description": (
                    "Present on VALIDATION_ERROR about a named field: {\"field\": \"events[2].type\"}; for unknown body "
                    "fields also \"unknown_fields\" (all of them). On a bad agent definition (POST /api/v1/agents, "
                    "PUT /api/v1/agents/{agentId}): {\"errors\": [DefinitionError, ...]}, every problem found, in "
                    "document order."
                ),
                "properties": {
                    "field": {"type": "string"},
                    "unknown_fields": {"type": "array", "items": {"type": "string"}},
                    "errors": {"type": "array", "minItems": 1, "items": REF("DefinitionError")},
                },
            },
        },
    },
    "ErrorEnvelope": {
        "type": "object",
        "required": ["data", "error"],
        "properties": {"data": {"type": "null"}, "error": REF("Error")},
        "example": {
            "data": None,
            "error": {"code": "VALIDATION_ERROR", "message": "run_id: required", "details": {"field": "run_id"}},
        },
    },
    "RunStatus": {
        "type": "string",
        "enum": ["queued", "running", "awaiting_approval", "awaiting_input", "completed", "failed", "cancelled"],
        "description": "completed, failed and cancelled are terminal: a run in one of them never changes again.",
    },
    "EventLevel": {"type": "string", "enum": ["debug", "info", "warn", "error"]},
    "TaskStatus": {
        "type": "string",
        "enum": ["pending", "running", "completed", "failed", "skipped"],
        "description": "completed, failed and skipped are final: a task in one of them keeps that status.",
    },
    "TriggerType": {
        "type": "string",
        "enum": ["manual", "scheduled", "webhook", "sdk", "agent"],
        "description": "agent: a child run started by an agent node or the call_agent tool.",
    },
    "Run": {
        "type": "object",
        "description": "A run, hosted or ingested.",
        "required": list(RUN_EXAMPLE.keys()),
        "properties": {
            "id": REF("Uuid"),
            "agent_id": REF("Uuid"),
            "agent_slug": {"type": "string"},
            "agent_version": {"type": ["integer", "null"], "description": "The agent version the run ran (hosted runs); null for ingested runs."},
            "status": REF("RunStatus"),
            "source": {
                "type": "string",
                "enum": ["ingest", "legacy", "hosted"],
                "description": "ingest: POST /api/ingest/v1/run/start; legacy: POST /api/ingest; hosted: run by the server.",
            },
            "trigger_type": {"type": "string", "description": "manual, scheduled, webhook or sdk (legacy runs: always sdk)."},
            "external_run_id": {
                "type": ["string", "null"],
                "description": "The caller's correlation id (v1 ingest), or the sdk_run_id (legacy runs).",
            },
            "input": {"type": "object", "description": "The run's input ({} when none was given)."},
            "output": {"description": "Any JSON value; null until the run completes."},
            "error_message": {"type": ["string", "null"]},
            "error_detail": {
                "type": ["object", "null"],
                "description": "v1 fail: the error_detail sent; legacy error event: the whole event payload.",
            },
            "parent_run_id": nullable_uuid,
            "session_id": nullable_uuid,
            "schedule_id": nullable_uuid,
            "event_count": {"type": "integer", "minimum": 0, "description": "The last sequence_number of the run's timeline."},
            "prompt_tokens": {"type": "integer", "minimum": 0},
            "completion_tokens": {"type": "integer", "minimum": 0},
            "total_tokens": {"type": "integer", "minimum": 0},
            "cost_usd": {"type": "number", "minimum": 0},
            "model": {"type": ["string", "null"]},
            "budget_warning": {
                "type": ["string", "null"],
                "description": "Set when the run closed while its agent was over its monthly budget.",
            },
            "created_at": timestamp,
            "started_at": nullable_timestamp,
            "ended_at": nullable_timestamp,
            "updated_at": timestamp,
            "duration_ms": {"type": ["integer", "null"], "description": "ended_at - started_at; null while the run is open."},
        },
        "example": RUN_EXAMPLE,
    },
    "ChildRun": {
        "type": "object",
        "description": "Summary of a run whose parent_run_id is this run.",
        "required": ["id", "agent_id", "agent_slug", "status", "total_tokens", "cost_usd"],
        "properties": {
            "id": REF("Uuid"),
            "agent_id": REF("Uuid"),
            "agent_slug": {"type": "string"},
            "status": REF("RunStatus"),
            "total_tokens": {"type": "integer", "minimum": 0},
            "cost_usd": {"type": "number", "minimum": 0},
        },
    },
    "RunDetail": {
        "description": (
            "A run with its tasks (oldest first), its child runs (oldest first) and the open pause it waits on, if any."
        ),
        "allOf": [
            REF("Run"),
            {
                "type": "object",
                "required": ["tasks", "child_runs", "pending_approval", "pending_input"],
                "properties": {
                    "tasks": {"type": "array", "items": REF("Task")},
                    "child_runs": {"type": "array", "items": REF("ChildRun")},
                    "pending_approval": {
                        "anyOf": [REF("Approval"), {"type": "null"}],
                        "description": "The pending approval the run waits on (status awaiting_approval); else null.",
                    },
                    "pending_input": {
                        "anyOf": [REF("InputRequest"), {"type": "null"}],
                        "description": "The pending input request the run waits on (status awaiting_input); else null.",
                    },
                },
            },
        ],
    },
    "Event": {
        "type": "object",
        "required": ["sequence_number", "type", "level", "payload", "occurred_at", "received_at"],
        "properties": {
            "sequence_number": {"type": "integer", "minimum": 1, "description": "Starts at 1 per run, no gaps."},
            "type": {
                "type": "string",
                "description": (
                    "Ingested runs: any type their agent sent. Hosted runs: run_start, step, tool_call (with "
                    "approval_id when the call was approved), run_end, error; on a pause human_input_requested "
                    "{question, context: {tool_name?, arguments?, node_name?}, channel: \"api\", kind: approval | "
                    "input, approval_id? | request_id?, options?}, on its answer human_input_received {response, "
                    "responded_by, kind, approval_id? | request_id?, comment?, timed_out? (true when a deadline "
                    "answered)}; run_recovered (level warn) {recovered_by, recovery_count, from_step} when a server "
                    "took over a run whose server stopped renewing its lease; a cancelled run ends with error "
                    "(level warn) {error_type: \"Cancelled\", error_message}."
                ),
            },
            "level": REF("EventLevel"),
            "payload": {"type": "object"},
            "occurred_at": timestamp,
            "received_at": timestamp,
        },
        "example": EVENT_EXAMPLE,
    },
    "Task": {
        "type": "object",
        "required": ["id", "run_id", "name", "status", "input", "output", "created_at", "updated_at"],
        "properties": {
            "id": REF("Uuid"),
            "run_id": REF("Uuid"),
            "name": {"type": "string"},
            "status": REF("TaskStatus"),
            "input": {"description": "Any JSON value; null when never given."},
            "output": {"description": "Any JSON value; null when never given."},
            "created_at": timestamp,
            "updated_at": timestamp,
        },
        "example": TASK_EXAMPLE,
    },
    "Agent": {
        "type": "object",
        "required": list(AGENT_EXAMPLE.keys()),
        "properties": {
            "id": REF("Uuid"),
            "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "runtime": {
                "type": "string",
                "enum": ["hosted", "external"],
                "description": "hosted: defined to be run by the server; external: runs elsewhere and reports through ingest.",
            },
            "status": {
                "type": "string",
                "enum": ["active", "paused"],
                "description": "Set by POST .../pause and .../activate.",
            },
            "source": {
                "type": "string",
                "enum": ["ingest", "api", "file"],
                "description": (
                    "ingest: auto-registered by a legacy run_start (or by `agentos keys create --agent`); api: last "
                    "saved by POST or PUT /api/v1/agents; file: last saved from a file of `--agents DIR` at start."
                ),
            },
            "current_version": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "The definition version in use; null for an agent registered by ingest (it has no definition).",
            },
            "monthly_budget_usd": {
                "type": ["number", "null"],
                "minimum": 0,
                "description": "budget.monthly_cost_usd of the current definition. null: no budget, never a warning.",
            },
            "created_at": timestamp,
            "updated_at": timestamp,
        },
        "example": AGENT_EXAMPLE,
    },
    "RunPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": REF("Run")},
            "next_cursor": {
                "type": ["string", "null"],
                "format": "uuid",
                "description": "The last item's id when the page is full (pass it as cursor); null when the page is not full.",
            },
        },
    },
    "EventPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": REF("Event")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "The last item's sequence_number, as a string, when the page is full (pass it as after or cursor); null when the page is not full.",
                "example": "100",
            },
        },
    },
    "AgentPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": REF("Agent")},
            "next_cursor": {
                "type": ["string", "null"],
                "format": "uuid",
                "description": "The last item's id when the page is full (pass it as cursor); null when the page is not full.",
            },
        },
    },
    "AgentDetail": {
        "description": "An agent with its current definition.",
        "allOf": [
            REF("Agent"),
            {
                "type": "object",
                "required": ["definition"],
                "properties": {
                    "definition": {
                        "type": ["object", "null"],
                        "description": (
                            "The current version's definition as JSON (YAML plain scalars typed as YAML reads them); "
                            "null for an agent registered by ingest."
                        ),
                    }
                },
            },
        ],
    },
    "SavedAgent": {
        "description": "The agent after a create or update.",
        "allOf": [
            REF("Agent"),
            {
                "type": "object",
                "required": ["new_version"],
                "properties": {
                    "new_version": {
                        "type": "boolean",
                        "description": (
                            "true when a version was added (always on create); false when the text sent is byte for "
                            "byte the current version's (nothing changed but updated_at)."
                        ),
                    }
                },
            },
        ],
    },
    "AgentVersion": {
        "type": "object",
        "required": list(VERSION_EXAMPLE.keys()),
        "properties": {
            "version": {"type": "integer", "minimum": 1, "description": "1, 2, ... per agent; never reused."},
            "current": {"type": "boolean", "description": "Whether this is the agent's current_version."},
            "checksum": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "Hex SHA-256 of the definition text exactly as sent (or read from its file).",
            },
            "definition": {"type": "object", "description": "The definition as JSON."},
            "created_at": timestamp,
        },
        "example": VERSION_EXAMPLE,
    },
    "AgentVersionList": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "description": "Every version of the agent, newest first, in one page.",
        "properties": {
            "items": {"type": "array", "items": REF("AgentVersion")},
            "next_cursor": {"type": "null", "description": "Always null: the list is not paged."},
        },
    },
    "Deleted": {
        "type": "object",
        "required": ["deleted"],
        "properties": {"deleted": {"const": True}},
    },
    "DefinitionError": {
        "type": "object",
        "required": ["line", "column", "field", "message"],
        "properties": {
            "line": {"type": "integer", "minimum": 0, "description": "1-based; 0 when the problem has no place (invalid UTF-8, an empty body)."},
            "column": {"type": "integer", "minimum": 0, "description": "1-based; 0 when the problem has no place."},
            "field": {
                "type": "string",
                "description": "The field path, e.g. tools[2].http.url or graph.nodes.plan.prompt; empty for the document itself.",
            },
            "message": {"type": "string"},
        },
        "example": {"line": 7, "column": 18, "field": "tools[0].http.url", "message": "not a URL (must start with http:// or https://)"},
    },
    "Health": {
        "type": "object",
        "required": ["status", "database"],
        "properties": {"status": {"const": "ok"}, "database": {"const": "ok"}},
    },
    "RunStarted": {
        "type": "object",
        "required": ["run_id"],
        "properties": {
            "run_id": REF("Uuid"),
            "budget_warning": {
                "type": "string",
                "description": "Only when the agent's spend this calendar month (UTC) is over its monthly budget.",
                "example": "Agent 'research-agent' has exceeded its budget of $10.00",
            },
        },
    },
    "EventsAccepted": {
        "type": "object",
        "required": ["run_id", "accepted", "first_sequence_number", "last_sequence_number"],
        "properties": {
            "run_id": REF("Uuid"),
            "accepted": {"type": "integer", "minimum": 1, "maximum": 1000},
            "first_sequence_number": {"type": "integer", "minimum": 1},
            "last_sequence_number": {"type": "integer", "minimum": 1},
        },
    },
    "HealthEnvelope": envelope(REF("Health")),
    "RunStartedEnvelope": envelope(REF("RunStarted")),
    "EventsAcceptedEnvelope": envelope(REF("EventsAccepted")),
    "RunEnvelope": envelope(REF("Run")),
    "RunDetailEnvelope": envelope(REF("RunDetail")),
    "TaskEnvelope": envelope(REF("Task")),
    "AgentEnvelope": envelope(REF("Agent")),
    "RunPageEnvelope": envelope(REF("RunPage")),
    "EventPageEnvelope": envelope(REF("EventPage")),
    "AgentPageEnvelope": envelope(REF("AgentPage")),
    "AgentDetailEnvelope": envelope(REF("AgentDetail")),
    "SavedAgentEnvelope": envelope(REF("SavedAgent")),
    "AgentVersionListEnvelope": envelope(REF("AgentVersionList")),
    "DeletedEnvelope": envelope(REF("Deleted")),
    # ------------------------------------------------------------ request bodies
    "RunStartRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "agent_id": {
                "allOf": [REF("AgentRef")],
                "description": "Required with a workspace key; with an agent key it defaults to the key's agent and may only name that agent.",
            },
            "trigger_type": {"allOf": [REF("TriggerType")], "default": "sdk"},
            "input": {"type": "object", "default": {}},
            "external_run_id": {
                "type": "string",
                "maxLength": 255,
                "description": "Your correlation id (at most 255 bytes), stored on the run as external_run_id. Not unique.",
            },
        },
    },
    "EventInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["type"],
        "properties": {
            "type": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "description": "Any type string (at most 200 bytes): a core type (step, tool_call, ...) or your own (invoice.fetched). Recording run_end or error here does not close the run.",
            },
            "level": {"allOf": [REF("EventLevel")], "default": "info"},
            "payload": {"type": "object", "default": {}},
            "occurred_at": {"allOf": [REF("TimeInput")], "description": "Defaults to the time the server stores the event."},
        },
    },
    "EventsRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["run_id", "events"],
        "properties": {
            "run_id": REF("Uuid"),
            "events": {"type": "array", "minItems": 1, "maxItems": 1000, "items": REF("EventInput")},
        },
    },
    "RunCompleteRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["run_id"],
        "properties": {"run_id": REF("Uuid"), "output": {"type": "object", "default": {}}},
    },
    "RunFailRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["run_id", "error_message"],
        "properties": {
            "run_id": REF("Uuid"),
            "error_message": {"type": "string", "minLength": 1},
            "error_detail": {"type": "object"},
        },
    },
    "TaskInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "name", "status"],
        "properties": {
            "id": {"allOf": [REF("Uuid")], "description": "Chosen by you; unique in the workspace. The same id again updates the task."},
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "description": "At most 200 bytes."},
            "status": REF("TaskStatus"),
            "input": {"description": "Any JSON value; when omitted on an update the stored input is kept."},
            "output": {"description": "Any JSON value; when omitted on an update the stored output is kept."},
        },
    },
    "TaskUpsertRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["run_id", "task"],
        "properties": {"run_id": REF("Uuid"), "task": REF("TaskInput")},
    },
    "LegacyEventType": {
        "type": "string",
        "enum": ["run_start", "step", "tool_call", "error", "run_end", "human_input_requested", "human_input_received"],
    },
    "LegacyIngestRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["event_type", "sdk_run_id", "payload"],
        "properties": {
            "event_type": REF("LegacyEventType"),
            "sdk_run_id": {
                "type": "string",
                "minLength": 1,
                "maxLength": 255,
                "description": "Your run id (at most 255 bytes); one run_start per sdk_run_id per workspace.",
            },
            "payload": {
                "type": "object",
                "description": (
                    "Stored as the event payload. Read by the server: run_start input (object: the run's input); "
                    "run_end output, prompt_tokens, completion_tokens, total_tokens (non-negative integers; total "
                    "defaults to prompt + completion), cost_usd (non-negative number), model (string); error "
                    "error_message (string). Use {} when the event carries nothing."
                ),
            },
            "agent_name": {
                "type": "string",
                "minLength": 1,
                "description": (
                    "Read on run_start only. Workspace key: required; the agent with slug = slugified name is used, "
                    "registered as an external agent when missing. Agent key: optional; must be the key's agent "
                    "(its name, or a name that slugifies to its slug), else 403."
                ),
            },
            "occurred_at": {"allOf": [REF("TimeInput")], "description": "Defaults to the time the server stores the event."},
        },
    },
    "LegacyIngestResponse": {
        "type": "object",
        "description": "Not enveloped (the seed's shape). Errors still use ErrorEnvelope.",
        "additionalProperties": False,
        "required": ["status", "event_id"],
        "properties": {
            "status": {"const": "ok"},
            "event_id": {"type": "integer", "minimum": 1, "description": "Global id of the stored event."},
            "budget_warning": {
                "type": "string",
                "description": "Only when the run's agent has spent more than its monthly budget this calendar month (UTC).",
            },
        },
        "example": {"status": "ok", "event_id": 42, "budget_warning": "Agent 'my-agent' has exceeded its budget of $10.00"},
    },
    "AgentDefinition": {
        "type": "object",
        "description": (
            "An agent definition, the same document as a YAML file of `agentos serve --agents DIR` (docs/agents.md is "
            "the reference). This schema is a summary of the top level: the server's loader decides, and also checks "
            "what a schema cannot (templates, tool and node references, the graph, cron expressions, time zones). "
            "Unknown keys are errors at every level. Numbers and booleans must be JSON numbers and booleans (a quoted "
            "\"0.5\" is text); text fields also accept a number or boolean, taken as its text."
        ),
        "required": ["slug"],
        "additionalProperties": False,
        "properties": {
            "slug": {
                "type": "string",
                "pattern": "^[a-z0-9][a-z0-9-]{0,63}$",
                "description": "Unique among the workspace's agents that are not deleted; cannot change on PUT.",
            },
            "name": {"type": "string", "description": "Display name; default: the slug."},
            "description": {"type": "string", "default": ""},
            "runtime": {
                "type": "string",
                "enum": ["hosted", "external"],
                "default": "hosted",
                "description": "external: only slug, name, description, runtime and budget may be given.",
            },
            "model": {
                "type": "object",
                "description": "Required for a hosted agent.",
                "additionalProperties": False,
                "required": ["provider"],
                "properties": {
                    "provider": {"type": "string", "enum": ["openai", "anthropic", "openai_compatible", "mock"]},
                    "name": {"type": "string", "description": "Required unless provider is mock (default: mock)."},
                    "base_url": {
                        "type": "string",
                        "pattern": "^https?://",
                        "description": "Required for openai_compatible.",
                    },
                    "api_key_env": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                    "temperature": {"type": "number", "minimum": 0, "maximum": 2},
                    "top_p": {"type": "number", "minimum": 0, "maximum": 1},
                    "max_tokens": {"type": "integer", "minimum": 1, "maximum": 1000000},
                    "stop": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                    "timeout_s": {"type": "number", "minimum": 0.001, "maximum": 3600, "default": 60},
                    "script": {
                        "type": "array",
                        "description": "mock only: replies in order, each {text} or {tool_call: {name, args?}}.",
                        "items": {"type": "object"},
                    },
                },
            },
            "instructions": {"type": "string", "description": "The system prompt; a template."},
            "variables": {
                "type": "object",
                "description": "Prompt variable names ([A-Za-z_][A-Za-z0-9_]*) to {required?, default?, description?} or null.",
                "additionalProperties": {
                    "type": ["object", "null"],
                    "additionalProperties": False,
                    "properties": {
                        "required": {"type": "boolean", "default": False},
                        "default": {"type": "string"},
                        "description": {"type": "string"},
                    },
                },
            },
            "tools": {
                "type": "array",
                "description": (
                    "Each item is a built-in {use, agents?, description?} or an http or webhook tool {name, "
                    "description?, parameters?, http | webhook, requires_approval?, approval?}."
                ),
                "items": {"type": "object"},
            },
            "memory": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "history_messages": {"type": "integer", "minimum": 0, "maximum": 10000, "default": 20},
                    "user_memories": {
                        "type": "boolean",
                        "default": False,
                        "description": (
                            "Runs in a session with an external_user_id get that user's newest memories (up to 50) "
                            "in the system prompt and a built-in remember tool {memory, topics?}."
                        ),
                    },
                },
            },
            "output_schema": {"type": "object", "description": "A JSON Schema whose type is object."},
            "budget": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "max_steps": {"type": "integer", "minimum": 1, "maximum": 100000},
                    "max_cost_usd": {"type": "number", "minimum": 0, "maximum": 1e9},
                    "monthly_cost_usd": {
                        "type": "number",
                        "minimum": 0,
                        "maximum": 1e12,
                        "description": "Becomes the agent's monthly_budget_usd.",
                    },
                },
            },
            "schedules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["cron"],
                    "properties": {
                        "cron": {"type": "string", "description": "5 fields, 6 with leading seconds, or an @alias."},
                        "timezone": {"type": "string", "default": "UTC", "description": "An IANA name."},
                        "input": {"type": "object", "default": {}},
                        "prompt_variables": {"type": "object", "additionalProperties": {"type": "string"}},
                        "enabled": {"type": "boolean", "default": True},
                        "catch_up_s": {"type": "integer", "minimum": 0, "maximum": 31536000, "default": 300},
                        "overlap": {"type": "string", "enum": ["skip", "allow"], "default": "skip"},
                    },
                },
            },
            "graph": {
                "type": "object",
                "additionalProperties": False,
                "required": ["start", "nodes"],
                "properties": {
                    "start": {"type": "string"},
                    "nodes": {
                        "type": "object",
                        "minProperties": 1,
                        "description": "Node names to nodes {type: llm | tool | approval | input | agent | router, ...}.",
                    },
                    "edges": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2},
                    },
                    "output": {"type": "object", "description": "The run's output; a JSON template."},
                },
            },
        },
        "example": DEFINITION_EXAMPLE,
    },
}


def err_response(description, extra_headers=None, rate=True, example=None):
    headers = dict(RATE_HEADERS if rate else ID_HEADER)
    if extra_headers:
        headers.update(extra_headers)
    content = {"schema": REF("ErrorEnvelope")}
    if example:
        content["example"] = example
    return {"description": description, "headers": headers, "content": {"application/json": content}}


def ex(code, message, field=None):
    e = {"code": code, "message": message}
    if field:
        e["details"] = {"field": field}
    return {"data": None, "error": e}


responses = {
    "BadRequest": err_response(
        "VALIDATION_ERROR: malformed body (not JSON, not an object, invalid UTF-8, nested deeper than 64), a missing, "
        "mistyped or unknown field, an unknown, repeated, empty or invalid query parameter, a path id that is not a "
        "UUID, or a malformed HTTP request.",
        example=ex("VALIDATION_ERROR", "events[0].level: must be one of debug, info, warn, error (got \"fatal\")", "events[0].level"),
    ),
    "BadDefinition": err_response(
        "VALIDATION_ERROR: the agent definition has problems. message is the first one, \"body:LINE:COLUMN: "
        "field.path: problem\" (\"body: problem\" when it has no place), followed by \" (and N more)\" when there are "
        "others; details.errors lists every one ({line, column, field, message}) in document order. Also 400, "
        "with details {\"field\": ...}: an unknown query parameter, and on PUT a slug other than the agent's.",
        example=DEFINITION_ERROR_EXAMPLE,
    ),
    "Unauthenticated": err_response(
        "UNAUTHENTICATED: missing, malformed (bad checksum), unknown or revoked key. No rate-limit headers.",
        rate=False,
        example=ex("UNAUTHENTICATED", "Invalid or revoked key."),
    ),
    "Forbidden": err_response(
        "FORBIDDEN: an agent key used on another agent's run, agent, approval or input request, on a route that "
        "changes agents (those need a workspace key), or on a memory that another agent (or a workspace key) stored.",
        example=ex("FORBIDDEN", "this agent key belongs to another agent"),
    ),
    "NotFound": err_response(
        "NOT_FOUND: no such run, agent (deleted agents included), agent version, approval, input request or memory "
        "in the caller's workspace.",
        example=ex("NOT_FOUND", "run 01a20bef-5174-7f67-89ff-974de061380d not found"),
    ),
    "Conflict": err_response(
        "CONFLICT: the state does not allow it (the run is already closed, a task id of another run, a finished task "
        "changing status, a second legacy run_start for an sdk_run_id, a new agent whose slug exists, an approval or "
        "input request that is not pending any more or that a concurrent answer won, a cancel of a terminal run).",
        example=ex("CONFLICT", "run 01a20bef-330d-7b45-946c-3b87f79b4cbe is already completed: a run closes exactly once"),
    ),
    "PayloadTooLarge": err_response(
        "PAYLOAD_TOO_LARGE: body over the limit (default 1 MiB, --max-body-bytes). Sent by the HTTP layer before "
        "routing and authentication, without rate-limit headers; the connection is closed.",
        rate=False,
        example=ex("PAYLOAD_TOO_LARGE", "body is over the limit of 1048576 bytes"),
    ),
    "RateLimited": err_response(
        "RATE_LIMITED: over the per-key rate (default 200 requests/minute). Retry-After says when to retry.",
        extra_headers={"Retry-After": HDR("Retry-After")},
        example=ex("RATE_LIMITED", "over 200 requests per minute for this key; retry in 1 s"),
    ),
    "Internal": err_response(
        "INTERNAL: a bug; the message quotes the request id.",
        rate=False,
        example=ex("INTERNAL", "internal error; quote request id 01a20bef-8e68-7334-b731-46a415e2fc98"),
    ),
    "Unavailable": err_response(
        "UNAVAILABLE: the database is unreachable or the server is shutting down; safe to retry.",
        rate=False,
        example=ex("UNAVAILABLE", "the database is unavailable; retry later"),
    ),
    "HeadersTooLarge": err_response(
        "HEADERS_TOO_LARGE (431): request headers over 16 KiB. Sent by the HTTP layer on any path before routing; "
        "the connection is closed.",
        rate=False,
        example=ex("HEADERS_TOO_LARGE", "request headers are larger than 16384 bytes"),
    ),
    "RequestTimeout": err_response(
        "REQUEST_TIMEOUT (408): the request headers did not arrive within 10 s of its first byte, or the body within "
        "30 s. Sent by the HTTP layer on any path; the connection is closed.",
        rate=False,
        example=ex("REQUEST_TIMEOUT", "the request headers did not arrive in time"),
    ),
    "MethodNotAllowed": err_response(
        "METHOD_NOT_ALLOWED (405): the path exists but not with this method; the Allow header lists the methods.",
        extra_headers={"Allow": HDR("Allow")},
        rate=False,
        example=ex("METHOD_NOT_ALLOWED", "DELETE is not allowed on /api/v1/runs (allowed: GET)"),
    ),
}

headers = {
    "X-Request-Id": {
        "description": "On every response. The incoming X-Request-Id when it is 1-128 characters of [A-Za-z0-9._:-], else a new UUID.",
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {
        "description": "Requests per minute allowed for this key (per server process). Absent when rate limiting is off.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests this key may still send right now.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Reset": {
        "description": "Seconds until the key's allowance is full again (not a timestamp).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Retry-After": {
        "description": "On 429: seconds until one more request is allowed.",
        "schema": {"type": "integer", "minimum": 1},
    },
    "Allow": {"description": "On 405: the methods the path accepts.", "schema": {"type": "string"}},
}

parameters = {
    "RunIdPath": {
        "name": "runId",
        "in": "path",
        "required": True,
        "description": "The run's UUID (not a UUID: 400).",
        "schema": REF("Uuid"),
    },
    "ApprovalIdPath": {
        "name": "approvalId",
        "in": "path",
        "required": True,
        "description": "The approval's UUID (not a UUID: 400).",
        "schema": REF("Uuid"),
    },
    "RequestIdPath": {
        "name": "requestId",
        "in": "path",
        "required": True,
        "description": "The input request's UUID (not a UUID: 400).",
        "schema": REF("Uuid"),
    },
    "AgentIdPath": {
        "name": "agentId",
        "in": "path",
        "required": True,
        "description": "The agent's UUID or slug.",
        "schema": {"type": "string", "minLength": 1},
    },
    "VersionPath": {
        "name": "version",
        "in": "path",
        "required": True,
        "description": "A version number, 1 or more, at most 9 digits (anything else: 400).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 999999999},
    },
    "Limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Page size.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
    "IdCursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "next_cursor of the previous page: items with a smaller id (older) follow.",
        "schema": REF("Uuid"),
    },
}

# ---------------------------------------------------------------- paths
paths = {}

paths["/health"] = {
    "get": {
        "operationId": "getHealth",
        "summary": "Liveness and database reachability",
        "description": "No key needed, not rate-limited. Query parameters are ignored.",
        "tags": ["service"],
        "security": [],
        "responses": {
            "200": ok("HealthEnvelope", "The server is up and the database answers.", authenticated=False,
                      example={"data": {"status": "ok", "database": "ok"}, "error": None}),
            "503": RESP("Unavailable"),
        },
    }
}

paths["/openapi.json"] = {
    "get": {
        "operationId": "getOpenApi",
        "summary": "This OpenAPI document",
        "description": "No key needed, not rate-limited. Not enveloped.",
        "tags": ["service"],
        "security": [],
        "responses": {
            "200": {
                "description": "The OpenAPI 3.1 document.",
                "headers": ID_HEADER,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    }
}

paths["/metrics"] = {
    "get": {
        "operationId": "getMetrics",
        "summary": "Prometheus metrics",
        "description": (
            "Prometheus text format 0.0.4, not enveloped. Needs a key (workspace or agent) and counts against its rate "
            "limit. Metrics: agentos_http_requests_total{route,method,status}, "
            "agentos_http_request_duration_seconds{route} (histogram), agentos_db_pool_connections{state}, "
            "agentos_db_pool_waiting."
        ),
        "tags": ["service"],
        "security": BEARER,
        "responses": {
            "200": {
                "description": "The metrics.",
                "headers": RATE_HEADERS,
                "content": {
                    "text/plain; version=0.0.4; charset=utf-8": {
                        "schema": {"type": "string"},
                        "example": "# HELP agentos_db_pool_waiting Transactions waiting for a database connection.\n# TYPE agentos_db_pool_waiting gauge\nagentos_db_pool_waiting 0\n",
                    }
                },
            },
            **errors(401, 429, 503),
        },
    }
}

paths["/api/ingest/v1/run/start"] = {
    "post": {
        "operationId": "ingestStartRun",
        "summary": "Open an ingested run",
        "description": (
            "Creates a run with status running (source ingest) and records its first event, run_start, with payload "
            "{input, trigger_type, external_run_id?}."
        ),
        "tags": ["ingest"],
        "security": BEARER,
        "requestBody": json_body(
            "RunStartRequest",
            {"agent_id": "research-agent", "trigger_type": "sdk", "input": {"invoiceId": "INV-001"}, "external_run_id": "job_8f2a"},
        ),
        "responses": {
            "201": ok("RunStartedEnvelope", "The run is open.", example={"data": {"run_id": RUN_ID}, "error": None}),
            **errors(400, 401, 403, 404, 413, 429, 500, 503),
        },
    }
}

paths["/api/ingest/v1/events"] = {
    "post": {
        "operationId": "ingestAppendEvents",
        "summary": "Append a batch of events to an open run",
        "description": (
            "Stores the events in the order given, with consecutive server-assigned sequence numbers, all or none. "
            "Events never change the run's status (only run/complete and run/fail close a run). A closed run: 409."
        ),
        "tags": ["ingest"],
        "security": BEARER,
        "requestBody": json_body(
            "EventsRequest",
            {
                "run_id": RUN_ID,
                "events": [
                    {
                        "type": "step.completed",
                        "level": "info",
                        "payload": {"step": "fetch-data", "rows": 42},
                        "occurred_at": "2026-05-11T20:00:00.000Z",
                    }
                ],
            },
        ),
        "responses": {
            "200": ok(
                "EventsAcceptedEnvelope",
                "The events are stored.",
                example={"data": {"run_id": RUN_ID, "accepted": 1, "first_sequence_number": 2, "last_sequence_number": 2}, "error": None},
            ),
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    }
}

paths["/api/ingest/v1/run/complete"] = {
    "post": {
        "operationId": "ingestCompleteRun",
        "summary": "Close a run as completed",
        "description": "Records a run_end event with payload {output} and closes the run (status completed, output stored). A run closes exactly once: 409 when it is already closed.",
        "tags": ["ingest"],
        "security": BEARER,
        "requestBody": json_body("RunCompleteRequest", {"run_id": RUN_ID, "output": {"total": 1234.5}}),
        "responses": {
            "200": ok("RunEnvelope", "The closed run.", example={"data": RUN_EXAMPLE, "error": None}),
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    }
}

paths["/api/ingest/v1/run/fail"] = {
    "post": {
        "operationId": "ingestFailRun",
        "summary": "Close a run as failed",
        "description": (
            "Records an error event (level error) with payload {error_type: \"RunFailed\", error_message, "
            "error_detail?} and closes the run (status failed, error_message and error_detail stored). 409 when the "
            "run is already closed."
        ),
        "tags": ["ingest"],
        "security": BEARER,
        "requestBody": json_body("RunFailRequest", {"run_id": RUN_ID, "error_message": "Something went wrong", "error_detail": {"step": "fetch"}}),
        "responses": {
            "200": ok("RunEnvelope", "The closed run."),
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    }
}

paths["/api/ingest/v1/tasks"] = {
    "post": {
        "operationId": "ingestUpsertTask",
        "summary": "Create or update a task of an open run",
        "description": (
            "Upsert by task id. An update sets name and status, and input/output when given. 409 when the run is "
            "closed, when the id belongs to a task of another run, or when the task already has a final status "
            "(completed, failed, skipped) and a different status is sent (sending the same final status again is "
            "accepted)."
        ),
        "tags": ["ingest"],
        "security": BEARER,
        "requestBody": json_body(
            "TaskUpsertRequest",
            {"run_id": RUN_ID, "task": {"id": TASK_ID, "name": "parse-pdf", "status": "running", "input": {"file": "report.pdf"}}},
        ),
        "responses": {
            "200": ok("TaskEnvelope", "The task as stored.", example={"data": TASK_EXAMPLE, "error": None}),
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    }
}

paths["/api/ingest"] = {
    "post": {
        "operationId": "ingestLegacyEvent",
        "summary": "Legacy single-event ingest",
        "description": (
            "One event per request; runs are keyed by your sdk_run_id (legacy runs only). run_start creates the run "
            "(status running); any other type needs an open run with that sdk_run_id (unknown: 404, closed: 409). "
            "Status effects: run_end closes it as completed (output = payload.output, tokens, cost and model added "
            "to the run, cost added to the agent's month); error closes it as failed (error_message = "
            "payload.error_message, error_detail = payload); human_input_requested sets awaiting_input; "
            "human_input_received sets running; step and tool_call change nothing. error events are stored with "
            "level error, all others info. The success body is NOT enveloped; errors are."
        ),
        "tags": ["legacy-ingest"],
        "security": BEARER,
        "requestBody": json_body(
            "LegacyIngestRequest",
            {
                "event_type": "run_start",
                "sdk_run_id": "run_a1b2c3",
                "agent_name": "research-agent",
                "payload": {"framework": "langgraph", "input": {"query": "What is the weather in Zurich?"}},
            },
        ),
        "responses": {
            "200": {
                "description": "The event is stored.",
                "headers": RATE_HEADERS,
                "content": {"application/json": {"schema": REF("LegacyIngestResponse")}},
            },
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    }
}

paths["/api/v1/runs"] = {
    "get": {
        "operationId": "listRuns",
        "summary": "List runs, newest first",
        "description": "An agent key sees only its own agent's runs (agent_id naming another agent: 403).",
        "tags": ["runs"],
        "security": BEARER,
        "parameters": [
            {
                "name": "agent_id",
                "in": "query",
                "required": False,
                "description": "Agent UUID or slug; unknown in the workspace: 404.",
                "schema": {"type": "string", "minLength": 1},
            },
            {"name": "status", "in": "query", "required": False, "schema": REF("RunStatus")},
            {"name": "session_id", "in": "query", "required": False, "schema": REF("Uuid")},
            {"name": "parent_run_id", "in": "query", "required": False, "schema": REF("Uuid")},
            {"name": "trigger_type", "in": "query", "required": False, "schema": REF("TriggerType")},
            {"name": "schedule_id", "in": "query", "required": False, "schema": REF("Uuid")},
            PARAM("IdCursor"),
            PARAM("Limit"),
        ],
        "responses": {
            "200": ok("RunPageEnvelope", "A page of runs."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}

paths["/api/v1/runs/{runId}"] = {
    "get": {
        "operationId": "getRun",
        "summary": "One run with its tasks and child runs",
        "description": "No query parameters. Another workspace's run: 404; another agent's run with an agent key: 403.",
        "tags": ["runs"],
        "security": BEARER,
        "parameters": [PARAM("RunIdPath")],
        "responses": {
            "200": ok("RunDetailEnvelope", "The run."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}

paths["/api/v1/runs/{runId}/events"] = {
    "get": {
        "operationId": "listRunEvents",
        "summary": "The run's stored timeline, in sequence order",
        "description": "Events with sequence_number greater than after (or cursor; giving both is 400).",
        "tags": ["runs"],
        "security": BEARER,
        "parameters": [
            PARAM("RunIdPath"),
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "Return events with sequence_number > after.",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ, "default": 0},
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Same as after; pass the previous page's next_cursor.",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SEQ},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
            },
        ],
        "responses": {
            "200": ok("EventPageEnvelope", "A page of events.",
                      example={"data": {"items": [EVENT_EXAMPLE], "next_cursor": None}, "error": None}),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}

paths["/api/v1/agents"] = {
    "get": {
        "operationId": "listAgents",
        "summary": "List agents, newest first",
        "description": (
            "Deleted agents are not listed. An agent key sees only its own agent (one item on the first page; any "
            "cursor gives an empty page)."
        ),
        "tags": ["agents"],
        "security": BEARER,
        "parameters": [PARAM("IdCursor"), PARAM("Limit")],
        "responses": {
            "200": ok("AgentPageEnvelope", "A page of agents.",
                      example={"data": {"items": [AGENT_EXAMPLE], "next_cursor": None}, "error": None}),
            **errors(400, 401, 429, 500, 503),
        },
    },
    "post": {
        "operationId": "createAgent",
        "summary": "Create an agent from a definition (YAML or JSON)",
        "description": (
            "Checks the definition and stores it as version 1 of a new agent (source api, status active). "
            "Workspace key only (an agent key: 403). A slug that an agent of the workspace already has: 409 (PUT to "
            "change that agent); the slug of a deleted agent is free. No query parameters."
        ),
        "tags": ["agents"],
        "security": BEARER,
        "requestBody": definition_body(DEFINITION_YAML, DEFINITION_EXAMPLE),
        "responses": {
            "201": ok("SavedAgentEnvelope", "The new agent; new_version is always true.",
                      example={"data": {**HOSTED_AGENT_EXAMPLE, "new_version": True}, "error": None}),
            **errors(400, 401, 403, 409, 413, 429, 500, 503),
            "400": RESP("BadDefinition"),
        },
    },
}

paths["/api/v1/agents/{agentId}"] = {
    "get": {
        "operationId": "getAgent",
        "summary": "One agent with its current definition, by UUID or slug",
        "description": (
            "No query parameters. Unknown or deleted in the workspace: 404; another agent with an agent key: 403. "
            "definition is the current version's definition, null for an agent registered by ingest."
        ),
        "tags": ["agents"],
        "security": BEARER,
        "parameters": [PARAM("AgentIdPath")],
        "responses": {
            "200": ok("AgentDetailEnvelope", "The agent.",
                      example={"data": {**HOSTED_AGENT_EXAMPLE, "definition": DEFINITION_EXAMPLE}, "error": None}),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    },
    "put": {
        "operationId": "updateAgent",
        "summary": "Update an agent's definition (a new version when the text changed)",
        "description": (
            "Checks the definition, then compares its text byte for byte with the current version's: different, it "
            "becomes a new version (the next number) and the current one; the same, nothing is added "
            "(new_version false). Either way name, description, runtime and monthly_budget_usd follow the "
            "definition and source becomes api. The definition's slug must be the agent's (else 400). An agent "
            "registered by ingest gets its first version this way. Workspace key only (an agent key: 403). The "
            "definition is checked before the agent is looked up: a bad one is 400 even for an unknown agent."
        ),
        "tags": ["agents"],
        "security": BEARER,
        "parameters": [PARAM("AgentIdPath")],
        "requestBody": definition_body(DEFINITION_YAML, DEFINITION_EXAMPLE),
        "responses": {
            "200": ok("SavedAgentEnvelope", "The agent after the update.",
                      example={"data": {**HOSTED_AGENT_EXAMPLE, "current_version": 2, "new_version": True}, "error": None}),
            **errors(400, 401, 403, 404, 413, 429, 500, 503),
            "400": RESP("BadDefinition"),
        },
    },
    "delete": {
        "operationId": "deleteAgent",
        "summary": "Delete an agent (soft)",
        "description": (
            "The agent disappears from the agent routes (404 from then on, by id or slug) and its slug is free for a "
            "new agent; its runs, events and versions stay on record and stay readable through the run routes. "
            "Workspace key only (an agent key: 403). No query parameters."
        ),
        "tags": ["agents"],
        "security": BEARER,
        "parameters": [PARAM("AgentIdPath")],
        "responses": {
            "200": ok("DeletedEnvelope", "Deleted.", example={"data": {"deleted": True}, "error": None}),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    },
}

paths["/api/v1/agents/{agentId}/versions"] = {
    "get": {
        "operationId": "listAgentVersions",
        "summary": "Every version of an agent's definition, newest first",
        "description": (
            "All versions in one page (next_cursor is always null); an agent registered by ingest and never defined "
            "has none. No query parameters. An agent key may read its own agent's versions (another agent: 403)."
        ),
        "tags": ["agents"],
        "security": BEARER,
        "parameters": [PARAM("AgentIdPath")],
        "responses": {
            "200": ok("AgentVersionListEnvelope", "The versions.",
                      example={"data": {"items": [VERSION_EXAMPLE], "next_cursor": None}, "error": None}),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}

paths["/api/v1/agents/{agentId}/versions/{version}/publish"] = {
    "post": {
        "operationId": "publishAgentVersion",
        "summary": "Make a version current (rollback)",
        "description": (
            "Makes an existing version the agent's current_version; name, description, runtime and "
            "monthly_budget_usd follow that version's definition. No version is added, and source is kept. A "
            "version that is not a number of 1 to 9 digits: 400; no such version: 404. Workspace key only (an agent "
            "key: 403). No body is read; no query parameters."
        ),
        "tags": ["agents"],
        "security": BEARER,
        "parameters": [PARAM("AgentIdPath"), PARAM("VersionPath")],
        "responses": {
            "200": ok("AgentEnvelope", "The agent with its new current_version.",
                      example={"data": HOSTED_AGENT_EXAMPLE, "error": None}),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}


def status_route(operation_id, summary, status):
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "description": (
                f"Sets the agent's status to {status} (already {status}: unchanged but for updated_at). Workspace key "
                "only (an agent key: 403). No body is read; no query parameters. Ingest is not affected by the status."
            ),
            "tags": ["agents"],
            "security": BEARER,
            "parameters": [PARAM("AgentIdPath")],
            "responses": {
                "200": ok("AgentEnvelope", f"The agent, with status {status}.",
                          example={"data": {**HOSTED_AGENT_EXAMPLE, "status": status}, "error": None}),
                **errors(400, 401, 403, 404, 429, 500, 503),
            },
        }
    }


paths["/api/v1/agents/{agentId}/pause"] = status_route("pauseAgent", "Pause an agent", "paused")
paths["/api/v1/agents/{agentId}/activate"] = status_route("activateAgent", "Activate a paused agent", "active")


INVOKE_EXAMPLE = {"input": {"message": "What is the weather in Bern?"}, "prompt_variables": {"COMPANY": "Acme"}}
INVOKE_RESULT_EXAMPLE = {
    "run_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "status": "completed",
    "output": {"content": "It is 7 degrees and cloudy in Bern."},
    "session_id": None,
}

schemas.update({
    "InvokeRequest": {
        "type": "object",
        "additionalProperties": False,
        "description": (
            "Every field is optional; an empty body is {}. Unknown fields: 400. session_id / start_session make the "
            "run a turn of a server-managed session (see /api/v1/sessions); history excludes them."
        ),
        "properties": {
            "input": {"type": "object", "description": "The run's input; graph templates read it as {{input.x}}."},
            "prompt_variables": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Values of the agent's declared {{KEY}} variables; undeclared or missing required: 400.",
            },
            "history": {
                "type": "array",
                "maxItems": 1000,
                "description": "Client-managed prior turns, put before the user message. Excludes session_id.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["role", "content"],
                    "properties": {
                        "role": {"type": "string", "enum": ["user", "assistant"]},
                        "content": {"type": "string"},
                    },
                },
            },
            "parent_run_id": {"allOf": [REF("Uuid")], "description": "Links the run to a run of this workspace."},
            "background": {"type": "boolean", "default": False, "description": "Answer 202 queued at once."},
            "stream": {"type": "boolean", "default": False,
                       "description": "Answer with the run's SSE stream (see GET /api/v1/runs/{runId}/stream)."},
            "stream_children": {"type": "boolean", "default": False,
                                "description": "With stream: the child runs' frames too (child_run, child_chunk, "
                                "child_step, child_tool, child_event, child_done, child_error; no ids)."},
            "session_id": {"allOf": [REF("Uuid")], "description": (
                "Continue this session (of this agent): the model gets its last memory.history_messages messages. "
                "Unknown or another workspace's: 404; another agent's: 400.")},
            "start_session": {"type": "boolean", "default": False,
                              "description": "Open a session; its id comes back as session_id. Excludes session_id."},
            "external_user_id": {"type": "string", "minLength": 1, "maxLength": 200,
                                 "description": "The session's end user; only with session_id or start_session."},
            "multitask_strategy": {"type": "string", "enum": ["reject", "enqueue"], "default": "reject",
                                   "description": (
                                       "A session runs one turn at a time. reject: a busy session answers 409 with "
                                       "Retry-After; enqueue: 202 queued, started when the session is free. Only "
                                       "with a session.")},
        },
    },
    "InvokeResult": {
        "type": "object",
        "description": (
            "How a run that was started (invoke) or resumed (resolve, respond) answers: 200 completed, failed or "
            "cancelled; 202 queued, awaiting_approval (with awaiting_approval) or awaiting_input (with awaiting_input)."
        ),
        "required": ["run_id", "status", "output", "session_id"],
        "properties": {
            "run_id": REF("Uuid"),
            "status": {
                "type": "string",
                "enum": ["completed", "failed", "cancelled", "queued", "awaiting_approval", "awaiting_input"],
            },
            "output": {
                "description": "{content} for text answers, the parsed object for output_schema agents, the "
                "graph's output mapping for graphs; null unless completed.",
            },
            "session_id": {"type": ["string", "null"]},
            "awaiting_approval": {
                "type": "object",
                "description": "Only with status awaiting_approval: the approval the run waits on (resolve it).",
                "required": ["approval_id"],
                "properties": {
                    "approval_id": REF("Uuid"),
                    "tool_name": {"type": "string", "description": "For a tool approval."},
                    "message": {"type": "string"},
                },
            },
            "awaiting_input": {
                "type": "object",
                "description": "Only with status awaiting_input: the input request the run waits on (respond to it).",
                "required": ["request_id", "question"],
                "properties": {
                    "request_id": REF("Uuid"),
                    "question": {"type": "string"},
                    "options": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "When given, the response must be one of them.",
                    },
                },
            },
            "error_type": {
                "type": ["string", "null"],
                "description": "When failed, e.g. ProviderError, BudgetExceeded, ApprovalRejected, InputTimeout.",
            },
            "error_message": {
                "type": ["string", "null"],
                "description": "When failed or cancelled (\"the run was cancelled\").",
            },
        },
    },
    "RunTreeNode": {
        "description": "A run with its child runs, nested.",
        "allOf": [
            REF("Run"),
            {
                "type": "object",
                "required": ["children"],
                "properties": {"children": {"type": "array", "items": REF("RunTreeNode")}},
            },
        ],
    },
    "RunTree": {
        "type": "object",
        "required": ["run", "totals"],
        "properties": {
            "run": REF("RunTreeNode"),
            "totals": {
                "type": "object",
                "description": "Usage of the whole tree; child runs of agent nodes and call_agent are already "
                "counted in their parent, so they are not added twice.",
                "required": ["runs", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd"],
                "properties": {
                    "runs": {"type": "integer", "minimum": 1},
                    "prompt_tokens": {"type": "integer", "minimum": 0},
                    "completion_tokens": {"type": "integer", "minimum": 0},
                    "total_tokens": {"type": "integer", "minimum": 0},
                    "cost_usd": {"type": "number", "minimum": 0},
                },
            },
        },
    },
    "InvokeResultEnvelope": envelope(REF("InvokeResult")),
    "RunTreeEnvelope": envelope(REF("RunTree")),
})

SSE_DESCRIPTION = (
    "text/event-stream. Frames `id: <id>\nevent: <name>\ndata: <json>`: run, chunk ({delta}, id N.K = the K-th "
    "token chunk after stored event N), step, tool, event (any other stored event), then exactly one terminal frame: "
    "done, awaiting_approval, awaiting_input or error ({code, message}). `: ping` every 15 s. Reconnect with "
    "Last-Event-ID (or ?after=) set to the last id received: the rest comes once, with no gap."
)

def sse_ok(description):
    return {"description": description, "content": {"text/event-stream": {"schema": {"type": "string"}}}}

paths["/api/v1/runs/{runId}/stream"] = {
    "get": {
        "operationId": "streamRun",
        "summary": "Follow a run live (SSE), from its start or after an id",
        "description": SSE_DESCRIPTION + " Ends when the run ends or pauses. Another workspace's run: 404; an id "
        "past the run's end or not of the form N / N.K: 400; more than streams.max_per_key streams of this key: 429.",
        "tags": ["runs"],
        "security": BEARER,
        "parameters": [
            PARAM("RunIdPath"),
            {"name": "after", "in": "query", "required": False,
             "description": "Resume after this id (N or N.K); instead of the Last-Event-ID header.",
             "schema": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"}},
            {"name": "Last-Event-ID", "in": "header", "required": False,
             "description": "What an EventSource sends on reconnect: the last id it received.",
             "schema": {"type": "string"}},
        ],
        "responses": {
            "200": sse_ok("The run's frames."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}

FEED_PARAMS = [
    {"name": "agent_id", "in": "query", "required": False, "description": "Only this agent's runs (id or slug).",
     "schema": {"type": "string"}},
    {"name": "run_id", "in": "query", "required": False, "description": "Only this run.",
     "schema": {"type": "string", "format": "uuid"}},
]

paths["/api/v1/events/stream"] = {
    "get": {
        "operationId": "streamWorkspaceEvents",
        "summary": "Every stored event of the workspace's runs, live (SSE)",
        "description": "Each frame: id <run_id>:<sequence_number>, event <event type>, data {run_id, agent_id, "
        "sequence_number, type, level, payload, occurred_at, run_status}. Live only (no replay): read the "
        "past through GET /api/v1/runs. An agent key sees only its agent.",
        "tags": ["runs"],
        "security": BEARER,
        "parameters": FEED_PARAMS,
        "responses": {
            "200": sse_ok("The workspace's events as they are stored."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}

paths["/api/v1/events/ws"] = {
    "get": {
        "operationId": "workspaceEventsWebSocket",
        "summary": "The workspace feed over WebSocket",
        "description": "The same feed as /api/v1/events/stream; each text message is {id, event, data}. A request "
        "without Upgrade: websocket is 400. A browser, which cannot set Authorization on a WebSocket, may offer the "
        "key as a subprotocol: Sec-WebSocket-Protocol: agentos, bearer.<key> (the handshake selects agentos).",
        "tags": ["runs"],
        "security": BEARER,
        "parameters": FEED_PARAMS,
        "responses": {
            "101": {"description": "Switching protocols: the feed follows as WebSocket text messages."},
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}

paths["/api/v1/agents/{agentId}/invoke"] = {
    "post": {
        "operationId": "invokeAgent",
        "summary": "Run a hosted agent",
        "description": (
            "Synchronous by default: the answer waits for the run's end or pause and is 200 with the output, 200 "
            "with status failed (or cancelled) and the run's error, or 202 with status awaiting_approval or "
            "awaiting_input when the run paused (answer it with POST /api/v1/approvals/{approvalId}/resolve or "
            "POST /api/v1/input-requests/{requestId}/respond). background: true answers 202 queued at once; a "
            "worker of any server runs it. stream: true answers with the run's SSE stream (see GET "
            "/api/v1/runs/{runId}/stream). A client that disconnects does not stop the run. A paused or external "
            "agent: 400."
        ),
        "tags": ["agents"],
        "security": BEARER,
        "parameters": [PARAM("AgentIdPath")],
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": REF("InvokeRequest"), "example": INVOKE_EXAMPLE}},
        },
        "responses": {
            "200": ok("InvokeResultEnvelope", "The run ended (completed, failed or cancelled).",
                      example={"data": INVOKE_RESULT_EXAMPLE, "error": None}),
            "202": ok("InvokeResultEnvelope", "Queued (background), or the run paused (awaiting_approval, awaiting_input).",
                      example={"data": {**INVOKE_RESULT_EXAMPLE, "status": "queued", "output": None}, "error": None}),
            **errors(400, 401, 403, 404, 413, 429, 500, 503),
        },
    }
}

paths["/api/v1/runs/{runId}/tree"] = {
    "get": {
        "operationId": "getRunTree",
        "summary": "A run with all its descendants, nested, and the totals of the tree",
        "description": "At most 1,000 runs. No query parameters.",
        "tags": ["runs"],
        "security": BEARER,
        "parameters": [PARAM("RunIdPath")],
        "responses": {
            "200": ok("RunTreeEnvelope", "The tree."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}


# ---------------------------------------------------------------- pauses (approvals, input requests) and cancel
PAUSED_RUN_ID = "01a20d10-5b1f-7c22-8e4a-3f6b7c8d9e0f"
APPROVAL_ID = "01a20d10-6c2e-7a41-9b3d-5e8f0a1b2c3d"
REQUEST_ID = "01a20d11-0a7b-7d3e-8c5f-1a2b3c4d5e6f"
APPROVAL_EXAMPLE = {
    "id": APPROVAL_ID,
    "approval_id": APPROVAL_ID,
    "run_id": PAUSED_RUN_ID,
    "agent_id": HOSTED_AGENT_ID,
    "agent_slug": "research-agent",
    "status": "pending",
    "node_name": None,
    "tool_name": "send_email",
    "tool_call_id": "call_1",
    "arguments": {"subject": "Weekly report", "to": "ops@example.com"},
    "arguments_hash": "1792c06d8283236da214270bce8aa5ca1dd41af9fbf8e6f701d7ffd58b03cc30",
    "message": "Approve the call send_email({\"subject\":\"Weekly report\",\"to\":\"ops@example.com\"})?",
    "decision": None,
    "comment": None,
    "responded_by": None,
    "timeout_at": "2026-11-25T07:10:02.418Z",
    "on_timeout": "reject",
    "created_at": "2026-11-24T07:10:02.418Z",
    "resolved_at": None,
}
INPUT_REQUEST_EXAMPLE = {
    "id": REQUEST_ID,
    "request_id": REQUEST_ID,
    "run_id": PAUSED_RUN_ID,
    "agent_id": HOSTED_AGENT_ID,
    "agent_slug": "research-agent",
    "status": "pending",
    "node_name": "pick_city",
    "tool_call_id": None,
    "question": "Which city?",
    "options": ["Bern", "Zurich"],
    "default": "Bern",
    "response": None,
    "responded_by": None,
    "timeout_at": "2026-11-24T08:10:05.002Z",
    "created_at": "2026-11-24T07:10:05.002Z",
    "resolved_at": None,
}
PAUSED_AGAIN_EXAMPLE = {
    "run_id": PAUSED_RUN_ID,
    "status": "awaiting_input",
    "awaiting_input": {"request_id": REQUEST_ID, "question": "Which city?", "options": ["Bern", "Zurich"]},
    "output": None,
    "session_id": None,
}
CANCELLED_RUN_EXAMPLE = {
    **RUN_EXAMPLE,
    "id": PAUSED_RUN_ID,
    "agent_id": HOSTED_AGENT_ID,
    "agent_version": 1,
    "status": "cancelled",
    "source": "hosted",
    "trigger_type": "manual",
    "external_run_id": None,
    "input": {"message": "Send the weekly report"},
    "output": None,
    "error_message": "the run was cancelled",
    "event_count": 4,
    "created_at": "2026-11-24T07:10:01.903Z",
    "started_at": "2026-11-24T07:10:01.903Z",
    "ended_at": "2026-11-24T07:12:44.120Z",
    "updated_at": "2026-11-24T07:12:44.120Z",
    "duration_ms": 162217,
}



def pause_page(item):
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": REF(item)},
            "next_cursor": {
                "type": ["string", "null"],
                "format": "uuid",
                "description": "The last item's id when the page is full (pass it as cursor); null when the page is not full.",
            },
        },
    }


schemas.update({
    "ApprovalStatus": {
        "type": "string",
        "enum": ["pending", "approved", "rejected", "expired", "cancelled"],
        "description": (
            "pending until answered; approved / rejected by resolve; expired when its deadline decided (decision "
            "says how); cancelled with its run. Only a pending approval takes an answer."
        ),
    },
    "InputRequestStatus": {
        "type": "string",
        "enum": ["pending", "answered", "expired", "cancelled"],
        "description": (
            "pending until answered; answered by respond; expired when its deadline answered (with the default); "
            "cancelled with its run. Only a pending request takes an answer."
        ),
    },
    "Approval": {
        "type": "object",
        "description": "A pause of a hosted run for a decision: a tool with requires_approval, or an approval node.",
        "required": list(APPROVAL_EXAMPLE.keys()),
        "properties": {
            "id": REF("Uuid"),
            "approval_id": {"allOf": [REF("Uuid")], "description": "The same as id."},
            "run_id": REF("Uuid"),
            "agent_id": REF("Uuid"),
            "agent_slug": {"type": "string"},
            "status": REF("ApprovalStatus"),
            "node_name": {"type": ["string", "null"], "description": "The approval node; null for a tool approval."},
            "tool_name": {"type": ["string", "null"], "description": "The tool; null for an approval node."},
            "tool_call_id": {"type": ["string", "null"], "description": "The model's tool call id (tool approvals)."},
            "arguments": {
                "type": ["object", "null"],
                "description": (
                    "The exact arguments the approval is bound to (tool approvals): approving runs exactly these, "
                    "never a later model output."
                ),
            },
            "arguments_hash": {
                "type": ["string", "null"],
                "pattern": "^[0-9a-f]{64}$",
                "description": "Hex SHA-256 of the arguments' JSON.",
            },
            "message": {"type": ["string", "null"], "description": "What the person is asked (the node's rendered message)."},
            "decision": {
                "type": ["string", "null"],
                "enum": ["approve", "reject", None],
                "description": "The decision, by resolve or by a deadline (on_timeout); null while pending.",
            },
            "comment": {"type": ["string", "null"]},
            "responded_by": {
                "type": ["string", "null"],
                "description": "As sent on resolve; \"timeout\" when a deadline decided.",
            },
            "timeout_at": {**nullable_timestamp, "description": "The deadline (timeout_s after created_at), or null."},
            "on_timeout": {
                "type": ["string", "null"],
                "enum": ["approve", "reject", None],
                "description": "What the deadline decides; null without a deadline.",
            },
            "created_at": timestamp,
            "resolved_at": nullable_timestamp,
        },
        "example": APPROVAL_EXAMPLE,
    },
    "InputRequest": {
        "type": "object",
        "description": "A pause of a hosted run for a person's answer: an input node, or the ask_human tool.",
        "required": list(INPUT_REQUEST_EXAMPLE.keys()),
        "properties": {
            "id": REF("Uuid"),
            "request_id": {"allOf": [REF("Uuid")], "description": "The same as id."},
            "run_id": REF("Uuid"),
            "agent_id": REF("Uuid"),
            "agent_slug": {"type": "string"},
            "status": REF("InputRequestStatus"),
            "node_name": {"type": ["string", "null"], "description": "The input node; null for ask_human."},
            "tool_call_id": {"type": ["string", "null"], "description": "The model's tool call id (ask_human calls)."},
            "question": {"type": ["string", "null"]},
            "options": {
                "type": ["array", "null"],
                "items": {"type": "string"},
                "description": "When given, the response must be one of them.",
            },
            "default": {"description": "Any JSON value, or null: what a deadline answers."},
            "response": {"description": "Any JSON value: the answer; null while pending."},
            "responded_by": {
                "type": ["string", "null"],
                "description": "As sent on respond; \"timeout\" when a deadline answered.",
            },
            "timeout_at": {**nullable_timestamp, "description": "The deadline (timeout_s after created_at), or null."},
            "created_at": timestamp,
            "resolved_at": nullable_timestamp,
        },
        "example": INPUT_REQUEST_EXAMPLE,
    },
    "ApprovalPage": pause_page("Approval"),
    "InputRequestPage": pause_page("InputRequest"),
    "PauseCount": {
        "type": "object",
        "required": ["count", "status"],
        "properties": {
            "count": {"type": "integer", "minimum": 0},
            "status": {"type": ["string", "null"], "description": "The status counted; null when all were."},
        },
    },
    "ResolveRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["decision"],
        "properties": {
            "decision": {"type": "string", "enum": ["approve", "reject"]},
            "comment": {"type": "string", "description": "Recorded; a rejected tool call reports it to the model."},
            "responded_by": {"type": "string", "description": "Who decided; recorded as is."},
            "stream": {
                "type": "boolean",
                "default": False,
                "description": "true is refused with 400 until streaming is served.",
            },
        },
    },
    "RespondRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["response"],
        "properties": {
            "response": {
                "oneOf": [{"type": "string"}, {"type": "object"}],
                "description": "The answer. When the request offered options: one of them (else 400 with details.options).",
            },
            "responded_by": {"type": "string", "description": "Who answered; recorded as is."},
            "stream": {
                "type": "boolean",
                "default": False,
                "description": "true is refused with 400 until streaming is served.",
            },
        },
    },
    "CancelRequest": {
        "type": "object",
        "additionalProperties": False,
        "description": "No fields: an empty body or {}.",
        "properties": {},
    },
    "ApprovalEnvelope": envelope(REF("Approval")),
    "InputRequestEnvelope": envelope(REF("InputRequest")),
    "ApprovalPageEnvelope": envelope(REF("ApprovalPage")),
    "InputRequestPageEnvelope": envelope(REF("InputRequestPage")),
    "PauseCountEnvelope": envelope(REF("PauseCount")),
})

paths["/api/v1/runs/{runId}/cancel"] = {
    "post": {
        "operationId": "cancelRun",
        "summary": "Cancel an open run and its open descendants",
        "description": (
            "Cancels the run, its open descendants (child runs) and their pending approvals and input requests "
            "(they become status cancelled and answer 409 from then on). Each cancelled run gets status cancelled, "
            "error_message \"the run was cancelled\" and an error event (level warn) {error_type: \"Cancelled\", "
            "error_message}. "
            "An execution in progress stops at its next await point on whichever server runs it. The body is empty "
            "or {} (no fields; an unknown one: 400). No query parameters. A run that is already terminal "
            "(completed, failed, cancelled): 409."
        ),
        "tags": ["runs"],
        "security": BEARER,
        "parameters": [PARAM("RunIdPath")],
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": REF("CancelRequest"), "example": {}}},
        },
        "responses": {
            "200": ok("RunEnvelope", "The cancelled run.",
                      example={"data": CANCELLED_RUN_EXAMPLE, "error": None}),
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    }
}


def pause_list(operation_id, noun, item, status_schema):
    return {
        "get": {
            "operationId": operation_id,
            "summary": f"List {noun}s, newest first",
            "description": (
                f"The {noun}s of the workspace's hosted runs. An agent key sees only its own agent's (agent_id naming "
                "another agent: 403)."
            ),
            "tags": ["pauses"],
            "security": BEARER,
            "parameters": [
                {"name": "status", "in": "query", "required": False, "schema": REF(status_schema)},
                {
                    "name": "agent_id",
                    "in": "query",
                    "required": False,
                    "description": "Agent UUID or slug; unknown in the workspace: 404.",
                    "schema": {"type": "string", "minLength": 1},
                },
                {"name": "run_id", "in": "query", "required": False, "schema": REF("Uuid")},
                PARAM("IdCursor"),
                PARAM("Limit"),
            ],
            "responses": {
                "200": ok(f"{item}PageEnvelope", f"A page of {noun}s."),
                **errors(400, 401, 403, 404, 429, 500, 503),
            },
        }
    }


def pause_count(operation_id, noun, status_schema):
    return {
        "get": {
            "operationId": operation_id,
            "summary": f"Count {noun}s",
            "description": (
                f"How many {noun}s have status (all of them when status is absent), of one agent with agent_id. An "
                "agent key counts only its own agent's (agent_id naming another agent: 403)."
            ),
            "tags": ["pauses"],
            "security": BEARER,
            "parameters": [
                {"name": "status", "in": "query", "required": False, "schema": REF(status_schema)},
                {
                    "name": "agent_id",
                    "in": "query",
                    "required": False,
                    "description": "Agent UUID or slug; unknown in the workspace: 404.",
                    "schema": {"type": "string", "minLength": 1},
                },
            ],
            "responses": {
                "200": ok("PauseCountEnvelope", "The count.",
                          example={"data": {"count": 3, "status": "pending"}, "error": None}),
                **errors(400, 401, 403, 404, 429, 500, 503),
            },
        }
    }


def pause_get(operation_id, noun, item, param, example):
    return {
        "get": {
            "operationId": operation_id,
            "summary": f"One {noun}",
            "description": (
                f"No query parameters. Unknown, or another workspace's: 404; another agent's {noun} with an agent "
                "key: 403."
            ),
            "tags": ["pauses"],
            "security": BEARER,
            "parameters": [PARAM(param)],
            "responses": {
                "200": ok(f"{item}Envelope", f"The {noun}.", example={"data": example, "error": None}),
                **errors(400, 401, 403, 404, 429, 500, 503),
            },
        }
    }


paths["/api/v1/approvals"] = pause_list("listApprovals", "approval", "Approval", "ApprovalStatus")
paths["/api/v1/approvals/count"] = pause_count("countApprovals", "approval", "ApprovalStatus")
paths["/api/v1/approvals/{approvalId}"] = pause_get(
    "getApproval", "approval", "Approval", "ApprovalIdPath", APPROVAL_EXAMPLE
)

paths["/api/v1/approvals/{approvalId}/resolve"] = {
    "post": {
        "operationId": "resolveApproval",
        "summary": "Approve or reject a pending approval, and continue its run",
        "description": (
            "Records the decision and continues the run on this server; the answer waits for the run's end or "
            "next pause, exactly as invoke's: 200 completed, 200 failed (or cancelled) with error_type and "
            "error_message, 202 awaiting_approval or awaiting_input when the run paused again. Approving a tool "
            "approval runs exactly the arguments the approval is bound to; rejecting it reports the call to the "
            "model as rejected. Rejecting an approval node takes its on_reject, or fails the run (error_type "
            "ApprovalRejected). Of concurrent answers exactly one wins; the others get 409. An approval that is not "
            "pending any more (approved, rejected, expired, cancelled): 409. stream: true is refused with 400 for "
            "now. No query parameters."
        ),
        "tags": ["pauses"],
        "security": BEARER,
        "parameters": [PARAM("ApprovalIdPath")],
        "requestBody": json_body("ResolveRequest", {"decision": "approve", "comment": "Looks right", "responded_by": "alice"}),
        "responses": {
            "200": ok("InvokeResultEnvelope", "The run ended (completed, failed or cancelled).",
                      example={"data": {**INVOKE_RESULT_EXAMPLE, "run_id": PAUSED_RUN_ID}, "error": None}),
            "202": ok("InvokeResultEnvelope", "The run paused again (awaiting_approval, awaiting_input).",
                      example={"data": PAUSED_AGAIN_EXAMPLE, "error": None}),
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    }
}

paths["/api/v1/input-requests"] = pause_list("listInputRequests", "input request", "InputRequest", "InputRequestStatus")
paths["/api/v1/input-requests/count"] = pause_count("countInputRequests", "input request", "InputRequestStatus")
paths["/api/v1/input-requests/{requestId}"] = pause_get(
    "getInputRequest", "input request", "InputRequest", "RequestIdPath", INPUT_REQUEST_EXAMPLE
)

paths["/api/v1/input-requests/{requestId}/respond"] = {
    "post": {
        "operationId": "respondToInputRequest",
        "summary": "Answer a pending input request, and continue its run",
        "description": (
            "Records the response and continues the run on this server; the answer waits for the run's end or next "
            "pause, exactly as invoke's (see resolve). The response becomes the input node's output or the "
            "ask_human call's result. When the request offered options, the response must be one of them (400 "
            "VALIDATION_ERROR with details.options). Of concurrent answers exactly one wins; the others get 409. A "
            "request that is not pending any more (answered, expired, cancelled): 409. stream: true is refused with "
            "400 for now. No query parameters."
        ),
        "tags": ["pauses"],
        "security": BEARER,
        "parameters": [PARAM("RequestIdPath")],
        "requestBody": json_body("RespondRequest", {"response": "Zurich", "responded_by": "alice"}),
        "responses": {
            "200": ok("InvokeResultEnvelope", "The run ended (completed, failed or cancelled).",
                      example={"data": {**INVOKE_RESULT_EXAMPLE, "run_id": PAUSED_RUN_ID}, "error": None}),
            "202": ok("InvokeResultEnvelope", "The run paused again (awaiting_approval, awaiting_input).",
                      example={"data": PAUSED_AGAIN_EXAMPLE, "error": None}),
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    }
}


# ---------------------------------------------------------------- sessions
SESSION_ID_EXAMPLE = "01934f6e-6f0a-7a1e-9d2c-3b4a5c6d7e80"
SESSION_EXAMPLE = {
    "id": SESSION_ID_EXAMPLE,
    "session_id": SESSION_ID_EXAMPLE,
    "agent_id": "01934f6e-0000-7000-8000-000000000001",
    "agent_slug": "support",
    "external_user_id": "ada",
    "name": None,
    "active_run_id": None,
    "message_count": 2,
    "created_at": "2026-12-01T09:00:00.000Z",
    "updated_at": "2026-12-01T09:00:02.000Z",
}
parameters["SessionIdPath"] = {
    "name": "sessionId", "in": "path", "required": True, "description": "The session's UUID.", "schema": REF("Uuid"),
}
schemas.update({
    "Session": {
        "type": "object",
        "description": (
            "A server-managed conversation with one agent (and optionally one end user). active_run_id is the run "
            "that holds it (queued to start, running or paused): a session runs one turn at a time."
        ),
        "required": ["id", "session_id", "agent_id", "agent_slug", "external_user_id", "name", "active_run_id",
                     "message_count", "created_at", "updated_at"],
        "properties": {
            "id": REF("Uuid"),
            "session_id": REF("Uuid"),
            "agent_id": REF("Uuid"),
            "agent_slug": {"type": "string"},
            "external_user_id": {"type": ["string", "null"]},
            "name": {"type": ["string", "null"]},
            "active_run_id": {"type": ["string", "null"], "format": "uuid"},
            "message_count": {"type": "integer", "minimum": 0, "description": "The last message's seq."},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "SessionMessage": {
        "type": "object",
        "description": (
            "One message of a turn. A completed turn adds its user message, the assistant's tool calls with their "
            "results and the answer; a failed or cancelled turn adds its user message and a marker (role assistant, "
            "content null, status failed or cancelled). Markers are not sent to the model."
        ),
        "required": ["seq", "run_id", "role", "content", "tool_calls", "tool_call_id", "tool_name", "status",
                     "created_at"],
        "properties": {
            "seq": {"type": "integer", "minimum": 1},
            "run_id": REF("Uuid"),
            "role": {"type": "string", "enum": ["user", "assistant", "tool"]},
            "content": {"type": ["string", "null"]},
            "tool_calls": {
                "type": ["array", "null"],
                "items": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                                           "arguments": {"type": "object"}}},
            },
            "tool_call_id": {"type": ["string", "null"]},
            "tool_name": {"type": ["string", "null"]},
            "status": {"type": "string", "enum": ["complete", "failed", "cancelled"]},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "SessionDetail": {
        "allOf": [REF("Session"), {
            "type": "object",
            "required": ["messages"],
            "properties": {"messages": {"type": "array", "items": REF("SessionMessage"),
                                        "description": "The last `messages` messages, oldest first."}},
        }],
    },
    "SessionPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": REF("Session")},
                       "next_cursor": {"type": ["string", "null"]}},
    },
    "NewSession": {
        "type": "object",
        "additionalProperties": False,
        "required": ["agent_id"],
        "properties": {
            "agent_id": {"type": "string", "minLength": 1, "description": "Agent UUID or slug."},
            "external_user_id": {"type": "string", "minLength": 1, "maxLength": 200},
            "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 200},
        },
    },
    "SessionRename": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {"name": {"type": ["string", "null"], "minLength": 1, "maxLength": 200,
                                "description": "null clears it."}},
    },
    "SessionEnvelope": envelope(REF("Session")),
    "SessionDetailEnvelope": envelope(REF("SessionDetail")),
    "SessionPageEnvelope": envelope(REF("SessionPage")),
})
AGENT_REF_QUERY = {
    "name": "agent_id", "in": "query", "required": False,
    "description": "Agent UUID or slug; unknown in the workspace: 404.", "schema": {"type": "string", "minLength": 1},
}
paths["/api/v1/sessions"] = {
    "get": {
        "operationId": "listSessions",
        "summary": "List sessions, newest first",
        "description": "An agent key sees only its own agent's (agent_id naming another agent: 403).",
        "tags": ["sessions"],
        "security": BEARER,
        "parameters": [
            AGENT_REF_QUERY,
            {"name": "external_user_id", "in": "query", "required": False, "schema": {"type": "string"}},
            PARAM("IdCursor"),
            PARAM("Limit"),
        ],
        "responses": {
            "200": ok("SessionPageEnvelope", "A page of sessions."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    },
    "post": {
        "operationId": "createSession",
        "summary": "Open a session",
        "description": (
            "Opens an empty session with an agent; its first turn is an invoke with its session_id. An invoke with "
            "start_session opens one too."
        ),
        "tags": ["sessions"],
        "security": BEARER,
        "requestBody": json_body("NewSession", {"agent_id": "support", "external_user_id": "ada"}),
        "responses": {
            "201": ok("SessionEnvelope", "The session.", example={"data": SESSION_EXAMPLE, "error": None}),
            **errors(400, 401, 403, 404, 413, 429, 500, 503),
        },
    },
}
paths["/api/v1/sessions/{sessionId}"] = {
    "get": {
        "operationId": "getSession",
        "summary": "One session with its messages",
        "tags": ["sessions"],
        "security": BEARER,
        "parameters": [
            PARAM("SessionIdPath"),
            {"name": "messages", "in": "query", "required": False, "description": "How many of the last messages.",
             "schema": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 100}},
        ],
        "responses": {
            "200": ok("SessionDetailEnvelope", "The session."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    },
    "patch": {
        "operationId": "renameSession",
        "summary": "Rename a session",
        "tags": ["sessions"],
        "security": BEARER,
        "parameters": [PARAM("SessionIdPath")],
        "requestBody": json_body("SessionRename", {"name": "Ada's questions"}),
        "responses": {
            "200": ok("SessionEnvelope", "The renamed session."),
            **errors(400, 401, 403, 404, 413, 429, 500, 503),
        },
    },
    "delete": {
        "operationId": "deleteSession",
        "summary": "Delete a session and its messages",
        "description": (
            "Its runs keep existing, with their session_id for the record. A session with a turn in progress, paused "
            "or queued: 409 (cancel the run or let it end first)."
        ),
        "tags": ["sessions"],
        "security": BEARER,
        "parameters": [PARAM("SessionIdPath")],
        "responses": {
            "200": ok("DeletedEnvelope", "Deleted.", example={"data": {"deleted": True}, "error": None}),
            **errors(400, 401, 403, 404, 409, 429, 500, 503),
        },
    },
}
paths["/api/v1/sessions/{sessionId}/runs"] = {
    "get": {
        "operationId": "listSessionRuns",
        "summary": "The runs (turns) of a session, newest first",
        "tags": ["sessions"],
        "security": BEARER,
        "parameters": [PARAM("SessionIdPath"), PARAM("IdCursor"), PARAM("Limit")],
        "responses": {
            "200": ok("RunPageEnvelope", "A page of runs."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}


# ---------------------------------------------------------------- schedules
SCHEDULE_ID = "01a20e40-1c2d-7e3f-8a4b-5c6d7e8f9a0b"
SCHEDULE_EXAMPLE = {
    "id": SCHEDULE_ID,
    "schedule_id": SCHEDULE_ID,
    "agent_id": HOSTED_AGENT_ID,
    "agent_slug": "research-agent",
    "source": "api",
    "yaml_index": None,
    "cron": "0 9 * * 1-5",
    "timezone": "Europe/Zurich",
    "input": {"query": "daily report"},
    "prompt_variables": {"COMPANY": "Acme"},
    "enabled": True,
    "catch_up_s": 300,
    "overlap": "skip",
    "next_fire_at": "2027-03-26T08:00:00.000Z",
    "last_fired_for": None,
    "last_run_id": None,
    "fire_count": 0,
    "skipped_overlap": 0,
    "skipped_missed": 0,
    "created_at": "2027-03-25T17:00:00.000Z",
    "updated_at": "2027-03-25T17:00:00.000Z",
    "next_fire_times": [
        "2027-03-26T08:00:00.000Z",
        "2027-03-29T07:00:00.000Z",
        "2027-03-30T07:00:00.000Z",
        "2027-03-31T07:00:00.000Z",
        "2027-04-01T07:00:00.000Z",
    ],
}
FIRE_EXAMPLE = {
    "scheduled_for": "2027-03-29T07:00:00.000Z",
    "outcome": "fired",
    "run_id": RUN_ID,
    "error": None,
    "server_id": "agentos-1",
    "fired_at": "2027-03-29T07:00:00.012Z",
}
parameters["ScheduleIdPath"] = {
    "name": "scheduleId", "in": "path", "required": True, "description": "The schedule's UUID (not a UUID: 400).",
    "schema": REF("Uuid"),
}
CRON_FIELD = {
    "type": "string", "minLength": 1, "maxLength": 200,
    "description": (
        "5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field; or @hourly, "
        "@daily, @midnight, @weekly, @monthly, @yearly, @annually. Each field: *, a value, a range a-b, a step */n, "
        "a-b/n or a/n, comma lists of those; month names JAN-DEC and weekday names SUN-SAT; weekday 0-7 (0 and 7 "
        "are Sunday). When both day fields are restricted a day matches if either does. A malformed expression, or "
        "one that never fires (0 0 30 2 *): 400 naming cron (and the bad token)."
    ),
}
TIMEZONE_FIELD = {"type": "string", "minLength": 1, "maxLength": 100,
                  "description": "An IANA time zone (Europe/Zurich); unknown: 400.", "default": "UTC"}
INPUT_FIELD = {"type": "object", "description": "The runs' input.", "default": {}}
VARIABLES_FIELD = {
    "type": "object", "additionalProperties": {"type": "string"}, "default": {},
    "description": (
        "The runs' prompt variables. For an active agent they are checked against its definition as an invoke "
        "would be (an undeclared one, or a required one missing: 400)."
    ),
}
ENABLED_FIELD = {"type": "boolean", "default": True}
CATCH_UP_FIELD = {
    "type": "integer", "minimum": 0, "maximum": 31536000, "default": 300,
    "description": (
        "After downtime, the latest missed due time still fires when it is at most max(catch_up_s, 10) seconds "
        "old; older ones are skipped and counted in skipped_missed."
    ),
}
OVERLAP_FIELD = {
    "type": "string", "enum": ["skip", "allow"], "default": "skip",
    "description": (
        "skip: a due time is skipped (recorded as a fire with outcome skipped_overlap) while the previous fired "
        "run is queued, running or paused; allow: it fires anyway."
    ),
}
schemas.update({
    "Schedule": {
        "type": "object",
        "description": (
            "An agent run on a cron expression in a time zone. Every server runs the firing loop; a due time fires "
            "exactly once across servers. Its runs are queued with trigger_type scheduled and schedule_id."
        ),
        "required": [k for k in SCHEDULE_EXAMPLE.keys() if k != "next_fire_times"],
        "properties": {
            "id": REF("Uuid"),
            "schedule_id": REF("Uuid"),
            "agent_id": REF("Uuid"),
            "agent_slug": {"type": "string"},
            "source": {"type": "string", "enum": ["api", "yaml"],
                       "description": "yaml: defined by the agent's definition (schedules[yaml_index])."},
            "yaml_index": {"type": ["integer", "null"], "minimum": 0},
            "cron": {"type": "string"},
            "timezone": {"type": "string"},
            "input": {"type": "object"},
            "prompt_variables": {"type": "object", "additionalProperties": {"type": "string"}},
            "enabled": {"type": "boolean"},
            "catch_up_s": {"type": "integer", "minimum": 0},
            "overlap": {"type": "string", "enum": ["skip", "allow"]},
            "next_fire_at": {**nullable_timestamp, "description": "The next due time; null: the expression fires no more."},
            "last_fired_for": {**nullable_timestamp, "description": "The due time of the last fire (fired or skipped)."},
            "last_run_id": {**nullable_uuid, "description": "The run of the last fired due time (not of manual triggers)."},
            "fire_count": {"type": "integer", "minimum": 0},
            "skipped_overlap": {"type": "integer", "minimum": 0},
            "skipped_missed": {"type": "integer", "minimum": 0},
            "created_at": timestamp,
            "updated_at": timestamp,
        },
    },
    "ScheduleDetail": {
        "allOf": [REF("Schedule"), {
            "type": "object",
            "required": ["next_fire_times"],
            "properties": {"next_fire_times": {
                "type": "array", "maxItems": 5, "items": {"type": "string", "format": "date-time"},
                "description": "The cron's next 5 due times after now, UTC (also while the schedule is disabled).",
            }},
        }],
        "example": SCHEDULE_EXAMPLE,
    },
    "SchedulePage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": REF("Schedule")},
                       "next_cursor": {"type": ["string", "null"]}},
    },
    "NewSchedule": {
        "type": "object",
        "additionalProperties": False,
        "required": ["agent_id", "cron"],
        "properties": {
            "agent_id": {"type": "string", "minLength": 1,
                         "description": "A hosted agent's UUID or slug (unknown: 404; external: 400)."},
            "cron": CRON_FIELD,
            "timezone": TIMEZONE_FIELD,
            "input": INPUT_FIELD,
            "prompt_variables": VARIABLES_FIELD,
            "enabled": ENABLED_FIELD,
            "catch_up_s": CATCH_UP_FIELD,
            "overlap": OVERLAP_FIELD,
        },
    },
    "ScheduleChange": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "description": (
            "The fields to change; the others keep their value. A new cron, timezone or enabled moves next_fire_at "
            "to the first due time after now (nothing missed is caught up). A yaml schedule: only enabled (else 409)."
        ),
        "properties": {
            "cron": CRON_FIELD,
            "timezone": TIMEZONE_FIELD,
            "input": INPUT_FIELD,
            "prompt_variables": VARIABLES_FIELD,
            "enabled": ENABLED_FIELD,
            "catch_up_s": CATCH_UP_FIELD,
            "overlap": OVERLAP_FIELD,
        },
    },
    "ScheduleFire": {
        "type": "object",
        "description": "One due time a server took.",
        "required": list(FIRE_EXAMPLE.keys()),
        "properties": {
            "scheduled_for": timestamp,
            "outcome": {"type": "string", "enum": ["fired", "skipped_overlap", "skipped_paused", "error"]},
            "run_id": {**nullable_uuid, "description": "fired: its run; skipped_overlap: the run still active."},
            "error": {"type": ["string", "null"], "description": "error: why no run was made."},
            "server_id": {"type": "string"},
            "fired_at": timestamp,
        },
        "example": FIRE_EXAMPLE,
    },
    "ScheduleFirePage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": REF("ScheduleFire")},
            "next_cursor": {"type": ["string", "null"],
                            "description": "The last item's scheduled_for when there is a next page; else null."},
        },
    },
    "ScheduleTrigger": {
        "type": "object",
        "required": ["run_id", "schedule_id", "status"],
        "properties": {"run_id": REF("Uuid"), "schedule_id": REF("Uuid"), "status": {"type": "string", "const": "queued"}},
    },
    "ScheduleDetailEnvelope": envelope(REF("ScheduleDetail")),
    "SchedulePageEnvelope": envelope(REF("SchedulePage")),
    "ScheduleFirePageEnvelope": envelope(REF("ScheduleFirePage")),
    "ScheduleTriggerEnvelope": envelope(REF("ScheduleTrigger")),
})
NO_FIELDS_BODY = {
    "required": False,
    "content": {"application/json": {"schema": REF("CancelRequest"), "example": {}}},
}
paths["/api/v1/schedules"] = {
    "get": {
        "operationId": "listSchedules",
        "summary": "List schedules, newest first",
        "description": "An agent key sees only its own agent's (agent_id naming another agent: 403).",
        "tags": ["schedules"],
        "security": BEARER,
        "parameters": [
            AGENT_REF_QUERY,
            {"name": "enabled", "in": "query", "required": False, "schema": {"type": "string", "enum": ["true", "false"]}},
            PARAM("IdCursor"),
            PARAM("Limit"),
        ],
        "responses": {
            "200": ok("SchedulePageEnvelope", "A page of schedules."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    },
    "post": {
        "operationId": "createSchedule",
        "summary": "Create a schedule",
        "description": "An agent key may create schedules for its own agent only. A paused agent may get a schedule.",
        "tags": ["schedules"],
        "security": BEARER,
        "requestBody": json_body("NewSchedule", {
            "agent_id": "research-agent", "cron": "0 9 * * 1-5", "timezone": "Europe/Zurich",
            "input": {"query": "daily report"}, "prompt_variables": {"COMPANY": "Acme"},
        }),
        "responses": {
            "201": ok("ScheduleDetailEnvelope", "The schedule.", example={"data": SCHEDULE_EXAMPLE, "error": None}),
            **errors(400, 401, 403, 404, 413, 429, 500, 503),
        },
    },
}
paths["/api/v1/schedules/{scheduleId}"] = {
    "get": {
        "operationId": "getSchedule",
        "summary": "One schedule with its next 5 due times",
        "tags": ["schedules"],
        "security": BEARER,
        "parameters": [PARAM("ScheduleIdPath")],
        "responses": {
            "200": ok("ScheduleDetailEnvelope", "The schedule.", example={"data": SCHEDULE_EXAMPLE, "error": None}),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    },
    "patch": {
        "operationId": "updateSchedule",
        "summary": "Change a schedule",
        "description": (
            "Any field of the create body but agent_id (400). A schedule with source yaml is defined by its agent's "
            "definition: changing anything but enabled is 409."
        ),
        "tags": ["schedules"],
        "security": BEARER,
        "parameters": [PARAM("ScheduleIdPath")],
        "requestBody": json_body("ScheduleChange", {"cron": "30 8 * * 1-5"}),
        "responses": {
            "200": ok("ScheduleDetailEnvelope", "The changed schedule."),
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    },
    "delete": {
        "operationId": "deleteSchedule",
        "summary": "Delete a schedule",
        "description": (
            "Its runs keep existing, with their schedule_id. A schedule with source yaml: 409 (remove it from the "
            "agent definition, or disable it)."
        ),
        "tags": ["schedules"],
        "security": BEARER,
        "parameters": [PARAM("ScheduleIdPath")],
        "responses": {
            "200": ok("DeletedEnvelope", "Deleted.", example={"data": {"deleted": True}, "error": None}),
            **errors(400, 401, 403, 404, 409, 429, 500, 503),
        },
    },
}
for action, summary, description in [
    ("enable", "Enable a schedule",
     "Its next_fire_at becomes the first due time after now: what it missed while disabled is not caught up. "
     "Already enabled: the schedule unchanged. Works on yaml schedules too."),
    ("disable", "Disable a schedule", "It fires no more until enabled. Works on yaml schedules too."),
]:
    paths[f"/api/v1/schedules/{{scheduleId}}/{action}"] = {
        "post": {
            "operationId": f"{action}Schedule",
            "summary": summary,
            "description": description + " The body is empty or {}.",
            "tags": ["schedules"],
            "security": BEARER,
            "parameters": [PARAM("ScheduleIdPath")],
            "requestBody": NO_FIELDS_BODY,
            "responses": {
                "200": ok("ScheduleDetailEnvelope", "The schedule."),
                **errors(400, 401, 403, 404, 413, 429, 500, 503),
            },
        }
    }
paths["/api/v1/schedules/{scheduleId}/trigger"] = {
    "post": {
        "operationId": "triggerSchedule",
        "summary": "Start one run of the schedule now",
        "description": (
            "Queues one run as the schedule would (trigger_type scheduled, schedule_id, its input and prompt "
            "variables; run_start payload schedule: {schedule_id, scheduled_for: null, manual: true}); any server's "
            "workers start it. It does not move next_fire_at or record a fire, and works on a disabled schedule. "
            "A paused agent: 400. Idempotency-Key is honoured as on invoke. The body is empty or {}."
        ),
        "tags": ["schedules"],
        "security": BEARER,
        "parameters": [PARAM("ScheduleIdPath")],
        "requestBody": NO_FIELDS_BODY,
        "responses": {
            "202": ok("ScheduleTriggerEnvelope", "Queued.", example={
                "data": {"run_id": RUN_ID, "schedule_id": SCHEDULE_ID, "status": "queued"}, "error": None}),
            **errors(400, 401, 403, 404, 409, 413, 429, 500, 503),
        },
    }
}
paths["/api/v1/schedules/{scheduleId}/runs"] = {
    "get": {
        "operationId": "listScheduleRuns",
        "summary": "The runs of a schedule (fired and triggered), newest first",
        "description": "The same items and paging as GET /api/v1/runs?schedule_id=.",
        "tags": ["schedules"],
        "security": BEARER,
        "parameters": [
            PARAM("ScheduleIdPath"),
            {"name": "status", "in": "query", "required": False, "schema": REF("RunStatus")},
            PARAM("IdCursor"),
            PARAM("Limit"),
        ],
        "responses": {
            "200": ok("RunPageEnvelope", "A page of runs."),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}
paths["/api/v1/schedules/{scheduleId}/fires"] = {
    "get": {
        "operationId": "listScheduleFires",
        "summary": "The recorded fires of a schedule, newest due time first",
        "description": "Manual triggers are not fires. Old fires are pruned.",
        "tags": ["schedules"],
        "security": BEARER,
        "parameters": [
            PARAM("ScheduleIdPath"),
            {"name": "cursor", "in": "query", "required": False,
             "description": "next_cursor of the previous page (a scheduled_for time): older fires follow.",
             "schema": {"type": "string", "format": "date-time"}},
            PARAM("Limit"),
        ],
        "responses": {
            "200": ok("ScheduleFirePageEnvelope", "A page of fires.",
                      example={"data": {"items": [FIRE_EXAMPLE], "next_cursor": None}, "error": None}),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    }
}


# ---------------------------------------------------------------- user memories
MEMORY_ID = "01a20d31-6f0e-7c43-8a2b-5d1e9f0c7a21"
MEMORY_EXAMPLE = {
    "id": MEMORY_ID,
    "external_user_id": "user_42",
    "memory": "Prefers answers in German and drinks oat-milk coffee.",
    "topics": ["language", "food"],
    "agent_id": None,
    "run_id": None,
    "created_at": "2026-11-24T07:10:02.114Z",
    "updated_at": "2026-11-24T07:10:02.114Z",
}
MEMORY_TEXT = {"type": "string", "minLength": 1, "maxLength": 10000,
               "description": "The memory: 1 to 10,000 characters (Unicode code points), not only white space."}
TOPICS_INPUT = {
    "type": "array",
    "maxItems": 20,
    "items": {"type": "string", "minLength": 1, "maxLength": 100},
    "description": (
        "Up to 20 topics, each with a character other than white space and at most 100 characters once trimmed. "
        "Stored trimmed, lower-cased and without duplicates (the first occurrence keeps its place)."
    ),
}

schemas.update({
    "Memory": {
        "type": "object",
        "description": "A memory about one end user of the workspace (its external_user_id).",
        "required": list(MEMORY_EXAMPLE.keys()),
        "properties": {
            "id": REF("Uuid"),
            "external_user_id": {"type": "string", "description": "The end user the memory is about."},
            "memory": {"type": "string"},
            "topics": {"type": "array", "items": {"type": "string"}, "description": "Trimmed, lower-cased, unique."},
            "agent_id": {
                "type": ["string", "null"],
                "format": "uuid",
                "description": "The agent that stored it (its remember tool, or an agent key); null when stored with a workspace key.",
            },
            "run_id": {**nullable_uuid, "description": "The run whose remember tool stored it; else null."},
            "created_at": timestamp,
            "updated_at": timestamp,
        },
        "example": MEMORY_EXAMPLE,
    },
    "MemoryPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": REF("Memory")},
            "next_cursor": {
                "type": ["string", "null"],
                "format": "uuid",
                "description": "The last item's id when there is a next page (pass it as cursor); else null.",
            },
        },
    },
    "TopicCount": {
        "type": "object",
        "required": ["topic", "count"],
        "properties": {
            "topic": {"type": "string"},
            "count": {"type": "integer", "minimum": 1, "description": "How many memories have the topic."},
        },
        "example": {"topic": "food", "count": 3},
    },
    "TopicPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": REF("TopicCount")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "The last item's topic when there is a next page (pass it as cursor); else null.",
            },
        },
    },
    "UserMemoryStats": {
        "type": "object",
        "required": ["external_user_id", "memories", "last_updated_at"],
        "properties": {
            "external_user_id": {"type": "string"},
            "memories": {"type": "integer", "minimum": 1, "description": "How many memories the user has."},
            "last_updated_at": {**timestamp, "description": "The newest updated_at of the user's memories."},
        },
        "example": {"external_user_id": "user_42", "memories": 7, "last_updated_at": "2026-11-24T07:10:02.114Z"},
    },
    "UserMemoryStatsPage": {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": REF("UserMemoryStats")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "The last item's external_user_id when there is a next page (pass it as cursor); else null.",
            },
        },
    },
    "MemoryCreateRequest": {
        "type": "object",
        "additionalProperties": False,
        "required": ["external_user_id", "memory"],
        "properties": {
            "external_user_id": {"type": "string", "minLength": 1, "maxLength": 200,
                                 "description": "The end user (1 to 200 characters), compared exactly."},
            "memory": MEMORY_TEXT,
            "topics": {**TOPICS_INPUT, "default": []},
        },
    },
    "MemoryUpdateRequest": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "description": "At least one of memory and topics; topics replaces the stored list ([] clears it).",
        "properties": {"memory": MEMORY_TEXT, "topics": TOPICS_INPUT},
    },
    "MemoryEnvelope": envelope(REF("Memory")),
    "MemoryPageEnvelope": envelope(REF("MemoryPage")),
    "TopicPageEnvelope": envelope(REF("TopicPage")),
    "UserMemoryStatsPageEnvelope": envelope(REF("UserMemoryStatsPage")),
})

parameters["MemoryIdPath"] = {
    "name": "memoryId",
    "in": "path",
    "required": True,
    "description": "The memory's UUID (not a UUID: 400).",
    "schema": REF("Uuid"),
}

USER_QUERY = {
    "name": "external_user_id",
    "in": "query",
    "required": False,
    "description": "Only this end user's (1 to 200 characters, compared exactly).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}

paths["/api/v1/memories"] = {
    "get": {
        "operationId": "listMemories",
        "summary": "List user memories, newest first",
        "description": (
            "The workspace's memories, newest first (by id, also with q: no ranking), filtered by every parameter "
            "given. q is a full-text search of the memory text with websearch_to_tsquery('simple', q): words are "
            "matched whole and case-insensitively, without stemming; several words must all occur (in any order); "
            "\"a phrase\" in quotes, `or` between words and -word to exclude work as in a web search. q empty or "
            "only white space: 400. Any key of the workspace, agent keys included, sees every memory of the "
            "workspace."
        ),
        "tags": ["memories"],
        "security": BEARER,
        "parameters": [
            USER_QUERY,
            {
                "name": "topic",
                "in": "query",
                "required": False,
                "description": "Only memories with this topic (compared trimmed and lower-cased).",
                "schema": {"type": "string", "minLength": 1, "maxLength": 100},
            },
            {
                "name": "q",
                "in": "query",
                "required": False,
                "description": "Full-text search of the memory text (at most 1,000 characters).",
                "schema": {"type": "string", "minLength": 1, "maxLength": 1000},
            },
            {
                "name": "agent_id",
                "in": "query",
                "required": False,
                "description": "Only memories stored by this agent (UUID or slug; unknown in the workspace: 404).",
                "schema": {"type": "string", "minLength": 1},
            },
            PARAM("IdCursor"),
            PARAM("Limit"),
        ],
        "responses": {
            "200": ok("MemoryPageEnvelope", "A page of memories.",
                      example={"data": {"items": [MEMORY_EXAMPLE], "next_cursor": None}, "error": None}),
            **errors(400, 401, 404, 429, 500, 503),
        },
    },
    "post": {
        "operationId": "createMemory",
        "summary": "Store a memory about an end user",
        "description": (
            "Stores the memory. With a workspace key agent_id is null; with an agent key it is the key's agent. "
            "No query parameters."
        ),
        "tags": ["memories"],
        "security": BEARER,
        "requestBody": json_body(
            "MemoryCreateRequest",
            {"external_user_id": "user_42", "memory": MEMORY_EXAMPLE["memory"], "topics": ["Language", "food"]},
        ),
        "responses": {
            "201": ok("MemoryEnvelope", "The stored memory.", example={"data": MEMORY_EXAMPLE, "error": None}),
            **errors(400, 401, 413, 429, 500, 503),
        },
    },
}

paths["/api/v1/memories/topics"] = {
    "get": {
        "operationId": "listMemoryTopics",
        "summary": "The topics of the memories, with counts",
        "description": (
            "Every distinct topic of the workspace's memories (of one user with external_user_id) with how many "
            "memories have it, by topic name; cursor is the previous page's next_cursor (topics after it follow)."
        ),
        "tags": ["memories"],
        "security": BEARER,
        "parameters": [
            USER_QUERY,
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "next_cursor of the previous page.",
                "schema": {"type": "string", "minLength": 1},
            },
            PARAM("Limit"),
        ],
        "responses": {
            "200": ok("TopicPageEnvelope", "A page of topics.",
                      example={"data": {"items": [{"topic": "food", "count": 3}, {"topic": "language", "count": 1}],
                                        "next_cursor": None}, "error": None}),
            **errors(400, 401, 429, 500, 503),
        },
    }
}

paths["/api/v1/memories/stats"] = {
    "get": {
        "operationId": "listMemoryStats",
        "summary": "Per user: how many memories, and when they last changed",
        "description": (
            "One item per end user with memories in the workspace, by external_user_id; cursor is the previous "
            "page's next_cursor (users after it follow)."
        ),
        "tags": ["memories"],
        "security": BEARER,
        "parameters": [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "next_cursor of the previous page.",
                "schema": {"type": "string", "minLength": 1},
            },
            PARAM("Limit"),
        ],
        "responses": {
            "200": ok("UserMemoryStatsPageEnvelope", "A page of users.",
                      example={"data": {"items": [{"external_user_id": "user_42", "memories": 7,
                                                   "last_updated_at": "2026-11-24T07:10:02.114Z"}],
                                        "next_cursor": None}, "error": None}),
            **errors(400, 401, 429, 500, 503),
        },
    }
}

paths["/api/v1/memories/{memoryId}"] = {
    "get": {
        "operationId": "getMemory",
        "summary": "One memory",
        "description": "No query parameters. Unknown, or another workspace's: 404.",
        "tags": ["memories"],
        "security": BEARER,
        "parameters": [PARAM("MemoryIdPath")],
        "responses": {
            "200": ok("MemoryEnvelope", "The memory.", example={"data": MEMORY_EXAMPLE, "error": None}),
            **errors(400, 401, 404, 429, 500, 503),
        },
    },
    "patch": {
        "operationId": "updateMemory",
        "summary": "Change a memory's text and/or topics",
        "description": (
            "Changes what is given (at least one of memory and topics; neither: 400) and sets updated_at. topics "
            "replaces the list. An agent key may change only the memories its own agent stored (others: 403). No "
            "query parameters."
        ),
        "tags": ["memories"],
        "security": BEARER,
        "parameters": [PARAM("MemoryIdPath")],
        "requestBody": json_body("MemoryUpdateRequest", {"topics": ["language", "food", "coffee"]}),
        "responses": {
            "200": ok("MemoryEnvelope", "The memory after the change.",
                      example={"data": {**MEMORY_EXAMPLE, "topics": ["language", "food", "coffee"],
                                        "updated_at": "2026-11-24T07:12:40.031Z"}, "error": None}),
            **errors(400, 401, 403, 404, 413, 429, 500, 503),
        },
    },
    "delete": {
        "operationId": "deleteMemory",
        "summary": "Delete a memory",
        "description": (
            "Deletes it for good (404 from then on). An agent key may delete only the memories its own agent "
            "stored (others: 403). No query parameters."
        ),
        "tags": ["memories"],
        "security": BEARER,
        "parameters": [PARAM("MemoryIdPath")],
        "responses": {
            "200": ok("DeletedEnvelope", "Deleted.", example={"data": {"deleted": True}, "error": None}),
            **errors(400, 401, 403, 404, 429, 500, 503),
        },
    },
}


DESCRIPTION = """\
The AgentOS HTTP API: ingest of runs from agents that execute elsewhere, reading runs, their timelines and
their trees of child runs, defining agents (YAML or JSON definitions, versions, rollback), invoking hosted
agents (synchronous or background), answering the durable pauses of hosted runs (approvals, input requests),
cancelling runs, schedules (agent runs on a cron expression in a time zone), and the memories kept about each
end user (external_user_id).
The user guide is docs/api.md.

Conventions
- JSON in, JSON out, UTF-8. Every JSON response is the envelope {"data": ..., "error": ...} with exactly one of
  the two non-null. Exceptions: the success body of POST /api/ingest (the legacy seed shape), /openapi.json and
  /metrics.
- Errors: {"data": null, "error": {"code", "message", "details"?}}; see the ErrorCode schema for codes and statuses.
- Request bodies are strict: unknown fields are refused (400, all of them named in details.unknown_fields), a JSON
  null counts as an absent field, the body must be a JSON object of valid UTF-8 nested at most 64 levels deep.
  The Content-Type of a request is not checked. Exception: POST /api/v1/agents and PUT /api/v1/agents/{agentId}
  take an agent definition as YAML or JSON (see those routes; a bad one lists every problem in
  details.errors).
- Query parameters are strict on the /api routes: unknown, repeated or empty parameters are refused (400).
- Times are ISO-8601 UTC with milliseconds on output.
- Every response carries X-Request-Id. Authenticated routes carry X-RateLimit-Limit, X-RateLimit-Remaining and
  X-RateLimit-Reset (seconds until the allowance is full again), and Retry-After on 429.

Rate limit: 200 requests per minute per key by default (GCRA, bursts up to the full limit), counted per server
process: several servers behind a load balancer each allow the full rate. --rate-limit / AGENTOS_RATE_LIMIT
(0 turns it off, and the X-RateLimit headers with it).

Connection-level answers, on any path before routing and authentication (no rate-limit headers, connection
closed): body over 1 MiB (--max-body-bytes) 413 PAYLOAD_TOO_LARGE; headers over 16 KiB 431 HEADERS_TOO_LARGE;
headers not complete 10 s after the request's first byte, or body not complete after 30 s, 408 REQUEST_TIMEOUT;
malformed HTTP 400. An unknown path is 404 NOT_FOUND; a known path with another method is 405
METHOD_NOT_ALLOWED with an Allow header. Idle keep-alive connections are closed after 60 s.
"""

doc = {
    "openapi": "3.1.0",
    "info": {
        "title": "AgentOS",
        "version": "0.1.0",
        "description": DESCRIPTION,
    },
    "servers": [{"url": "http://127.0.0.1:8080", "description": "agentos serve / agentos dev default --listen"}],
    "security": BEARER,
    "tags": [
        {"name": "service", "description": "Health, this document, metrics."},
        {"name": "ingest", "description": "The v1 ingest API for agents that run elsewhere (the server only observes)."},
        {"name": "legacy-ingest", "description": "The single legacy endpoint of the original SDKs."},
        {"name": "runs", "description": "Reading runs and their timelines, and cancelling them."},
        {"name": "agents", "description": "Agents: reading them, and defining them (docs/agents.md): versions, rollback, pause, delete."},
        {
            "name": "pauses",
            "description": (
                "The durable pauses of hosted runs: approvals (a tool with requires_approval, an approval node) and "
                "input requests (an input node, the ask_human tool). Listing, reading and answering them."
            ),
        },
        {"name": "sessions", "description": "Server-managed conversations: one agent, one turn at a time, kept messages."},
        {"name": "schedules", "description": "Agent runs on a cron expression in a time zone, fired once per due time across servers."},
        {
            "name": "memories",
            "description": "User memories: facts about one end user (external_user_id), read into agents' prompts.",
        },
    ],
    "paths": paths,
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": (
                    "Authorization: Bearer <key>. Workspace keys aos_ws_... can do everything in their workspace; "
                    "agent keys aos_agent_... only touch their own agent and its runs. A key is the kind prefix, "
                    "30 base62 characters and a 6-character base62 CRC-32 checksum; the server stores only its "
                    "SHA-256. Missing, malformed, unknown and revoked keys all get the same 401."
                ),
            }
        },
        "schemas": schemas,
        "responses": responses,
        "parameters": parameters,
        "headers": headers,
    },
}

if __name__ == "__main__":
    text = json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
    assert ")agentos_embed\"" not in text
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "api", "openapi.json")
    with open(out, "w") as f:
        f.write(text)
    print(len(text), "bytes,", len(paths), "paths")
