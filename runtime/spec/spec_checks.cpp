#include "runtime/spec/spec_checks.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "runtime/core/error.hpp"
#include "runtime/spec/json_schema.hpp"
#include "runtime/spec/yaml_loader.hpp"
#include "runtime/template/template.hpp"
#include "runtime/template/when_expr.hpp"
#include "scheduler/cron/cron_expr.hpp"

namespace agentos::spec {
namespace {

using templating::RefKind;
using templating::TemplateRef;

/// What templates at one place may name.
struct Allowed {
    bool state = false;
    bool args = false;
    const nlohmann::json* arg_properties = nullptr;  ///< when set, {{args.x}} must be one of them
};

class Checker {
public:
    Checker(const AgentSpec& a, std::vector<SpecError>& errors) : a_(a), errors_(errors) {
        if (a.graph) {
            for (const auto& n : a.graph->nodes) {
                if (n.output) {
                    produced_.insert(*n.output);
                }
            }
        }
    }

    void Error(SourcePos pos, std::string path, std::string message) {
        errors_.push_back({pos, std::move(path), std::move(message)});
    }

    void CheckRefs(
        const std::vector<TemplateRef>& refs, SourcePos pos, const std::string& path, const Allowed& allowed
    ) {
        for (const auto& ref : refs) {
            const std::string shown = "{{" + ref.text + "}}";
            switch (ref.kind) {
                case RefKind::kVariable:
                    if (a_.variables.count(ref.text) == 0) {
                        Error(
                            pos,
                            path,
                            shown + " names a prompt variable the agent does not declare (add it under variables)"
                        );
                    }
                    break;
                case RefKind::kInput:
                    break;  // the input has no schema: checked when a run renders it
                case RefKind::kState:
                    if (!allowed.state) {
                        Error(pos, path, shown + ": there is no graph state here");
                    } else if (!ref.path.empty() && produced_.count(ref.path.front()) == 0) {
                        Error(
                            pos,
                            path,
                            shown + " names state." + ref.path.front() +
                                ", which no node produces (no node has output: " + ref.path.front() + ")"
                        );
                    }
                    break;
                case RefKind::kArgs:
                    if (!allowed.args) {
                        Error(pos, path, shown + ": tool arguments exist only inside a tool definition");
                    } else if (allowed.arg_properties != nullptr && !ref.path.empty() && !allowed.arg_properties->contains(ref.path.front())) {
                        Error(pos, path, shown + " names an argument that parameters.properties does not declare");
                    }
                    break;
            }
        }
    }

    void CheckText(const std::string& text, SourcePos pos, const std::string& path, const Allowed& allowed) {
        try {
            CheckRefs(templating::Template::Parse(text, path).refs(), pos, path, allowed);
        } catch (const core::Error& e) {
            Error(pos, "", e.what());
        }
    }

    void CheckJson(const nlohmann::json& value, SourcePos pos, const std::string& path, const Allowed& allowed) {
        try {
            CheckRefs(templating::CollectRefs(value, path), pos, path, allowed);
        } catch (const core::Error& e) {
            Error(pos, "", e.what());
        }
    }

    void CheckModel() {
        for (std::size_t i = 0; i < a_.model.script.size(); ++i) {
            const auto& step = a_.model.script[i];
            if (step.tool_name && a_.FindTool(*step.tool_name) == nullptr) {
                Error(
                    {},
                    "model.script[" + std::to_string(i) + "].tool_call.name",
                    "'" + *step.tool_name + "' is not one of the agent's tools"
                );
            }
        }
    }

    void CheckTools() {
        for (std::size_t i = 0; i < a_.tools.size(); ++i) {
            const auto& t = a_.tools[i];
            const std::string path = "tools[" + std::to_string(i) + "]";
            if (t.kind == ToolKind::kBuiltin) {
                continue;
            }
            if (const auto problem = SchemaProblem(t.parameters)) {
                Error(t.pos, path + ".parameters", *problem);
            }
            const auto props = t.parameters.find("properties");
            Allowed allowed{false, true, props != t.parameters.end() && props->is_object() ? &*props : nullptr};
            const std::string http = path + (t.kind == ToolKind::kWebhook ? ".webhook" : ".http");
            CheckText(t.http.url, t.pos, http + ".url", allowed);
            for (const auto& [name, value] : t.http.headers) {
                CheckText(value, t.pos, http + ".headers." + name, allowed);
            }
            if (!t.http.body.is_null()) {
                CheckJson(t.http.body, t.pos, http + ".body", allowed);
            }
        }
    }

    void CheckSchedules() {
        for (std::size_t i = 0; i < a_.schedules.size(); ++i) {
            const auto& s = a_.schedules[i];
            const std::string path = "schedules[" + std::to_string(i) + "]";
            try {
                scheduler::CronExpr::Parse(s.cron, path + ".cron");
            } catch (const core::Error& e) {
                Error(s.pos, "", e.what());
            }
            try {
                scheduler::LoadTimeZone(s.timezone, path + ".timezone");
            } catch (const core::Error& e) {
                Error(s.pos, "", e.what());
            }
            for (const auto& [name, value] : s.prompt_variables) {
                if (a_.variables.count(name) == 0) {
                    Error(s.pos, path + ".prompt_variables." + name, "the agent does not declare this variable");
                }
            }
            for (const auto& [name, v] : a_.variables) {
                if (v.required && s.prompt_variables.count(name) == 0) {
                    Error(s.pos, path + ".prompt_variables", "missing the required variable " + name);
                }
            }
        }
    }

    void CheckGraph() {
        const GraphSpec& g = *a_.graph;
        const Allowed in_graph{true, false, nullptr};
        if (g.Find(g.start) == nullptr) {
            Error(g.pos, "graph.start", "'" + g.start + "' is not a node of the graph");
        }
        std::map<std::string, std::vector<std::string>> next;
        std::map<std::string, int> plain_edges;
        for (std::size_t i = 0; i < g.edges.size(); ++i) {
            const auto& [from, to] = g.edges[i];
            const std::string path = "graph.edges[" + std::to_string(i) + "]";
            const NodeSpec* f = g.Find(from);
            if (f == nullptr) {
                Error(g.edge_pos[i], path, "'" + from + "' is not a node of the graph");
            }
            if (g.Find(to) == nullptr) {
                Error(g.edge_pos[i], path, "'" + to + "' is not a node of the graph");
            }
            if (f != nullptr && f->type == NodeType::kRouter) {
                Error(g.edge_pos[i], path, "'" + from + "' is a router: its routes are its edges");
            }
            if (++plain_edges[from] == 2 && f != nullptr && f->type != NodeType::kRouter) {
                Error(g.edge_pos[i], path, "'" + from + "' already has an outgoing edge; branch with a router node");
            }
            next[from].push_back(to);
        }
        for (const auto& n : g.nodes) {
            const std::string path = "graph.nodes." + n.name;
            switch (n.type) {
                case NodeType::kLlm:
                    CheckText(n.prompt, n.pos, path + ".prompt", in_graph);
                    for (const auto& t : n.tools) {
                        if (a_.FindTool(t) == nullptr) {
                            Error(n.pos, path + ".tools", "'" + t + "' is not one of the agent's tools");
                        }
                    }
                    break;
                case NodeType::kTool:
                    if (!n.tool.empty() && a_.FindTool(n.tool) == nullptr) {
                        Error(n.pos, path + ".tool", "'" + n.tool + "' is not one of the agent's tools");
                    }
                    CheckJson(n.args, n.pos, path + ".args", in_graph);
                    break;
                case NodeType::kApproval:
                    CheckText(n.message, n.pos, path + ".message", in_graph);
                    if (n.on_reject) {
                        if (g.Find(*n.on_reject) == nullptr) {
                            Error(n.pos, path + ".on_reject", "'" + *n.on_reject + "' is not a node of the graph");
                        }
                        next[n.name].push_back(*n.on_reject);
                    }
                    break;
                case NodeType::kInput:
                    CheckText(n.question, n.pos, path + ".question", in_graph);
                    break;
                case NodeType::kAgent:
                    CheckJson(n.input, n.pos, path + ".input", in_graph);
                    if (n.agent == a_.slug) {
                        Error(n.pos, path + ".agent", "an agent cannot start itself as a child");
                    }
                    break;
                case NodeType::kRouter:
                    for (std::size_t i = 0; i < n.routes.size(); ++i) {
                        const auto& r = n.routes[i];
                        const std::string rp = path + ".routes[" + std::to_string(i) + "]";
                        if (g.Find(r.to) == nullptr) {
                            Error(r.pos, rp + ".to", "'" + r.to + "' is not a node of the graph");
                        }
                        next[n.name].push_back(r.to);
                        if (!r.when) {
                            if (i + 1 != n.routes.size()) {
                                Error(
                                    r.pos, rp, "the default route (no when) must come last: routes after it never run"
                                );
                            }
                            continue;
                        }
                        CheckWhen(*r.when, r.pos, rp + ".when");
                    }
                    break;
            }
        }
        if (!g.output.is_null()) {
            CheckJson(g.output, g.pos, "graph.output", in_graph);
        }
        CheckReachable(g, next);
        CheckCycles(g, next);
    }

    void CheckWhen(const std::string& text, SourcePos pos, const std::string& path) {
        try {
            const auto expr = templating::WhenExpr::Parse(text, path);
            for (const auto& p : expr.paths()) {
                if (p.size() >= 2 && p.front() == "state" && produced_.count(p[1]) == 0) {
                    Error(pos, path, "state." + p[1] + " is produced by no node (no node has output: " + p[1] + ")");
                }
            }
        } catch (const core::Error& e) {
            Error(pos, "", e.what());
        }
    }

    void CheckReachable(const GraphSpec& g, const std::map<std::string, std::vector<std::string>>& next) {
        if (g.Find(g.start) == nullptr) {
            return;
        }
        std::set<std::string> seen{g.start};
        std::vector<std::string> stack{g.start};
        while (!stack.empty()) {
            const auto n = stack.back();
            stack.pop_back();
            const auto it = next.find(n);
            if (it == next.end()) {
                continue;
            }
            for (const auto& to : it->second) {
                if (g.Find(to) != nullptr && seen.insert(to).second) {
                    stack.push_back(to);
                }
            }
        }
        for (const auto& n : g.nodes) {
            if (seen.count(n.name) == 0) {
                Error(n.pos, "graph.nodes." + n.name, "unreachable: no edge or route from graph.start leads here");
            }
        }
    }

    /// Tarjan's strongly connected components: a cycle must contain an llm or router node, which can end it.
    void CheckCycles(const GraphSpec& g, const std::map<std::string, std::vector<std::string>>& next) {
        std::map<std::string, int> index;
        std::map<std::string, int> low;
        std::set<std::string> on_stack;
        std::vector<std::string> stack;
        int counter = 0;
        std::function<void(const std::string&)> visit = [&](const std::string& v) {
            index[v] = low[v] = counter++;
            stack.push_back(v);
            on_stack.insert(v);
            if (const auto it = next.find(v); it != next.end()) {
                for (const auto& w : it->second) {
                    if (g.Find(w) == nullptr) {
                        continue;
                    }
                    if (index.count(w) == 0) {
                        visit(w);
                        low[v] = std::min(low[v], low[w]);
                    } else if (on_stack.count(w) != 0) {
                        low[v] = std::min(low[v], index[w]);
                    }
                }
            }
            if (low[v] != index[v]) {
                return;
            }
            std::vector<std::string> component;
            std::string w;
            do {
                w = stack.back();
                stack.pop_back();
                on_stack.erase(w);
                component.push_back(w);
            } while (w != v);
            const auto& edges = next.count(v) != 0 ? next.at(v) : std::vector<std::string>{};
            const bool self_loop = std::find(edges.begin(), edges.end(), v) != edges.end();
            if (component.size() < 2 && !self_loop) {
                return;
            }
            const bool can_end = std::any_of(component.begin(), component.end(), [&](const std::string& name) {
                const auto* n = g.Find(name);
                return n != nullptr && (n->type == NodeType::kLlm || n->type == NodeType::kRouter);
            });
            if (!can_end) {
                std::sort(component.begin(), component.end());
                std::string list;
                for (const auto& c : component) {
                    list.append(list.empty() ? "" : " → ").append(c);
                }
                Error(
                    g.Find(component.front())->pos,
                    "graph.edges",
                    "cycle without an llm or router node to end it: " + list
                );
            }
        };
        for (const auto& n : g.nodes) {
            if (index.count(n.name) == 0) {
                visit(n.name);
            }
        }
    }

    void Run() {
        if (!a_.hosted) {
            return;
        }
        const Allowed top{a_.graph.has_value(), false, nullptr};
        CheckText(a_.instructions, a_.instructions_pos, "instructions", top);
        CheckModel();
        CheckTools();
        CheckSchedules();
        if (!a_.output_schema.is_null()) {
            if (const auto problem = SchemaProblem(a_.output_schema)) {
                Error(a_.output_schema_pos, "output_schema", *problem);
            } else if (a_.output_schema.value("type", "") != "object") {
                Error(a_.output_schema_pos, "output_schema.type", "the output is a JSON object: type must be object");
            }
        }
        if (a_.graph) {
            CheckGraph();
        }
    }

private:
    const AgentSpec& a_;
    std::vector<SpecError>& errors_;
    std::set<std::string> produced_;
};

}  // namespace

void CheckAgent(const AgentSpec& agent, std::vector<SpecError>& errors) {
    Checker(agent, errors).Run();
}

}  // namespace agentos::spec
