#include "runtime/core/metrics.hpp"

#include <gtest/gtest.h>

namespace agentos::core {
namespace {

TEST(Metrics, RendersCountersGaugesAndHistogramsInPrometheusFormat) {
    Metrics m;
    m.DescribeCounter("req_total", "Requests.");
    m.DescribeHistogram("lat_seconds", "Latency.", {0.1, 1});
    m.Add("req_total", {{"route", "/a"}, {"status", "200"}});
    m.Add("req_total", {{"route", "/a"}, {"status", "200"}}, 2);
    m.Set("pool", {{"state", "idle"}}, 3);
    m.Observe("lat_seconds", {{"route", "/a"}}, 0.05);
    m.Observe("lat_seconds", {{"route", "/a"}}, 0.5);
    m.Observe("lat_seconds", {{"route", "/a"}}, 5);
    EXPECT_EQ(m.Value("req_total", {{"route", "/a"}, {"status", "200"}}), 3);
    const auto text = m.Render();
    EXPECT_NE(text.find("# TYPE req_total counter\n"), std::string::npos);
    EXPECT_NE(text.find("req_total{route=\"/a\",status=\"200\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("pool{state=\"idle\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("lat_seconds_bucket{route=\"/a\",le=\"0.1\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("lat_seconds_bucket{route=\"/a\",le=\"1\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("lat_seconds_count{route=\"/a\"} 3\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelValues) {
    Metrics m;
    m.Add("c", {{"path", "a\"b\\c\nd"}});
    EXPECT_NE(m.Render().find(R"(c{path="a\"b\\c\nd"} 1)"), std::string::npos);
}

}  // namespace
}  // namespace agentos::core
