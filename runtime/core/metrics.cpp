#include "runtime/core/metrics.hpp"

#include <cstdint>
#include <sstream>

namespace agentos::core {
namespace {

std::string RenderLabels(const Metrics::Labels& labels) {
    if (labels.empty()) {
        return "";
    }
    std::string out = "{";
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        out.append(labels[i].first).append("=\"");
        for (const char c : labels[i].second) {
            if (c == '\\' || c == '"') {
                out.push_back('\\');
                out.push_back(c);
            } else if (c == '\n') {
                out.append("\\n");
            } else {
                out.push_back(c);
            }
        }
        out.push_back('"');
    }
    out.push_back('}');
    return out;
}

/// Adds `extra` (le="…") to a rendered label set.
std::string WithLabel(const std::string& rendered, const std::string& extra) {
    if (rendered.empty()) {
        return "{" + extra + "}";
    }
    return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

std::string FormatNumber(double v) {
    std::ostringstream s;
    s.precision(15);
    s << v;
    return s.str();
}

}  // namespace

void Metrics::DescribeCounter(std::string name, std::string help) {
    const std::lock_guard lock(mutex_);
    auto& f = families_[std::move(name)];
    f.type = Type::kCounter;
    f.help = std::move(help);
}

void Metrics::DescribeGauge(std::string name, std::string help) {
    const std::lock_guard lock(mutex_);
    auto& f = families_[std::move(name)];
    f.type = Type::kGauge;
    f.help = std::move(help);
}

void Metrics::DescribeHistogram(std::string name, std::string help, std::vector<double> buckets) {
    const std::lock_guard lock(mutex_);
    auto& f = families_[std::move(name)];
    f.type = Type::kHistogram;
    f.help = std::move(help);
    f.bounds = std::move(buckets);
}

Metrics::Family& Metrics::FamilyLocked(std::string_view name, Type type) {
    auto it = families_.find(name);
    if (it == families_.end()) {
        it = families_.emplace(std::string(name), Family{}).first;
        it->second.type = type;
    }
    return it->second;
}

void Metrics::Add(std::string_view name, const Labels& labels, double value) {
    const std::lock_guard lock(mutex_);
    FamilyLocked(name, Type::kCounter).series[RenderLabels(labels)].value += value;
}

void Metrics::Set(std::string_view name, const Labels& labels, double value) {
    const std::lock_guard lock(mutex_);
    FamilyLocked(name, Type::kGauge).series[RenderLabels(labels)].value = value;
}

void Metrics::Observe(std::string_view name, const Labels& labels, double value) {
    const std::lock_guard lock(mutex_);
    Family& f = FamilyLocked(name, Type::kHistogram);
    Series& s = f.series[RenderLabels(labels)];
    if (s.buckets.size() != f.bounds.size()) {
        s.buckets.assign(f.bounds.size(), 0);
    }
    for (std::size_t i = 0; i < f.bounds.size(); ++i) {
        if (value <= f.bounds[i]) {
            ++s.buckets[i];
        }
    }
    ++s.count;
    s.value += value;
}

double Metrics::Value(std::string_view name, const Labels& labels) const {
    const std::lock_guard lock(mutex_);
    const auto it = families_.find(name);
    if (it == families_.end()) {
        return 0;
    }
    const auto s = it->second.series.find(RenderLabels(labels));
    return s == it->second.series.end() ? 0 : s->second.value;
}

std::string Metrics::Render() const {
    const std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        const char* type = f.type == Type::kCounter ? "counter" : f.type == Type::kGauge ? "gauge" : "histogram";
        out.append("# HELP ").append(name).append(" ").append(f.help).append("\n");
        out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
        for (const auto& [labels, s] : f.series) {
            if (f.type != Type::kHistogram) {
                out.append(name).append(labels).append(" ").append(FormatNumber(s.value)).append("\n");
                continue;
            }
            for (std::size_t i = 0; i < f.bounds.size(); ++i) {
                out.append(name)
                    .append("_bucket")
                    .append(WithLabel(labels, "le=\"" + FormatNumber(f.bounds[i]) + "\""))
                    .append(" ")
                    .append(std::to_string(i < s.buckets.size() ? s.buckets[i] : 0))
                    .append("\n");
            }
            out.append(name)
                .append("_bucket")
                .append(WithLabel(labels, "le=\"+Inf\""))
                .append(" ")
                .append(std::to_string(s.count))
                .append("\n");
            out.append(name).append("_sum").append(labels).append(" ").append(FormatNumber(s.value)).append("\n");
            out.append(name).append("_count").append(labels).append(" ").append(std::to_string(s.count)).append("\n");
        }
    }
    return out;
}

}  // namespace agentos::core
