#include "runtime/template/template.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "runtime/core/error.hpp"

namespace agentos::templating {
namespace {

using nlohmann::json;

/// The message of the VALIDATION_ERROR `fn` throws (and checks the code and the details' field).
std::string ValidationMessage(const std::function<void()>& fn, const std::string& field) {
    try {
        fn();
    } catch (const core::Error& e) {
        EXPECT_EQ(e.code(), core::ErrorCode::kValidation);
        EXPECT_EQ(e.details().value("field", ""), field);
        return e.what();
    }
    ADD_FAILURE() << "expected a VALIDATION_ERROR";
    return "";
}

bool Contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class TemplateRender : public ::testing::Test {
protected:
    TemplateScope Scope() const { return {&input_, &state_, &args_, &variables_}; }

    json input_ = {{"query", "weather"}, {"a", {{"b", "deep"}}}, {"items", {"zero", "one"}}, {"n", 3}};
    json state_ = {
        {"plan", "search"},
        {"count", 2},
        {"ratio", 0.5},
        {"ok", true},
        {"nothing", nullptr},
        {"obj", {{"k", "v"}}},
        {"list", {1, 2}},
        {"with-dash", "d"},
    };
    json args_ = {{"city", "Zurich"}};
    std::map<std::string, std::string> variables_ = {{"COMPANY", "Acme"}, {"TONE", "friendly"}};
};

TEST(TemplateParse, RecognisesEveryRefForm) {
    const auto t = Template::Parse("{{KEY}} {{input.a.b}} {{state.x}} {{args.city}} {{input}} {{state.items.0}}", "f");
    const auto& refs = t.refs();
    ASSERT_EQ(refs.size(), 6U);
    EXPECT_EQ(refs[0].kind, RefKind::kVariable);
    EXPECT_EQ(refs[0].path, (std::vector<std::string>{"KEY"}));
    EXPECT_EQ(refs[0].text, "KEY");
    EXPECT_EQ(refs[1].kind, RefKind::kInput);
    EXPECT_EQ(refs[1].path, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(refs[1].text, "input.a.b");
    EXPECT_EQ(refs[2].kind, RefKind::kState);
    EXPECT_EQ(refs[2].path, (std::vector<std::string>{"x"}));
    EXPECT_EQ(refs[3].kind, RefKind::kArgs);
    EXPECT_EQ(refs[3].path, (std::vector<std::string>{"city"}));
    EXPECT_EQ(refs[4].kind, RefKind::kInput);
    EXPECT_TRUE(refs[4].path.empty());
    EXPECT_EQ(refs[5].path, (std::vector<std::string>{"items", "0"}));
}

TEST(TemplateParse, AllowsWhitespaceInsideTheBracesAndTrimsTheRefText) {
    const auto t = Template::Parse("a {{  input.query\t}} b {{\nKEY }}", "f");
    ASSERT_EQ(t.refs().size(), 2U);
    EXPECT_EQ(t.refs()[0].text, "input.query");
    EXPECT_EQ(t.refs()[1].text, "KEY");
}

TEST(TemplateParse, PlainTextHasNoRefs) {
    const auto t = Template::Parse("no braces here } { }}", "f");
    EXPECT_TRUE(t.refs().empty());
    EXPECT_FALSE(t.IsSingleRef());
    EXPECT_EQ(t.Render({}), "no braces here } { }}");
}

TEST(TemplateParse, NameRulesForSegmentsAndVariables) {
    EXPECT_NO_THROW(Template::Parse("{{state.with-dash}}", "f"));
    EXPECT_NO_THROW(Template::Parse("{{state._x.y9}}", "f"));
    EXPECT_NO_THROW(Template::Parse("{{_KEY_2}}", "f"));
    for (const char* bad : {
             "{{KEY-X}}",
             "{{foo.bar}}",
             "{{state.}}",
             "{{state..x}}",
             "{{state.1a}}",
             "{{state.-x}}",
             "{{9KEY}}",
             "{{input a}}",
             "{{state.a b}}",
             "{{ {x} }}",
             "{{state.é}}",
         }) {
        const auto message = ValidationMessage([&] { Template::Parse(bad, "tools[0].http.url"); }, "tools[0].http.url");
        EXPECT_TRUE(Contains(message, "tools[0].http.url: ")) << message;
        EXPECT_TRUE(Contains(message, "is not a reference")) << bad << " -> " << message;
        EXPECT_TRUE(Contains(message, " at 0")) << message;
    }
}

TEST(TemplateParse, UnclosedAndEmptyBracesNameFieldAndPosition) {
    EXPECT_EQ(
        ValidationMessage(
            [] { Template::Parse("hello {{input.x", "graph.nodes.plan.prompt"); }, "graph.nodes.plan.prompt"
        ),
        "graph.nodes.plan.prompt: unclosed '{{' at 6"
    );
    EXPECT_EQ(ValidationMessage([] { Template::Parse("ab{{}}", "p"); }, "p"), "p: empty '{{}}' at 2");
    EXPECT_EQ(ValidationMessage([] { Template::Parse("ab{{  }}", "p"); }, "p"), "p: empty '{{}}' at 2");
    EXPECT_EQ(
        ValidationMessage([] { Template::Parse("x {{a}} {{b c}}", "p"); }, "p"),
        "p: '{{b c}}' at 8 is not a reference (use input.x, state.x, args.x or a variable name)"
    );
}

TEST(TemplateParse, IsSingleRefAllowsOnlySurroundingWhitespace) {
    EXPECT_TRUE(Template::Parse("{{state.x}}", "f").IsSingleRef());
    EXPECT_TRUE(Template::Parse("  {{ state.x }}\n", "f").IsSingleRef());
    EXPECT_FALSE(Template::Parse("a{{state.x}}", "f").IsSingleRef());
    EXPECT_FALSE(Template::Parse("{{state.x}}{{state.y}}", "f").IsSingleRef());
    EXPECT_FALSE(Template::Parse("", "f").IsSingleRef());
}

TEST_F(TemplateRender, SubstitutesEveryRefForm) {
    const auto t = Template::Parse(
        "{{COMPANY}}/{{input.query}}/{{input.a.b}}/{{state.plan}}/{{args.city}}/{{input.items.1}}/{{state.with-dash}}",
        "f"
    );
    EXPECT_EQ(t.Render(Scope()), "Acme/weather/deep/search/Zurich/one/d");
}

TEST_F(TemplateRender, NonStringValuesBecomeCompactJson) {
    const auto t = Template::Parse(
        "{{state.count}} {{state.ratio}} {{state.ok}} {{state.nothing}} {{state.obj}} {{state.list}}", "f"
    );
    EXPECT_EQ(t.Render(Scope()), R"(2 0.5 true null {"k":"v"} [1,2])");
}

TEST_F(TemplateRender, ExpandsOnceSoValuesComeOutVerbatim) {
    input_["evil"] = "{{COMPANY}} and {{state.plan}} and {{";
    variables_["NOTE"] = "{{args.city}}";
    const auto t = Template::Parse("[{{input.evil}}] [{{NOTE}}]", "f");
    EXPECT_EQ(t.Render(Scope()), "[{{COMPANY}} and {{state.plan}} and {{] [{{args.city}}]");
    EXPECT_EQ(Template::Parse("{{input.evil}}", "f").RenderValue(Scope()), "{{COMPANY}} and {{state.plan}} and {{");
}

TEST_F(TemplateRender, UrlEscapingKeepsValuesInsideTheirComponent) {
    args_["city"] = "x/../@evil.com?a=b#c";
    const auto t = Template::Parse("https://api.example.com/weather?city={{args.city}}&q={{ input.query }}", "f");
    const auto url = t.Render(Scope(), Escape::kUrl);
    EXPECT_EQ(url, "https://api.example.com/weather?city=x%2F..%2F%40evil.com%3Fa%3Db%23c&q=weather");
    // Only the literal text contributes URL syntax: one '?', no '#', no '@', and the host is untouched.
    EXPECT_EQ(url.find('#'), std::string::npos);
    EXPECT_EQ(url.find('@'), std::string::npos);
    EXPECT_EQ(url.find('?'), url.rfind('?'));
    EXPECT_EQ(url.rfind("https://api.example.com/", 0), 0U);
    // Without escaping the value goes in as it is.
    EXPECT_EQ(t.Render(Scope()), "https://api.example.com/weather?city=x/../@evil.com?a=b#c&q=weather");
}

TEST(UrlEncode, KeepsUnreservedAndEncodesEverythingElseBytewise) {
    EXPECT_EQ(UrlEncode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(UrlEncode("a b+c&d=e/f%"), "a%20b%2Bc%26d%3De%2Ff%25");
    EXPECT_EQ(UrlEncode("caf\xC3\xA9"), "caf%C3%A9");
    EXPECT_EQ(UrlEncode(std::string("\0\n", 2)), "%00%0A");
    EXPECT_EQ(UrlEncode(""), "");
}

TEST_F(TemplateRender, MissingRefsNameTheRefAndTheField) {
    auto message = [&](const std::string& text, const TemplateScope& scope) {
        return ValidationMessage(
            [&] { Template::Parse(text, "graph.nodes.plan.prompt").Render(scope); }, "graph.nodes.plan.prompt"
        );
    };
    for (const char* text :
         {"a {{input.x}}",
          "{{state.obj.missing}}",
          "{{input.items.5}}",
          "{{input.query.deeper}}",
          "{{state.obj.0}}",
          "{{input.items.k}}",
          "{{args.country}}",
          "{{input.items.99999999999999999999}}"}) {
        const auto m = message(text, Scope());
        EXPECT_TRUE(Contains(m, "graph.nodes.plan.prompt: ")) << m;
        const std::string ref = Template::Parse(text, "f").refs().front().text;
        EXPECT_TRUE(Contains(m, "{{" + ref + "}}")) << m;
        EXPECT_TRUE(Contains(m, "absent")) << m;
    }
    EXPECT_EQ(message("{{input.x}}", Scope()), "graph.nodes.plan.prompt: {{input.x}} names something absent");
    EXPECT_TRUE(Contains(message("{{ MISSING }}", Scope()), "{{MISSING}} names a prompt variable that is not set"));
}

TEST_F(TemplateRender, UnavailableRootsNameTheRefAndTheField) {
    const TemplateScope no_args{&input_, &state_, nullptr, &variables_};
    EXPECT_EQ(
        ValidationMessage(
            [&] { Template::Parse("{{args.city}}", "graph.nodes.plan.prompt").Render(no_args); },
            "graph.nodes.plan.prompt"
        ),
        "graph.nodes.plan.prompt: {{args.city}} cannot be used here (no args)"
    );
    const TemplateScope empty{};
    for (const char* text : {"{{input.query}}", "{{state.plan}}", "{{COMPANY}}"}) {
        const auto m = ValidationMessage([&] { Template::Parse(text, "p").RenderValue(empty); }, "p");
        EXPECT_TRUE(Contains(m, std::string("p: ") + text)) << m;
    }
}

TEST_F(TemplateRender, RenderValueKeepsTheTypeOfASingleRef) {
    auto value = [&](const std::string& text) {
        return Template::Parse(text, "f").RenderValue(Scope());
    };
    EXPECT_EQ(value("{{state.count}}"), json(2));
    EXPECT_TRUE(value("{{state.count}}").is_number_integer());
    EXPECT_EQ(value(" {{ state.ratio }} "), json(0.5));
    EXPECT_EQ(value("{{state.ok}}"), json(true));
    EXPECT_TRUE(value("{{state.nothing}}").is_null());
    EXPECT_EQ(value("{{state.obj}}"), json({{"k", "v"}}));
    EXPECT_EQ(value("{{state.list}}"), json({1, 2}));
    EXPECT_EQ(value("{{input}}"), input_);
    EXPECT_EQ(value("{{COMPANY}}"), json("Acme"));
    // Anything more than one ref is a string.
    EXPECT_EQ(value("n={{state.count}}"), json("n=2"));
    EXPECT_EQ(value("{{state.count}}{{state.count}}"), json("22"));
    EXPECT_EQ(value("plain"), json("plain"));
}

TEST_F(TemplateRender, RenderJsonRendersNestedStringsAndLeavesKeysAndOtherValues) {
    const json templ = {
        {"city", "{{args.city}}"},
        {"{{not_a_key_template}}", "x"},
        {"nested", {{"count", "{{state.count}}"}, {"list", {"{{state.obj}}", "a {{COMPANY}}", 7, nullptr, false}}}},
        {"n", 1.5},
    };
    const json out = RenderJson(templ, Scope(), "graph.nodes.search.args");
    const json expected = {
        {"city", "Zurich"},
        {"{{not_a_key_template}}", "x"},
        {"nested", {{"count", 2}, {"list", {{{"k", "v"}}, "a Acme", 7, nullptr, false}}}},
        {"n", 1.5},
    };
    EXPECT_EQ(out, expected);
    EXPECT_EQ(RenderJson("{{state.plan}}", Scope(), "f"), json("search"));
    EXPECT_EQ(RenderJson(42, Scope(), "f"), json(42));
}

TEST_F(TemplateRender, RenderJsonErrorsNameTheJsonPath) {
    const json templ = {{"a", {{"list", {"ok", "{{state.gone}}"}}}}};
    EXPECT_EQ(
        ValidationMessage(
            [&] { RenderJson(templ, Scope(), "graph.nodes.search.args"); }, "graph.nodes.search.args.a.list[1]"
        ),
        "graph.nodes.search.args.a.list[1]: {{state.gone}} names something absent"
    );
    EXPECT_EQ(
        ValidationMessage(
            [&] {
                RenderJson({{"city", "{{"}}, Scope(), "");
            },
            "city"
        ),
        "city: unclosed '{{' at 0"
    );
}

TEST(CollectRefs, FindsEveryRefInNestedJson) {
    const json value = {
        {"prompt", "Plan {{input.query}} for {{COMPANY}}"},
        {"args", {{"city", "{{ state.weather.city }}"}, {"list", {1, "{{args.x}}", {{"deep", "{{input.a.0}}"}}}}}},
        {"plain", "no refs"},
        {"{{key}}", true},
    };
    const auto refs = CollectRefs(value, "graph.nodes.plan");
    std::vector<std::string> texts;
    texts.reserve(refs.size());
    for (const auto& ref : refs) {
        texts.push_back(ref.text);
    }
    std::sort(texts.begin(), texts.end());
    EXPECT_EQ(texts, (std::vector<std::string>{"COMPANY", "args.x", "input.a.0", "input.query", "state.weather.city"}));
    EXPECT_TRUE(CollectRefs(json::array(), "f").empty());
    EXPECT_TRUE(CollectRefs(3, "f").empty());
}

TEST(CollectRefs, ParseErrorsNameTheJsonPath) {
    const json value = {{"args", {{"list", {"ok", {{"deep", "x {{state.a b}}"}}}}}}};
    const auto m = ValidationMessage([&] { CollectRefs(value, "tools[1].http"); }, "tools[1].http.args.list[1].deep");
    EXPECT_EQ(
        m,
        "tools[1].http.args.list[1].deep: '{{state.a b}}' at 2 is not a reference (use input.x, state.x, args.x or a "
        "variable name)"
    );
}

TEST_F(TemplateRender, TemplatesAreCopyableValues) {
    const auto original = Template::Parse("{{args.city}}!", "f");
    const Template copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
    EXPECT_EQ(copy.Render(Scope()), "Zurich!");
    EXPECT_EQ(copy.refs().size(), 1U);
}

}  // namespace
}  // namespace agentos::templating
