// MakeProvider, KeyMissing and PriceTable: which LlmProvider a model spec gets, and what its tokens cost.

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "runtime/core/error.hpp"
#include "runtime/providers/anthropic_provider.hpp"
#include "runtime/providers/llm_provider.hpp"
#include "runtime/providers/mock_provider.hpp"
#include "runtime/providers/openai_provider.hpp"

namespace agentos::providers {
namespace {

struct BuiltinPrice {
    const char* model;
    double input_per_mtok;
    double output_per_mtok;
};

/// USD per million tokens. A model's dated or suffixed names ("gpt-4o-2024-08-06", "claude-sonnet-4-20250514")
/// match by prefix; the longest prefix wins.
constexpr BuiltinPrice kBuiltinPrices[] = {
    {"gpt-4o", 2.50, 10.00},
    {"gpt-4o-mini", 0.15, 0.60},
    {"gpt-4.1", 2.00, 8.00},
    {"gpt-4.1-mini", 0.40, 1.60},
    {"gpt-4.1-nano", 0.10, 0.40},
    {"gpt-4-turbo", 10.00, 30.00},
    {"gpt-3.5-turbo", 0.50, 1.50},
    {"gpt-5", 1.25, 10.00},
    {"gpt-5-mini", 0.25, 2.00},
    {"gpt-5-nano", 0.05, 0.40},
    {"o1", 15.00, 60.00},
    {"o1-mini", 1.10, 4.40},
    {"o3", 2.00, 8.00},
    {"o3-mini", 1.10, 4.40},
    {"o4-mini", 1.10, 4.40},
    {"claude-3-haiku", 0.25, 1.25},
    {"claude-3-opus", 15.00, 75.00},
    {"claude-3-5-sonnet", 3.00, 15.00},
    {"claude-3-5-haiku", 0.80, 4.00},
    {"claude-3-7-sonnet", 3.00, 15.00},
    {"claude-sonnet-4", 3.00, 15.00},
    {"claude-opus-4", 15.00, 75.00},
    {"claude-haiku-4-5", 1.00, 5.00},
};

std::optional<std::string> LookupEnv(const ProviderContext& context, const std::string& name) {
    std::optional<std::string> value;
    if (context.env) {
        value = context.env(name);
    } else if (const char* raw = std::getenv(name.c_str());
               raw != nullptr) {  // NOLINT(concurrency-mt-unsafe): no setenv here
        value = raw;
    }
    if (value && value->empty()) {
        return std::nullopt;
    }
    return value;
}

/// The environment variable that holds the model's key: api_key_env, else the provider's default; none for the
/// mock and for openai_compatible without api_key_env (a local server needs no key, and the OpenAI key must not
/// go to another host).
std::optional<std::string> KeyVariable(const spec::ModelSpec& model) {
    switch (model.provider) {
        case spec::Provider::kOpenAi:
            return model.api_key_env.value_or("OPENAI_API_KEY");
        case spec::Provider::kAnthropic:
            return model.api_key_env.value_or("ANTHROPIC_API_KEY");
        case spec::Provider::kOpenAiCompatible:
            return model.api_key_env;
        case spec::Provider::kMock:
            return std::nullopt;
    }
    return std::nullopt;
}

/// Stands in for a provider whose key is unset: every call fails, naming the variable (never a value).
class MissingKeyProvider : public LlmProvider {
public:
    MissingKeyProvider(std::string provider, std::string variable)
        : provider_(std::move(provider)), variable_(std::move(variable)) {}

    net::awaitable<ChatResult> Chat(ChatRequest /*request*/, TokenSink /*on_token*/) override {
        throw ProviderError(
            provider_ + ": no API key: the environment variable " + variable_ + " is not set (or is empty)"
        );
        co_return ChatResult{};
    }

private:
    std::string provider_;
    std::string variable_;
};

double NonNegativeNumber(const nlohmann::json& entry, const std::string& model, const char* field) {
    const auto it = entry.find(field);
    if (it == entry.end() || !it->is_number() || it->get<double>() < 0) {
        throw core::Error::Validation(
            "pricing." + model + "." + field, "must be a number >= 0 (USD per million tokens)"
        );
    }
    return it->get<double>();
}

}  // namespace

PriceTable::PriceTable() {
    for (const auto& price : kBuiltinPrices) {
        Set(price.model, price.input_per_mtok, price.output_per_mtok);
    }
}

void PriceTable::Set(const std::string& model, double input_per_mtok, double output_per_mtok) {
    for (auto& [name, price] : prices_) {
        if (name == model) {
            price = Price{input_per_mtok, output_per_mtok};
            return;
        }
    }
    prices_.emplace_back(model, Price{input_per_mtok, output_per_mtok});
}

void PriceTable::Load(const nlohmann::json& pricing) {
    if (pricing.is_null()) {
        return;
    }
    if (!pricing.is_object()) {
        throw core::Error::Validation(
            "pricing", "must be a mapping of model name to {input_per_mtok, output_per_mtok}"
        );
    }
    for (const auto& [model, entry] : pricing.items()) {
        if (!entry.is_object()) {
            throw core::Error::Validation(
                "pricing." + model, "must be a mapping with input_per_mtok and output_per_mtok"
            );
        }
        Set(model, NonNegativeNumber(entry, model, "input_per_mtok"), NonNegativeNumber(entry, model, "output_per_mtok")
        );
    }
}

double PriceTable::Cost(const std::string& model, std::int64_t prompt_tokens, std::int64_t completion_tokens) const {
    const Price* best = nullptr;
    std::size_t best_length = 0;
    for (const auto& [name, price] : prices_) {
        if (name == model) {
            best = &price;
            break;
        }
        if (name.size() > best_length && model.compare(0, name.size(), name) == 0) {
            best = &price;
            best_length = name.size();
        }
    }
    if (best == nullptr) {
        return 0;
    }
    return (static_cast<double>(std::max<std::int64_t>(prompt_tokens, 0)) * best->input +
            static_cast<double>(std::max<std::int64_t>(completion_tokens, 0)) * best->output) /
           1e6;
}

bool KeyMissing(const spec::ModelSpec& model, const ProviderContext& context) {
    const auto variable = KeyVariable(model);
    return variable && !LookupEnv(context, *variable);
}

std::unique_ptr<LlmProvider> MakeProvider(
    const spec::ModelSpec& model, const ProviderContext& context, bool mock_fallback
) {
    if (model.provider == spec::Provider::kMock) {
        return std::make_unique<MockProvider>(model.script);
    }
    std::string key;
    if (const auto variable = KeyVariable(model)) {
        auto value = LookupEnv(context, *variable);
        if (!value) {
            if (mock_fallback) {
                return std::make_unique<MockProvider>(model.script);
            }
            return std::make_unique<MissingKeyProvider>(std::string(spec::ToString(model.provider)), *variable);
        }
        key = std::move(*value);
    }
    if (model.provider == spec::Provider::kAnthropic) {
        return std::make_unique<AnthropicProvider>(
            model, std::move(key), &context.http, &context.prices, context.retry
        );
    }
    return std::make_unique<OpenAiProvider>(model, std::move(key), &context.http, &context.prices, context.retry);
}

}  // namespace agentos::providers
