#include "runtime/graph/executor.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>

#include <spdlog/spdlog.h>

#include "runtime/core/error.hpp"
#include "runtime/core/time.hpp"
#include "runtime/run_close.hpp"
#include "runtime/spec/json_schema.hpp"
#include "runtime/store/pg.hpp"
#include "runtime/store/pg_pool.hpp"
#include "runtime/template/template.hpp"
#include "runtime/template/when_expr.hpp"

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

    /// Writes the checkpoint, the step's events and its usage in one transaction.
    net::awaitable<void> Save() {
        const Json checkpoint = ctx.progress.ToJson();
        std::vector<store::NewEvent> events;
        events.swap(ctx.events);
        const RunTotals usage = ctx.unsaved;
        ctx.unsaved = {};
        const auto steps = ctx.progress.steps;
        bool open = true;
        co_await deps.pool.Autocommit([&](store::Tx& tx) {
            // A step between others needs no flush of its own: the run's end is committed synchronously and flushes
            // it; a crash before that re-runs from an earlier step, which runs are built to survive (at least once).
            tx.DeferFlush();
            open = store::RunRepo(tx).SaveStep(workspace(), run_id(), checkpoint, steps, AsUsage(usage), events);
        });
        if (!open) {
            throw RunFailure("RunClosed", "the run was closed while it was running");
        }
    }

    // --- child runs ---------------------------------------------------------------------------------------------

    /// Runs a child and rolls its totals up into this run's; throws core::Error with why a child failed.
    net::awaitable<Json> Child(std::string slug, Json input) {
        const ChildResult child = co_await deps.run_child(ctx, slug, std::move(input));
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

    net::awaitable<tools::ToolOutcome> CallTool(const providers::ToolCall& call) {
        Step();
        const auto it = tools.find(call.name);
        if (it == tools.end()) {
            const auto* spec = ctx.spec->FindTool(call.name);
            if (spec != nullptr && spec->builtin == "ask_human") {
                throw RunFailure(
                    "Unsupported", "ask_human needs a durable pause, which this server does not support yet"
                );
            }
            std::string names;
            for (const auto& [name, _] : tools) {
                names.append(names.empty() ? "" : ", ").append(name);
            }
            co_return tools::ToolOutcome::Error("no tool named '" + call.name + "' (available: " + names + ")");
        }
        const auto& spec = it->second->spec();
        if (spec.requires_approval) {
            throw RunFailure(
                "Unsupported", "tool " + spec.name + " requires approval, which this server does not support yet"
            );
        }
        if (call.arguments.contains("_raw")) {
            co_return tools::ToolOutcome::Error("the arguments were not valid JSON");
        }
        if (const auto problem = spec::ValidateAgainstSchema(spec.parameters, call.arguments)) {
            co_return tools::ToolOutcome::Error("invalid arguments: " + *problem);
        }
        const auto t0 = SteadyClock::now();
        const std::string input_preview = tools::Preview(call.arguments);
        Event("tool_call", {{"tool_name", spec.name}, {"phase", "start"}, {"input_preview", input_preview}});
        tools::ToolCallContext tc{run_id(), call.id, workspace(), ctx.run.input, ctx.variables};
        tools::ToolOutcome outcome;
        try {
            outcome = co_await it->second->Call(call.arguments, tc);
        } catch (const RunFailure&) {
            throw;
        } catch (const std::exception& e) {
            outcome = tools::ToolOutcome::Error(e.what());
        }
        Event(
            "tool_call",
            {{"tool_name", spec.name},
             {"phase", "end"},
             {"input_preview", input_preview},
             {"output_preview", tools::Preview(outcome.output)},
             {"duration_ms", Millis(t0)}},
            outcome.is_error ? core::EventLevel::kWarn : core::EventLevel::kInfo
        );
        co_return outcome;
    }

    std::vector<providers::ToolDefinition> ToolDefinitions(const std::vector<std::string>* only) const {
        std::vector<providers::ToolDefinition> out;
        for (const auto& t : ctx.spec->tools) {
            if (only != nullptr && std::find(only->begin(), only->end(), t.name) == only->end()) {
                continue;
            }
            const auto it = tools.find(t.name);
            const auto& spec = it != tools.end() ? it->second->spec() : t;
            out.push_back({spec.name, spec.description, spec.parameters});
        }
        return out;
    }

    // --- model turns --------------------------------------------------------------------------------------------

    std::string System(bool json_schema) const {
        std::string system = Render(ctx.spec->instructions, "instructions");
        if (json_schema) {
            system += std::string(system.empty() ? "" : "\n\n") +
                      "Answer with only a JSON object that matches this JSON Schema:\n" +
                      ctx.spec->output_schema.dump();
        }
        return system;
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
                auto call = provider->Chat(std::move(req), providers::TokenSink{});
                result = co_await std::move(call);
            } catch (const providers::ProviderError& e) {
                throw RunFailure("ProviderError", e.what());
            }
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
                for (const auto& call : result.tool_calls) {
                    const auto outcome = co_await CallTool(call);
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
            case spec::NodeType::kApproval:
            case spec::NodeType::kInput:
                throw RunFailure(
                    "Unsupported",
                    std::string(spec::ToString(node.type)) + " node " + node.name +
                        " needs a durable pause, which this server does not support yet"
                );
        }
        co_return Json(nullptr);
    }

    std::optional<std::string> Next(const spec::NodeSpec& node) const {
        const auto& g = *ctx.spec->graph;
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
            if (!llm) {
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
            ctx.progress.node = Next(*node);
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

    net::awaitable<RunOutcome> Run() {
        std::optional<std::pair<std::string, std::string>> failure;
        Json output;
        try {
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
