#include "runtime/store/pg.hpp"

#include <cstdio>

namespace agentos::store {

Params& Params::Add(std::string value) {
    values_.emplace_back(std::move(value));
    return *this;
}

Params& Params::Add(const std::optional<std::string>& value) {
    values_.push_back(value);
    return *this;
}

Params& Params::Add(std::int64_t value) {
    return Add(std::to_string(value));
}

Params& Params::Add(double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    return Add(std::string(buf));
}

Params& Params::Add(bool value) {
    return Add(std::string(value ? "true" : "false"));
}

Params& Params::Add(const nlohmann::json& value) {
    if (value.is_null()) {
        return AddNull();
    }
    return Add(value.dump());
}

Params& Params::Add(core::TimePoint value) {
    return Add(core::FormatIso(value));
}

Params& Params::AddNull() {
    values_.emplace_back(std::nullopt);
    return *this;
}

std::vector<const char*> Params::Pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& v : values_) {
        out.push_back(v ? v->c_str() : nullptr);
    }
    return out;
}

pqxx::result Tx::Exec(const Query& query, const Params& params) {
    std::string name(query.name);
    const bool fresh = prepared_.insert(name).second;
    if (fresh) {
        connection_.prepare(name, std::string(query.sql));
    }
    if (defer_flush_ && (autocommit_ || !flush_deferred_)) {
        if (fresh) {
            connection_.prepare_now(name);  // SQL-level EXECUTE needs it on the server, not only declared
        }
        return ExecDeferred(name, params);
    }
    const auto pointers = params.Pointers();
    return work_.exec_prepared(name, pqxx::prepare::make_dynamic_params(pointers));
}

pqxx::result Tx::ExecDeferred(const std::string& name, const Params& params) {
    // A simple query of two statements is one implicit transaction (in autocommit mode) or part of the open one:
    // set_config(..., true) lasts until that transaction's commit, which is what it changes. EXECUTE runs the
    // same prepared plan as exec_prepared; the parameters travel as quoted literals of the types it was prepared
    // with. The result is the last statement's.
    std::string sql = "SELECT set_config('synchronous_commit', 'off', true); EXECUTE " + name;
    const auto& values = params.values();
    for (std::size_t i = 0; i < values.size(); ++i) {
        sql += i == 0 ? "(" : ", ";
        sql += values[i] ? work_.quote(*values[i]) : std::string("NULL");
    }
    if (!values.empty()) {
        sql += ")";
    }
    flush_deferred_ = true;
    return work_.exec(sql);
}

pqxx::result Tx::ExecRaw(const std::string& sql) {
    return work_.exec(sql);
}

std::string ReadString(const pqxx::field& field) {
    return field.is_null() ? std::string() : field.c_str();
}

std::optional<std::string> ReadOptString(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return std::string(field.c_str());
}

std::int64_t ReadInt(const pqxx::field& field) {
    return field.is_null() ? 0 : field.as<std::int64_t>();
}

std::optional<std::int64_t> ReadOptInt(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return field.as<std::int64_t>();
}

double ReadDouble(const pqxx::field& field) {
    return field.is_null() ? 0.0 : field.as<double>();
}

std::optional<double> ReadOptDouble(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return field.as<double>();
}

bool ReadBool(const pqxx::field& field) {
    return !field.is_null() && field.as<bool>();
}

nlohmann::json ReadJson(const pqxx::field& field) {
    if (field.is_null()) {
        return nullptr;
    }
    return nlohmann::json::parse(field.c_str());
}

core::TimePoint ReadTime(const pqxx::field& field) {
    return core::FromUnixMicros(ReadInt(field));
}

std::optional<core::TimePoint> ReadOptTime(const pqxx::field& field) {
    if (field.is_null()) {
        return std::nullopt;
    }
    return ReadTime(field);
}

}  // namespace agentos::store
