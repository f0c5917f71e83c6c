#pragma once
/// The store's view of a transaction: named prepared queries with text parameters, and field readers.
/// Included only by runtime/store/*.cpp (and tests/pg): nothing outside the store sees pqxx.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "runtime/core/time.hpp"

namespace agentos::store {

/// A named SQL statement; the name is its prepared-statement name on every connection.
struct Query {
    std::string_view name;
    std::string_view sql;
};

/// Statement parameters, all sent as text (or NULL); the SQL casts them ($1::uuid, $2::jsonb, ...).
class Params {
public:
    Params() = default;

    Params& Add(std::string value);

    Params& Add(std::string_view value) { return Add(std::string(value)); }

    Params& Add(const char* value) { return Add(std::string(value)); }

    Params& Add(const std::optional<std::string>& value);
    Params& Add(std::int64_t value);

    Params& Add(int value) { return Add(static_cast<std::int64_t>(value)); }

    Params& Add(double value);
    Params& Add(bool value);
    Params& Add(const nlohmann::json& value);  ///< serialized; JSON null becomes SQL NULL
    Params& Add(core::TimePoint value);        ///< ISO-8601 UTC
    Params& AddNull();

    std::vector<const char*> Pointers() const;

    const std::vector<std::optional<std::string>>& values() const { return values_; }

private:
    std::vector<std::optional<std::string>> values_;
};

/// One database session step: a read-committed transaction (PgPool::Transact), or autocommit statements
/// (PgPool::Autocommit).
class Tx {
public:
    Tx(pqxx::connection& connection,
       pqxx::transaction_base& work,
       std::unordered_set<std::string>& prepared,
       bool autocommit)
        : connection_(connection), work_(work), prepared_(prepared), autocommit_(autocommit) {}

    pqxx::result Exec(const Query& query, const Params& params = {});

    /// Unprepared SQL (migrations, one-off statements); no parameters.
    pqxx::result ExecRaw(const std::string& sql);

    /// This transaction's commit (in autocommit mode: each later statement's) does not wait for the WAL flush
    /// (synchronous_commit off). Only for writes that a later synchronous commit makes durable before anyone is
    /// told about them: the WAL is flushed in order, so that commit flushes this one too. A crash before it loses
    /// this write and nothing that was promised. Costs no round trip: the setting travels with the next statement.
    void DeferFlush() { defer_flush_ = true; }

private:
    /// The statement with set_config(synchronous_commit) in front, as one simple query (one round trip).
    pqxx::result ExecDeferred(const std::string& name, const Params& params);

    pqxx::connection& connection_;
    pqxx::transaction_base& work_;
    std::unordered_set<std::string>& prepared_;
    bool autocommit_;
    bool defer_flush_ = false;
    bool flush_deferred_ = false;  ///< set_config already sent in this transaction
};

// Field readers: one place for how SQL values become C++ values.
std::string ReadString(const pqxx::field& field);
std::optional<std::string> ReadOptString(const pqxx::field& field);
std::int64_t ReadInt(const pqxx::field& field);
std::optional<std::int64_t> ReadOptInt(const pqxx::field& field);
double ReadDouble(const pqxx::field& field);
std::optional<double> ReadOptDouble(const pqxx::field& field);
bool ReadBool(const pqxx::field& field);
nlohmann::json ReadJson(const pqxx::field& field);  ///< NULL → json null
/// A column selected as `(extract(epoch FROM t) * 1000000)::bigint`.
core::TimePoint ReadTime(const pqxx::field& field);
std::optional<core::TimePoint> ReadOptTime(const pqxx::field& field);

}  // namespace agentos::store
