#include "api/middleware/idempotency.hpp"

#include <chrono>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/core/crypto.hpp"
#include "runtime/core/error.hpp"
#include "runtime/store/idempotency_repo.hpp"
#include "runtime/store/pg_pool.hpp"

namespace agentos::api {
namespace {

constexpr std::size_t kMaxKeyLength = 255;

std::string CheckedKey(std::string_view key) {
    const bool visible = std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c < 0x7f; });
    if (key.empty() || key.size() > kMaxKeyLength || !visible) {
        throw core::Error::Validation(
            "Idempotency-Key", "must be 1 to 255 visible ASCII characters (a UUID is a good choice)"
        );
    }
    return std::string(key);
}

}  // namespace

net::awaitable<Response> Idempotent(
    store::PgPool& pool, const Request& req, std::function<net::awaitable<Response>()> handler
) {
    const auto header = req.Header("idempotency-key");
    if (!header) {
        co_return co_await handler();
    }
    const std::string key = CheckedKey(*header);
    const std::string workspace_id = req.Who().workspace_id;
    // The key holder is part of the request: another key of the workspace never gets this key's answers.
    const std::string hash =
        core::HexEncode(core::Sha256(req.Who().key_id + "\n" + req.method + " " + req.target + "\n" + req.body));

    // Claim the key, or wait for the first request's answer.
    std::chrono::milliseconds wait{10};
    net::steady_timer timer(co_await net::this_coro::executor);
    for (;;) {
        bool claimed = false;
        std::optional<store::IdempotencyRecord> first;
        co_await pool.Autocommit([&](store::Tx& tx) {
            store::IdempotencyRepo keys(tx);
            claimed = keys.Claim(workspace_id, key, hash);
            first = claimed ? std::nullopt : keys.Get(workspace_id, key);
            if (first && first->request_hash == hash && !first->status_code && first->stale) {
                claimed = keys.TakeOver(workspace_id, key);  // its first request never answered: do it here
            }
        });
        if (claimed) {
            break;
        }
        if (!first) {
            continue;  // released meanwhile (the first attempt failed): claim it again
        }
        if (first->request_hash != hash) {
            throw core::Error::Conflict(
                "Idempotency-Key '" + key + "' was already used with another request; send a new key for a new request"
            );
        }
        if (first->status_code) {
            Response replay;
            replay.status = *first->status_code;
            replay.body = first->response;
            replay.SetHeader("Idempotent-Replayed", "true");
            co_return replay;
        }
        timer.expires_after(wait);
        co_await timer.async_wait(net::use_awaitable);
        wait = std::min(wait * 2, std::chrono::milliseconds(500));
    }

    std::exception_ptr failure;
    Response response;
    try {
        response = co_await handler();
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) {
        // An error answer changed nothing (errors are raised before the work or roll it back): a retry tries again.
        try {
            co_await pool.Autocommit([&](store::Tx& tx) { store::IdempotencyRepo(tx).Release(workspace_id, key); });
        } catch (const std::exception&) {
            // The key stays claimed; a retry takes it over when it is stale.
        }
        std::rethrow_exception(failure);
    }
    co_await pool.Autocommit([&](store::Tx& tx) {
        // A stream is answered again as 202 with the run and where to follow it (the stream's body, see run_stream).
        const int status = response.stream_kind == StreamKind::kNone ? response.status : 202;
        store::IdempotencyRepo(tx).Answer(workspace_id, key, status, response.body);
    });
    co_return response;
}

}  // namespace agentos::api
