#include "api/dto/resource_json.hpp"

namespace agentos::api {
nlohmann::json TimeJson(const std::optional<core::TimePoint>& t) {
    return t ? nlohmann::json(core::FormatIso(*t)) : nlohmann::json(nullptr);
}

nlohmann::json RunJson(const store::RunRecord& r) {
    nlohmann::json duration = nullptr;
    if (r.started_at && r.ended_at) {
        duration = std::chrono::duration_cast<std::chrono::milliseconds>(*r.ended_at - *r.started_at).count();
    }
    return {
        {"id", r.id},
        {"agent_id", r.agent_id},
        {"agent_slug", r.agent_slug},
        {"agent_version", OrNull(r.agent_version)},
        {"status", core::ToString(r.status)},
        {"source", r.source},
        {"trigger_type", r.trigger_type},
        {"external_run_id", OrNull(r.external_run_id)},
        {"input", r.input},
        {"output", r.output},
        {"error_message", OrNull(r.error_message)},
        {"error_detail", r.error_detail},
        {"parent_run_id", OrNull(r.parent_run_id)},
        {"session_id", OrNull(r.session_id)},
        {"schedule_id", OrNull(r.schedule_id)},
        {"event_count", r.last_seq},
        {"prompt_tokens", r.prompt_tokens},
        {"completion_tokens", r.completion_tokens},
        {"total_tokens", r.total_tokens},
        {"cost_usd", r.cost_usd},
        {"model", OrNull(r.model)},
        {"budget_warning", OrNull(r.budget_warning)},
        {"created_at", core::FormatIso(r.created_at)},
        {"started_at", TimeJson(r.started_at)},
        {"ended_at", TimeJson(r.ended_at)},
        {"updated_at", core::FormatIso(r.updated_at)},
        {"duration_ms", duration},
    };
}

nlohmann::json SessionJson(const store::SessionRecord& s) {
    return {
        {"id", s.id},
        {"session_id", s.id},
        {"agent_id", s.agent_id},
        {"agent_slug", s.agent_slug},
        {"external_user_id", OrNull(s.external_user_id)},
        {"name", OrNull(s.name)},
        {"active_run_id", OrNull(s.active_run_id)},
        {"message_count", s.message_count},
        {"created_at", core::FormatIso(s.created_at)},
        {"updated_at", core::FormatIso(s.updated_at)},
    };
}

nlohmann::json SessionMessageJson(const store::SessionMessage& m) {
    return {
        {"seq", m.seq},
        {"run_id", m.run_id},
        {"role", m.role},
        {"content", OrNull(m.content)},
        {"tool_calls", m.tool_calls},
        {"tool_call_id", OrNull(m.tool_call_id)},
        {"tool_name", OrNull(m.tool_name)},
        {"status", m.status},
        {"created_at", core::FormatIso(m.created_at)},
    };
}

nlohmann::json ApprovalJson(const store::PauseRecord& p) {
    return {
        {"id", p.id},
        {"approval_id", p.id},
        {"run_id", p.run_id},
        {"agent_id", p.agent_id},
        {"agent_slug", p.agent_slug},
        {"status", p.status},
        {"node_name", OrNull(p.node_name)},
        {"tool_name", OrNull(p.tool_name)},
        {"tool_call_id", OrNull(p.tool_call_id)},
        {"arguments", p.arguments},
        {"arguments_hash", OrNull(p.arguments_hash)},
        {"message", OrNull(p.message)},
        {"decision", OrNull(p.decision)},
        {"comment", OrNull(p.comment)},
        {"responded_by", OrNull(p.responded_by)},
        {"timeout_at", TimeJson(p.timeout_at)},
        {"on_timeout", OrNull(p.on_timeout)},
        {"created_at", core::FormatIso(p.created_at)},
        {"resolved_at", TimeJson(p.resolved_at)},
    };
}

nlohmann::json InputRequestJson(const store::PauseRecord& p) {
    return {
        {"id", p.id},
        {"request_id", p.id},
        {"run_id", p.run_id},
        {"agent_id", p.agent_id},
        {"agent_slug", p.agent_slug},
        {"status", p.status},
        {"node_name", OrNull(p.node_name)},
        {"tool_call_id", OrNull(p.tool_call_id)},
        {"question", OrNull(p.question)},
        {"options", p.options},
        {"default", p.default_answer},
        {"response", p.response},
        {"responded_by", OrNull(p.responded_by)},
        {"timeout_at", TimeJson(p.timeout_at)},
        {"created_at", core::FormatIso(p.created_at)},
        {"resolved_at", TimeJson(p.resolved_at)},
    };
}

nlohmann::json EventJson(const store::EventRecord& e) {
    return {
        {"sequence_number", e.seq},
        {"type", e.type},
        {"level", core::ToString(e.level)},
        {"payload", e.payload},
        {"occurred_at", core::FormatIso(e.occurred_at)},
        {"received_at", core::FormatIso(e.received_at)},
    };
}

nlohmann::json TaskJson(const store::TaskRecord& t) {
    return {
        {"id", t.id},
        {"run_id", t.run_id},
        {"name", t.name},
        {"status", core::ToString(t.status)},
        {"input", t.input},
        {"output", t.output},
        {"created_at", core::FormatIso(t.created_at)},
        {"updated_at", core::FormatIso(t.updated_at)},
    };
}

nlohmann::json AgentJson(const store::AgentRecord& a) {
    return {
        {"id", a.id},
        {"slug", a.slug},
        {"name", a.name},
        {"description", a.description},
        {"runtime", a.runtime},
        {"status", a.status},
        {"source", a.source},
        {"current_version", OrNull(a.current_version)},
        {"monthly_budget_usd", OrNull(a.monthly_budget_usd)},
        {"created_at", core::FormatIso(a.created_at)},
        {"updated_at", core::FormatIso(a.updated_at)},
    };
}

nlohmann::json MemoryJson(const store::UserMemory& m) {
    return {
        {"id", m.id},
        {"external_user_id", m.external_user_id},
        {"memory", m.memory},
        {"topics", m.topics},
        {"agent_id", OrNull(m.agent_id)},
        {"run_id", OrNull(m.run_id)},
        {"created_at", core::FormatIso(m.created_at)},
        {"updated_at", core::FormatIso(m.updated_at)},
    };
}

nlohmann::json Page(nlohmann::json items, const std::optional<std::string>& next_cursor) {
    return {{"items", std::move(items)}, {"next_cursor", OrNull(next_cursor)}};
}

}  // namespace agentos::api
