#include "runtime/graph/executor.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

#include "memory/session_window.hpp"
#include "runtime/core/crypto.hpp"
#include "runtime/core/error.hpp"
#include "runtime/core/ids.hpp"
#include "runtime/core/time.hpp"
#include "runtime/events/live_hub.hpp"
#include "runtime/run_close.hpp"
#include "runtime/spec/json_schema.hpp"
#include "runtime/store/memory_repo.hpp"
#include "runtime/store/pause_repo.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/store/session_repo.hpp"
#include "runtime/template/template.hpp"
#include "runtime/template/when_expr.hpp"
#include "tools/builtin/remember_tool.hpp"

namespace agentos::graph {
namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

/// Ends the run as failed: `type` goes to the error event's error_type.
class RunFailure : public std::runtime_error {
public:
    RunFailure(std::string type, const std::string& message) : std::runtime_error(message), type_(std::move(type)) {}

    const std::string& type() const { return type_; }

private:
    std::string type_;
};

/// The run waits here for a person: Run() writes the pause with the checkpoint and ends this execution.
struct PauseHere {
    store::NewPause pause;
};

/// The run may not go on: it was cancelled, or another server holds it now (its lease term changed). Nothing more is
/// written by this execution.
class Stopped : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The schema the model sees for ask_human.
const Json& AskHumanParameters() {
    static const Json schema = {
        {"type", "object"},
        {"properties",
         {{"question", {{"type", "string"}, {"description", "What to ask the person"}}},
          {"options",
           {{"type", "array"}, {"items", {{"type", "string"}}}, {"description", "Choices to offer, if any"}}}}},
        {"required", {"question"}}};
    return schema;
}

std::int64_t Millis(SteadyClock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - since).count();
}

std::string Money(double usd) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$%.4f", usd);
    return buf;
}

/// The user message of the agent loop: input.message, else input.query (text as it is, any other value as compact
/// JSON), else the whole input as compact JSON.
std::string UserMessage(const Json& input) {
    for (const char* key : {"message", "query"}) {
        if (const auto it = input.find(key); it != input.end()) {
            return it->is_string() ? it->get<std::string>() : it->dump();
        }
    }
    return input.dump();
}

/// A stored session message as a conversation message (the checkpoint's JSON form, read the same way).
providers::ChatMessage FromSession(const store::SessionMessage& m) {
    Json j = {{"role", m.role}, {"content", m.content.value_or("")}};
    if (m.tool_calls.is_array()) {
        j["tool_calls"] = m.tool_calls;
    }
    if (m.tool_call_id) {
        j["tool_call_id"] = *m.tool_call_id;
    }
    if (m.tool_name) {
        j["tool_name"] = *m.tool_name;
    }
    return MessageFromJson(j);
}

/// How many of the user's newest memories an agent with memory.user_memories gets in its system prompt.
constexpr int kPromptMemories = 50;

/// The system prompt's paragraph of the user's memories (newest first), or "" when there are none.
std::string MemoryPrompt(const std::vector<store::UserMemory>& memories) {
    if (memories.empty()) {
        return "";
    }
    std::string text = "What you know about the user from earlier conversations (their memories, newest first):";
    for (const auto& m : memories) {
        text += "\n- " + m.memory;
        if (!m.topics.empty()) {
            std::string topics;
            for (const auto& t : m.topics) {
                topics.append(topics.empty() ? "" : ", ").append(t);
            }
            text += " (topics: " + topics + ")";
        }
    }
    return text;
}

/// A node's result as a run output: objects as they are, text as {content}, anything else as {value}.
Json AsOutput(const Json& value) {
    if (value.is_object()) {
        return value;
    }
    if (value.is_string()) {
        return Json{{"content", value}};
    }
    return Json{{"value", value}};
}

/// True the first time an agent falls back to the mock in this process: the log says it once per agent.
bool FirstFallback(const std::string& agent_id) {
    static std::mutex mutex;
    static std::set<std::string> seen;
    const std::lock_guard lock(mutex);
    return seen.insert(agent_id).second;
}

}  // namespace

struct Executor::Impl : tools::ChildRunLauncher {
    const ExecutorDeps& deps;
    RunContext ctx;
    std::vector<providers::ChatMessage> turn_;  ///< the agent loop's last conversation, for a session
    std::unique_ptr<providers::LlmProvider> provider;
    std::map<std::string, std::unique_ptr<tools::Tool>> tools;
    SteadyClock::time_point started = SteadyClock::now();

    Impl(const ExecutorDeps& d, RunContext c) : deps(d), ctx(std::move(c)) {
        const auto& spec = *ctx.spec;
        if (providers::KeyMissing(spec.model, deps.providers) && deps.mock_fallback &&
            FirstFallback(ctx.run.agent_id)) {
            spdlog::info(
                "agent {}: {} key not set, answering with the mock provider",
                spec.slug,
                spec::ToString(spec.model.provider)
            );
        }
        provider = providers::MakeProvider(spec.model, deps.providers, deps.mock_fallback);
        const tools::ToolEnvironment env{deps.http, deps.clock, deps.http_fetch_policy, this};
        for (const auto& t : spec.tools) {
            if (auto tool = tools::MakeTool(t, env)) {
                tools.emplace(t.name, std::move(tool));
            }
        }
    }

    const std::string& workspace() const { return ctx.run.workspace_id; }

    const std::string& run_id() const { return ctx.run.id; }

    /// An await point: a cancelled run goes no further.
    void CheckCancelled() const {
        if (ctx.cancelled && ctx.cancelled->load()) {
            throw Stopped("the run was cancelled");
        }
    }

    /// The answer a person (or a deadline) gave at `point`, if the run paused there before.
    const store::PauseRecord* Answer(const std::string& point) const {
        const auto it = ctx.answers.find(point);
        return it == ctx.answers.end() ? nullptr : &it->second;
    }

    /// Where a tool call is in the run: the model turn it came from, its place in that turn, and its id. A model may
    /// reuse call ids (local servers often send call_0 every time, or none): an answer given for one call must never
    /// approve another.
    std::string CallPoint(const providers::ToolCall& call, std::size_t index) const {
        return "tool:" + std::to_string(ctx.progress.model_calls) + ":" + std::to_string(index) + ":" + call.id;
    }

    /// Where a pause node is in the run: its name and the step count on arrival (a node in a loop pauses anew).
    std::string NodePoint(const spec::NodeSpec& node) const {
        return "node:" + node.name + ":" + std::to_string(ctx.progress.steps);
    }

    templating::TemplateScope Scope() const {
        templating::TemplateScope s;
        s.input = &ctx.run.input;
        s.state = &ctx.progress.state;
        s.variables = &ctx.variables;
        return s;
    }

    std::string Render(const std::string& text, const std::string& field) const {
        try {
            return templating::Template::Parse(text, field).Render(Scope());
        } catch (const core::Error& e) {
            throw RunFailure("TemplateError", e.what());
        }
    }

    Json RenderJson(const Json& value, const std::string& field) const {
        try {
            return templating::RenderJson(value, Scope(), field);
        } catch (const core::Error& e) {
            throw RunFailure("TemplateError", e.what());
        }
    }

    /// Token chunks to the run's live followers, numbered after the last stored event.
    providers::TokenSink TokenSink() {
        if (deps.hub == nullptr) {
            return {};
        }
        return [hub = deps.hub, ws = workspace(), id = run_id(), after = ctx.run.last_seq](std::string_view delta) {
            hub->PublishChunk(ws, id, after, delta);
        };
    }

    void Event(std::string type, Json payload, core::EventLevel level = core::EventLevel::kInfo) {
        ctx.events.push_back({std::move(type), level, std::move(payload), deps.clock.Now()});
    }

    /// One more node execution, model call or tool call against budget.max_steps.
    void Step() {
        ++ctx.progress.steps;
        const auto& max = ctx.spec->budget.max_steps;
        if (max && ctx.progress.steps > *max) {
            throw RunFailure(
                "BudgetExceeded",
                "max_steps (" + std::to_string(*max) + ") reached: the run took more steps than its budget allows"
            );
        }
    }

    void AddUsage(const RunTotals& u) {
        for (RunTotals* t : {&ctx.totals, &ctx.unsaved}) {
            t->prompt_tokens += u.prompt_tokens;
            t->completion_tokens += u.completion_tokens;
            t->cost_usd += u.cost_usd;
            if (u.model) {
                t->model = u.model;
            }
        }
        const auto& max = ctx.spec->budget.max_cost_usd;
        if (max && ctx.totals.cost_usd > *max) {
            throw RunFailure(
                "BudgetExceeded",
                "max_cost_usd (" + Money(*max) + ") passed: the run has cost " + Money(ctx.totals.cost_usd)
            );
        }
    }

    static store::Usage AsUsage(const RunTotals& t) {
        return {t.prompt_tokens, t.completion_tokens, t.prompt_tokens + t.completion_tokens, t.cost_usd, t.model};
    }

    /// A session's run, the first time it executes: the window of the session's past messages becomes the history
    /// every conversation of the run starts with.
    net::awaitable<void> LoadSession() {
        if (!ctx.run.session_id || ctx.progress.session_loaded) {
            co_return;
        }
        std::vector<store::SessionMessage> window;
        std::vector<store::UserMemory> memories;
        std::optional<std::string> user;
        const auto limit = static_cast<int>(ctx.spec->memory.history_messages);
        const bool with_memories = ctx.spec->memory.user_memories;
        co_await deps.pool.Autocommit([&](store::Tx& tx) {
            window = memory::LoadWindow(tx, *ctx.run.session_id, limit);
            if (with_memories) {
                if (const auto s = store::SessionRepo(tx).Get(workspace(), *ctx.run.session_id)) {
                    user = s->external_user_id;
                }
                if (user) {
                    memories = store::MemoryRepo(tx).Recent(workspace(), *user, kPromptMemories);
                }
            }
        });
        ctx.progress.history.clear();
        for (const auto& m : window) {
            ctx.progress.history.push_back(FromSession(m));
        }
        ctx.progress.memory_user = user.value_or("");
        ctx.progress.user_memories = MemoryPrompt(memories);
        ctx.progress.session_loaded = true;
    }

    /// memory.user_memories in a run whose session has an end user: the `remember` tool (unless the agent defines a
    /// tool of that name itself).
    void OfferRemember() {
        if (!ctx.spec->memory.user_memories || ctx.progress.memory_user.empty() || tools.count("remember") > 0) {
            return;
        }
        tools["remember"] =
            std::make_unique<tools::RememberTool>(deps.pool, ctx.progress.memory_user, ctx.run.agent_id);
    }

    /// The messages a completed turn adds to its session: the agent loop's conversation from the user message on, or
    /// for a graph the user message and the output.
    Json SessionTurn(const Json& output) const {
        Json rows = Json::array();
        if (!turn_.empty()) {
            for (const auto& m : turn_) {
                rows.push_back(MessageToJson(m));  // the close statement reads this form
            }
            return rows;
        }
        rows.push_back({{"role", "user"}, {"content", UserMessage(ctx.run.input)}});
        const bool text = output.is_object() && output.contains("content") && output["content"].is_string();
        rows.push_back({{"role", "assistant"}, {"content", text ? output["content"].get<std::string>() : output.dump()}}
        );
        return rows;
    }

    /// Writes the checkpoint, the step's events and its usage in one transaction.
    net::awaitable<void> Save() {
        CheckCancelled();
        const Json checkpoint = ctx.progress.ToJson();
        std::vector<store::NewEvent> events;
        events.swap(ctx.events);
        const RunTotals usage = ctx.unsaved;
        ctx.unsaved = {};
        const auto steps = ctx.progress.steps;
        std::optional<std::int64_t> last_seq;
        co_await deps.pool.Autocommit([&](store::Tx& tx) {
            // A step between others needs no flush of its own: the run's end is committed synchronously and flushes
            // it; a crash before that re-runs from an earlier step, which runs are built to survive (at least once).
            tx.DeferFlush();
            last_seq = store::RunRepo(tx).SaveStep(
                workspace(), run_id(), checkpoint, steps, AsUsage(usage), events, ctx.run.lease_term
            );
        });
        if (!last_seq) {
            throw Stopped("the run was closed or taken over by another server while it was running");
        }
        ctx.run.last_seq = *last_seq;  // the chunks of the next model call follow this event
        if (deps.hub != nullptr) {
            deps.hub->Stored(run_id(), *last_seq, false);
        }
    }

    // --- child runs ---------------------------------------------------------------------------------------------

    /// Runs a child and rolls its totals up into this run's; throws core::Error with why a child failed.
    net::awaitable<Json> Child(std::string slug, Json input) {
        const ChildResult child = co_await deps.run_child(ctx, slug, std::move(input));
        CheckCancelled();
        AddUsage(child.outcome.totals);
        if (child.outcome.status != core::RunStatus::kCompleted) {
            throw core::Error(
                core::ErrorCode::kValidation,
                "child run " + child.outcome.run_id + " of agent " + slug + " " +
                    std::string(core::ToString(child.outcome.status)) + ": " +
                    child.outcome.error_message.value_or("no output")
            );
        }
        co_return child.outcome.output;
    }

    net::awaitable<Json> RunChild(std::string agent_slug, Json input, tools::ToolCallContext) override {
        return Child(std::move(agent_slug), std::move(input));
    }

    // --- tools --------------------------------------------------------------------------------------------------

    /// `index`: the call's place in its model turn (0 for a tool node).
    net::awaitable<tools::ToolOutcome> CallTool(const providers::ToolCall& call, std::size_t index = 0) {
        const auto* declared = ctx.spec->FindTool(call.name);
        if (declared != nullptr && declared->builtin == "ask_human") {
            co_return AskHuman(call, index);
        }
        const auto it = tools.find(call.name);
        if (it == tools.end()) {
            Step();
            std::string names;
            for (const auto& [name, _] : tools) {
                names.append(names.empty() ? "" : ", ").append(name);
            }
            co_return tools::ToolOutcome::Error("no tool named '" + call.name + "' (available: " + names + ")");
        }
        const auto& spec = it->second->spec();
        if (call.arguments.contains("_raw")) {
            Step();
            co_return tools::ToolOutcome::Error("the arguments were not valid JSON");
        }
        if (const auto problem = spec::ValidateAgainstSchema(spec.parameters, call.arguments)) {
            Step();
            co_return tools::ToolOutcome::Error("invalid arguments: " + *problem);
        }
        Json arguments = call.arguments;
        Json approval_id = nullptr;
        if (spec.requires_approval) {
            const auto* answer = Answer(CallPoint(call, index));
            if (answer == nullptr) {
                throw PauseHere{ToolApproval(spec, call, index)};
            }
            approval_id = answer->id;
            arguments = answer->arguments;  // exactly what was approved, never a later model output
            if (answer->decision != "approve") {
                Step();
                const std::string why = "a person rejected this call" +
                                        (answer->comment ? ": " + *answer->comment : std::string()) +
                                        (answer->status == "expired" ? " (no decision before the deadline)" : "");
                const auto outcome = tools::ToolOutcome::Error(why);
                ToolEvents(spec.name, arguments, approval_id, outcome, SteadyClock::now());
                co_return outcome;
            }
        }
        Step();
        const auto t0 = SteadyClock::now();
        Json start = {{"tool_name", spec.name}, {"phase", "start"}, {"input_preview", tools::Preview(arguments)}};
        if (!approval_id.is_null()) {
            start["approval_id"] = approval_id;
        }
        Event("tool_call", std::move(start));
        tools::ToolCallContext tc{run_id(), call.id, workspace(), ctx.run.input, ctx.variables};
        tools::ToolOutcome outcome;
        try {
            outcome = co_await it->second->Call(arguments, tc);
        } catch (const RunFailure&) {
            throw;
        } catch (const std::exception& e) {
            outcome = tools::ToolOutcome::Error(e.what());
        }
        CheckCancelled();
        ToolEvents(spec.name, arguments, approval_id, outcome, t0, false);
        co_return outcome;
    }

    /// The tool_call events of a call (the start one too unless `with_start` is false).
    void ToolEvents(
        const std::string& tool_name,
        const Json& arguments,
        const Json& approval_id,
        const tools::ToolOutcome& outcome,
        SteadyClock::time_point t0,
        bool with_start = true
    ) {
        const std::string input_preview = tools::Preview(arguments);
        Json start = {{"tool_name", tool_name}, {"phase", "start"}, {"input_preview", input_preview}};
        Json end = {
            {"tool_name", tool_name},
            {"phase", "end"},
            {"input_preview", input_preview},
            {"output_preview", tools::Preview(outcome.output)},
            {"duration_ms", Millis(t0)}};
        if (!approval_id.is_null()) {
            start["approval_id"] = approval_id;
            end["approval_id"] = approval_id;
        }
        if (with_start) {
            Event("tool_call", std::move(start));
        }
        Event("tool_call", std::move(end), outcome.is_error ? core::EventLevel::kWarn : core::EventLevel::kInfo);
    }

    store::NewPause ToolApproval(const spec::ToolSpec& spec, const providers::ToolCall& call, std::size_t index) const {
        store::NewPause p;
        p.kind = "approval";
        p.point = CallPoint(call, index);
        p.tool_name = spec.name;
        p.tool_call_id = call.id;
        p.arguments = call.arguments;
        p.arguments_hash = core::HexEncode(core::Sha256(call.arguments.dump()));
        p.message = "Approve the call " + spec.name + "(" + tools::Preview(call.arguments) + ")?";
        p.timeout_s = spec.approval_timeout_s;
        p.on_timeout = spec.approval_on_timeout;
        return p;
    }

    /// The ask_human tool: pauses for a person's answer, which becomes the tool's result.
    tools::ToolOutcome AskHuman(const providers::ToolCall& call, std::size_t index) {
        const auto* answer = Answer(CallPoint(call, index));
        if (answer == nullptr) {
            const auto q = call.arguments.find("question");
            if (q == call.arguments.end() || !q->is_string() || q->get<std::string>().empty()) {
                Step();
                return tools::ToolOutcome::Error("ask_human needs a question (a non-empty string)");
            }
            store::NewPause p;
            p.kind = "input";
            p.point = CallPoint(call, index);
            p.tool_name = "ask_human";
            p.tool_call_id = call.id;
            p.question = q->get<std::string>();
            if (const auto o = call.arguments.find("options"); o != call.arguments.end() && o->is_array()) {
                Json options = Json::array();
                for (const auto& v : *o) {
                    if (v.is_string()) {
                        options.push_back(v);
                    }
                }
                if (!options.empty()) {
                    p.options = std::move(options);
                }
            }
            throw PauseHere{std::move(p)};
        }
        Step();
        const auto outcome = answer->response.is_null()
                                 ? tools::ToolOutcome::Error("nobody answered before the deadline")
                                 : tools::ToolOutcome{answer->response, false};
        ToolEvents("ask_human", call.arguments, nullptr, outcome, SteadyClock::now());
        return outcome;
    }

    std::vector<providers::ToolDefinition> ToolDefinitions(const std::vector<std::string>* only) const {
        std::vector<providers::ToolDefinition> out;
        for (const auto& t : ctx.spec->tools) {
            if (only != nullptr && std::find(only->begin(), only->end(), t.name) == only->end()) {
                continue;
            }
            const auto it = tools.find(t.name);
            const auto& spec = it != tools.end() ? it->second->spec() : t;
            if (spec.builtin == "ask_human") {
                out.push_back(
                    {spec.name,
                     spec.description.empty() ? "Ask a person a question and wait for the answer" : spec.description,
                     AskHumanParameters()}
                );
                continue;
            }
            out.push_back({spec.name, spec.description, spec.parameters});
        }
        const auto remember = tools.find("remember");
        if (remember != tools.end() && ctx.spec->FindTool("remember") == nullptr &&
            (only == nullptr || std::find(only->begin(), only->end(), "remember") != only->end())) {
            const auto& spec = remember->second->spec();
            out.push_back({spec.name, spec.description, spec.parameters});
        }
        return out;
    }

    // --- model turns --------------------------------------------------------------------------------------------

    std::string System(bool json_schema) const {
        std::string system = Render(ctx.spec->instructions, "instructions");
        if (!ctx.progress.user_memories.empty()) {
            system += std::string(system.empty() ? "" : "\n\n") + ctx.progress.user_memories;
        }
        if (json_schema) {
            system += std::string(system.empty() ? "" : "\n\n") +
                      "Answer with only a JSON object that matches this JSON Schema:\n" +
                      ctx.spec->output_schema.dump();
        }
        return system;
    }

    /// The tool calls of the conversation's last model turn that have no result yet, and the place in the turn of
    /// the first of them.
    std::pair<std::size_t, std::vector<providers::ToolCall>> PendingToolCalls() const {
        const auto& m = ctx.progress.messages;
        std::size_t results = 0;
        for (std::size_t i = m.size(); i-- > 0;) {
            if (m[i].role == providers::Role::kTool) {
                ++results;
                continue;
            }
            if (m[i].role != providers::Role::kAssistant || m[i].tool_calls.size() <= results) {
                return {};
            }
            return {results, {m[i].tool_calls.begin() + static_cast<std::ptrdiff_t>(results), m[i].tool_calls.end()}};
        }
        return {};
    }

    /// A conversation with the model, tool calls included, until it answers without calling a tool. Progress is
    /// saved after every model turn, so a resumed run continues the same conversation. `node` is "" for the agent
    /// loop. With `schema`, the answer must be a JSON object that validates (the model is asked once to fix it).
    net::awaitable<std::string> Converse(
        const std::string& node,
        const std::string& user_message,
        const std::vector<std::string>* tool_names,
        const Json* schema
    ) {
        if (ctx.progress.llm_node != node) {
            ctx.progress.llm_node = node;
            ctx.progress.messages = ctx.progress.history;
            ctx.progress.messages.push_back({providers::Role::kUser, user_message, {}, "", ""});
            ctx.progress.reasked = false;
        }
        const std::string system = System(schema != nullptr);
        const auto tool_defs = ToolDefinitions(tool_names);
        const std::string node_name = node.empty() ? "agent" : node;
        for (;;) {
            // The calls of the last model turn that have no result yet run first: a turn's calls, then the next
            // call of the model. A run resumed after a pause in the middle of a turn continues with the rest.
            const auto pending = PendingToolCalls();
            if (!pending.second.empty()) {
                for (std::size_t k = 0; k < pending.second.size(); ++k) {
                    const auto& call = pending.second[k];
                    const auto outcome = co_await CallTool(call, pending.first + k);
                    ctx.progress.messages.push_back(
                        {providers::Role::kTool,
                         outcome.output.is_string() ? outcome.output.get<std::string>() : outcome.output.dump(),
                         {},
                         call.id,
                         call.name}
                    );
                }
                co_await Save();
                continue;
            }
            Step();
            providers::ChatRequest req;
            req.system = system;
            req.messages = ctx.progress.messages;
            req.tools = tool_defs;
            req.call_index = ctx.progress.model_calls;
            req.json_output = schema != nullptr;
            if (schema != nullptr) {
                req.output_schema = *schema;
            }
            const auto t0 = SteadyClock::now();
            Event("step", {{"node_name", node_name}, {"node_type", "llm"}, {"phase", "start"}});
            providers::ChatResult result;
            try {
                // The call as a named awaitable, not temporaries inside the co_await: g++ 12 leaked the request's
                // output_schema otherwise (seen under ASan).
                auto call = provider->Chat(std::move(req), TokenSink());
                result = co_await std::move(call);
            } catch (const providers::ProviderError& e) {
                CheckCancelled();  // a cancel interrupts the call in flight: that is not the provider's failure
                throw RunFailure("ProviderError", e.what());
            }
            CheckCancelled();
            ++ctx.progress.model_calls;
            Json calls = Json::array();
            for (const auto& c : result.tool_calls) {
                calls.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
            }
            Event(
                "step",
                {{"node_name", node_name},
                 {"node_type", "llm"},
                 {"phase", "end"},
                 {"duration_ms", Millis(t0)},
                 {"output",
                  {{"text", result.text},
                   {"tool_calls", calls},
                   {"prompt_tokens", result.prompt_tokens},
                   {"completion_tokens", result.completion_tokens},
                   {"cost_usd", result.cost_usd},
                   {"model", result.model}}}}
            );
            AddUsage({result.prompt_tokens, result.completion_tokens, result.cost_usd, result.model});
            ctx.progress.messages.push_back({providers::Role::kAssistant, result.text, result.tool_calls, "", ""});
            if (!result.tool_calls.empty()) {
                // The turn is saved before its calls run: a run recovered in the middle of them runs the same calls
                // again (same ids, so the same webhook Idempotency-Key), not a new model turn.
                co_await Save();
                continue;  // its calls run at the top of the loop
            }
            if (schema != nullptr) {
                std::optional<std::string> problem;
                const Json parsed = Json::parse(result.text, nullptr, false);
                if (parsed.is_discarded() || !parsed.is_object()) {
                    problem = "the answer is not a JSON object";
                } else {
                    problem = spec::ValidateAgainstSchema(*schema, parsed);
                }
                if (problem) {
                    if (ctx.progress.reasked) {
                        throw RunFailure(
                            "OutputSchemaError", "the model's answer does not match output_schema: " + *problem
                        );
                    }
                    ctx.progress.reasked = true;
                    ctx.progress.messages.push_back(
                        {providers::Role::kUser,
                         "Your answer does not match the required JSON Schema (" + *problem +
                             "). Reply again with only a JSON object that matches it.",
                         {},
                         "",
                         ""}
                    );
                    co_await Save();
                    continue;
                }
            }
            if (node.empty()) {
                // The agent loop's conversation from its user message on is the turn a session keeps.
                turn_.assign(
                    ctx.progress.messages.begin() +
                        static_cast<std::ptrdiff_t>(std::min(ctx.progress.history.size(), ctx.progress.messages.size())
                        ),
                    ctx.progress.messages.end()
                );
            }
            ctx.progress.llm_node.reset();
            ctx.progress.messages.clear();
            co_return result.text;
        }
    }

    // --- graph --------------------------------------------------------------------------------------------------

    net::awaitable<Json> RunNode(const spec::NodeSpec& node) {
        switch (node.type) {
            case spec::NodeType::kLlm: {
                const std::string prompt = Render(node.prompt, "graph.nodes." + node.name + ".prompt");
                co_return Json(co_await Converse(node.name, prompt, &node.tools, nullptr));
            }
            case spec::NodeType::kTool: {
                const Json args = RenderJson(node.args, "graph.nodes." + node.name + ".args");
                // A named call, not a braced temporary: g++ 12 destroys temporaries of a co_await operand twice.
                const providers::ToolCall call{
                    "node_" + node.name + "_" + std::to_string(ctx.progress.steps), node.tool, args};
                const auto outcome = co_await CallTool(call);
                if (outcome.is_error) {
                    throw RunFailure(
                        "ToolError",
                        "tool " + node.tool + " failed in node " + node.name + ": " + outcome.output.value("error", "")
                    );
                }
                co_return outcome.output;
            }
            case spec::NodeType::kAgent: {
                Step();
                const Json input = RenderJson(node.input, "graph.nodes." + node.name + ".input");
                try {
                    co_return co_await Child(node.agent, input);
                } catch (const core::Error& e) {
                    throw RunFailure("ChildRunFailed", e.what());
                }
            }
            case spec::NodeType::kRouter:
                Step();
                co_return Json(nullptr);
            case spec::NodeType::kApproval: {
                const auto* answer = Answer(NodePoint(node));
                if (answer == nullptr) {
                    auto p = NodePause(node, "approval");
                    p.message = Render(node.message, "graph.nodes." + node.name + ".message");
                    p.on_timeout = node.on_timeout;
                    throw PauseHere{std::move(p)};
                }
                Step();
                const bool approved = answer->decision == "approve";
                if (!approved && !node.on_reject) {
                    throw RunFailure(
                        "ApprovalRejected",
                        "approval " + node.name + " was rejected" +
                            (answer->status == "expired" ? " (no decision before the deadline)" : "") +
                            (answer->comment ? ": " + *answer->comment : std::string())
                    );
                }
                co_return Json{
                    {"approved", approved},
                    {"comment", answer->comment ? Json(*answer->comment) : Json(nullptr)},
                    {"responded_by", answer->responded_by ? Json(*answer->responded_by) : Json(nullptr)}};
            }
            case spec::NodeType::kInput: {
                const auto* answer = Answer(NodePoint(node));
                if (answer == nullptr) {
                    auto p = NodePause(node, "input");
                    p.question = Render(node.question, "graph.nodes." + node.name + ".question");
                    if (!node.options.empty()) {
                        p.options = node.options;
                    }
                    if (node.default_answer) {
                        p.default_answer = *node.default_answer;
                    }
                    throw PauseHere{std::move(p)};
                }
                Step();
                if (answer->response.is_null()) {
                    throw RunFailure(
                        "InputTimeout",
                        "input " + node.name + " got no answer before its deadline, and it has no default"
                    );
                }
                co_return answer->response;
            }
        }
        co_return Json(nullptr);
    }

    /// What an approval or input node pauses with, before its kind's own fields.
    store::NewPause NodePause(const spec::NodeSpec& node, std::string kind) const {
        store::NewPause p;
        p.kind = std::move(kind);
        p.point = NodePoint(node);
        p.node_name = node.name;
        p.timeout_s = node.timeout_s;
        return p;
    }

    std::optional<std::string> Next(const spec::NodeSpec& node, const Json& result) const {
        const auto& g = *ctx.spec->graph;
        if (node.type == spec::NodeType::kApproval && !result.value("approved", true)) {
            return node.on_reject;  // RunNode failed the run when there is none
        }
        if (node.type == spec::NodeType::kRouter) {
            const Json scope = {{"state", ctx.progress.state}, {"input", ctx.run.input}};
            for (const auto& route : node.routes) {
                if (!route.when || templating::WhenExpr::Parse(*route.when, "when").Evaluate(scope)) {
                    return route.to;
                }
            }
            throw RunFailure("GraphError", "router " + node.name + ": no route matched and there is no default route");
        }
        for (const auto& [from, to] : g.edges) {
            if (from == node.name) {
                return to;
            }
        }
        return std::nullopt;
    }

    net::awaitable<Json> RunGraph() {
        const auto& g = *ctx.spec->graph;
        if (!ctx.progress.node && ctx.progress.steps == 0) {
            ctx.progress.node = g.start;
        }
        while (ctx.progress.node) {
            const auto* node = g.Find(*ctx.progress.node);
            if (node == nullptr) {
                throw RunFailure(
                    "GraphError",
                    "the checkpoint names node " + *ctx.progress.node + ", which the definition does not have"
                );
            }
            const auto t0 = SteadyClock::now();
            const bool llm = node->type == spec::NodeType::kLlm;  // llm nodes report each model turn as a step
            const bool pauses = node->type == spec::NodeType::kApproval || node->type == spec::NodeType::kInput;
            // A pause node's start was recorded before it paused; its resumed execution only ends it.
            if (!llm && !(pauses && Answer(NodePoint(*node)) != nullptr)) {
                Event(
                    "step", {{"node_name", node->name}, {"node_type", spec::ToString(node->type)}, {"phase", "start"}}
                );
            }
            Json result = co_await RunNode(*node);
            if (node->output) {
                ctx.progress.state[*node->output] = result;
            }
            if (node->type != spec::NodeType::kRouter) {
                ctx.progress.last_output = result;
            }
            if (!llm) {
                Event(
                    "step",
                    {{"node_name", node->name},
                     {"node_type", spec::ToString(node->type)},
                     {"phase", "end"},
                     {"duration_ms", Millis(t0)},
                     {"output", result}}
                );
            }
            ctx.progress.node = Next(*node, result);
            if (ctx.progress.node) {
                co_await Save();  // after the last node, the closing transaction writes this step
            }
        }
        if (!g.output.is_null()) {
            co_return AsOutput(RenderJson(g.output, "graph.output"));
        }
        co_return AsOutput(ctx.progress.last_output);
    }

    net::awaitable<Json> RunAgentLoop() {
        const Json* schema = ctx.spec->output_schema.is_null() ? nullptr : &ctx.spec->output_schema;
        const std::string text = co_await Converse("", UserMessage(ctx.run.input), nullptr, schema);
        if (schema != nullptr) {
            co_return Json::parse(text);
        }
        co_return Json{{"content", text}};
    }

    // --- the end ------------------------------------------------------------------------------------------------

    net::awaitable<RunOutcome> Finish(
        core::RunStatus status,
        Json output,
        std::optional<std::string> error_type,
        std::optional<std::string> error_message
    ) {
        RunOutcome outcome;
        outcome.run_id = run_id();
        outcome.status = status;
        outcome.output = output;
        outcome.error_type = error_type;
        outcome.error_message = error_message;
        outcome.totals = ctx.totals;
        const Json checkpoint = ctx.progress.ToJson();
        std::vector<store::NewEvent> events;
        events.swap(ctx.events);
        const RunTotals usage = ctx.unsaved;
        ctx.unsaved = {};
        // One statement: the last step's events, run_end (or error), the checkpoint with the usage, the close.
        // The totals come from memory (ctx.totals holds every saved and unsaved step), so nothing is read first.
        const auto& t = ctx.totals;
        if (status == core::RunStatus::kCompleted) {
            events.push_back(
                {"run_end",
                 core::EventLevel::kInfo,
                 {{"output", output},
                  {"prompt_tokens", t.prompt_tokens},
                  {"completion_tokens", t.completion_tokens},
                  {"total_tokens", t.prompt_tokens + t.completion_tokens},
                  {"cost_usd", t.cost_usd},
                  {"model", t.model ? Json(*t.model) : Json(nullptr)}},
                 deps.clock.Now()}
            );
        } else {
            events.push_back(
                {"error",
                 core::EventLevel::kError,
                 {{"error_type", error_type.value_or("Error")}, {"error_message", error_message.value_or("")}},
                 deps.clock.Now()}
            );
        }
        const store::FinalStep step{
            checkpoint, ctx.progress.steps, usage.prompt_tokens, usage.completion_tokens, usage.cost_usd, usage.model};
        store::RunEnd end;
        end.status = status;
        end.output = status == core::RunStatus::kCompleted ? output : Json(nullptr);
        end.error_message = error_message;
        end.error_detail = error_type ? Json{{"error_type", *error_type}} : Json(nullptr);
        end.events = std::move(events);
        end.step = &step;
        end.lease_term = ctx.run.lease_term;
        end.end_pauses = false;  // this run is running: it has no pending pause
        if (ctx.run.session_id && status == core::RunStatus::kCompleted) {
            end.session_turn = SessionTurn(output);
        }
        std::optional<engine::CloseResult> closed;
        std::optional<core::RunStatus> now_status;
        co_await deps.pool.Autocommit([&](store::Tx& tx) {
            closed = engine::CloseOpenRun(tx, workspace(), run_id(), end);
            if (!closed) {
                const auto run = store::RunRepo(tx).Get(workspace(), run_id());  // closed meanwhile (cancelled)
                now_status = run ? run->status : core::RunStatus::kFailed;
            }
        });
        if (closed) {
            outcome.totals.prompt_tokens = closed->run.prompt_tokens;
            outcome.totals.completion_tokens = closed->run.completion_tokens;
            outcome.totals.cost_usd = closed->run.cost_usd;
            outcome.totals.model = closed->run.model;
        } else {
            outcome.status = *now_status;
        }
        co_return outcome;
    }

    /// The outcome of an execution that may not write: the run as the database has it now.
    net::awaitable<RunOutcome> AsStored() {
        RunOutcome outcome;
        outcome.run_id = run_id();
        outcome.totals = ctx.totals;
        std::optional<store::RunRecord> run;
        co_await deps.pool.Autocommit([&](store::Tx& tx) { run = store::RunRepo(tx).Get(workspace(), run_id()); });
        outcome.status = run ? run->status : core::RunStatus::kFailed;
        if (run) {
            outcome.error_message = run->error_message;
            outcome.output = run->output;
        }
        co_return outcome;
    }

    /// Writes the pause (with the checkpoint, the status and the step's events) and ends this execution.
    net::awaitable<RunOutcome> Pause(store::NewPause p) {
        p.id = core::NewUuidV7();
        const bool approval = p.kind == "approval";
        Json context = Json::object();
        if (p.tool_name) {
            context["tool_name"] = *p.tool_name;
            context["arguments"] = p.arguments;
        }
        if (p.node_name) {
            context["node_name"] = *p.node_name;
        }
        Json requested = {
            {"question", approval ? p.message.value_or("") : p.question.value_or("")},
            {"context", context},
            {"channel", "api"},
            {"kind", p.kind}};
        requested[approval ? "approval_id" : "request_id"] = p.id;
        if (!p.options.is_null()) {
            requested["options"] = p.options;
        }
        Event("human_input_requested", requested);
        store::PausedStep step;
        step.status = approval ? "awaiting_approval" : "awaiting_input";
        step.checkpoint = ctx.progress.ToJson();
        step.step_count = ctx.progress.steps;
        step.events.swap(ctx.events);
        const RunTotals usage = ctx.unsaved;
        ctx.unsaved = {};
        bool opened = false;
        // Synchronous: whoever is told of the pause can answer it at once, from any server.
        co_await deps.pool.Autocommit([&](store::Tx& tx) {
            opened = store::PauseRepo(tx).Open(workspace(), run_id(), ctx.run.lease_term, step, AsUsage(usage), p);
        });
        if (!opened) {
            co_return co_await AsStored();  // cancelled meanwhile, or another server holds the run
        }
        RunOutcome outcome;
        outcome.run_id = run_id();
        outcome.status = approval ? core::RunStatus::kAwaitingApproval : core::RunStatus::kAwaitingInput;
        outcome.totals = ctx.totals;
        outcome.pause = PauseInfo{p.kind, p.id, p.tool_name, p.message, p.question, p.options};
        co_return outcome;
    }

    net::awaitable<RunOutcome> Run() {
        struct ForgetChunks {  // however this execution ends, its chunks are stored (in a step) or moot
            events::LiveHub* hub;
            const std::string& run_id;

            ~ForgetChunks() {
                if (hub != nullptr) {
                    hub->Stored(run_id, 0, true);
                }
            }
        } forget{deps.hub, ctx.run.id};

        std::optional<std::pair<std::string, std::string>> failure;
        std::optional<store::NewPause> pause;
        bool stopped = false;
        Json output;
        try {
            CheckCancelled();
            co_await LoadSession();
            OfferRemember();
            // Not `graph ? co_await … : co_await …`: g++ 12 miscompiles co_await in both arms of ?:.
            if (ctx.spec->graph) {
                output = co_await RunGraph();
            } else {
                output = co_await RunAgentLoop();
            }
            if (ctx.spec->graph && !ctx.spec->output_schema.is_null()) {
                if (const auto problem = spec::ValidateAgainstSchema(ctx.spec->output_schema, output)) {
                    throw RunFailure(
                        "OutputSchemaError", "the graph's output does not match output_schema: " + *problem
                    );
                }
            }
        } catch (PauseHere& p) {
            pause = std::move(p.pause);
        } catch (const Stopped&) {
            stopped = true;
        } catch (const RunFailure& f) {
            failure = std::make_pair(f.type(), std::string(f.what()));
        } catch (const core::Error& e) {
            if (e.code() == core::ErrorCode::kUnavailable) {
                throw;  // the store is down: the run stays open for recovery
            }
            failure = std::make_pair(std::string("Error"), std::string(e.what()));
        } catch (const std::exception& e) {
            // Anything else (a library's exception) still ends the run: a run left open is never picked up again.
            failure = std::make_pair(std::string("Error"), std::string(e.what()));
        }
        if (failure && ctx.cancelled && ctx.cancelled->load()) {
            // Interrupted (a cancel, or this server shutting down): what failed was the interruption. A cancel has
            // closed the run already; at a shutdown it stays open, for its lease to let another server continue it.
            stopped = true;
        }
        if (stopped) {
            co_return co_await AsStored();
        }
        if (pause) {
            co_return co_await Pause(std::move(*pause));
        }
        if (failure) {
            co_return co_await Finish(core::RunStatus::kFailed, nullptr, failure->first, failure->second);
        }
        co_return co_await Finish(core::RunStatus::kCompleted, std::move(output), std::nullopt, std::nullopt);
    }
};

Executor::Executor(const ExecutorDeps& deps, RunContext context)
    : impl_(std::make_unique<Impl>(deps, std::move(context))) {}

Executor::~Executor() = default;

net::awaitable<RunOutcome> Executor::Run() {
    return impl_->Run();
}

}  // namespace agentos::graph
