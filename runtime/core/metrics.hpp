#pragma once
/// An in-process metrics registry rendered in the Prometheus text format. Thread-safe: every call takes one short
/// lock and never suspends.

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentos::core {

class Metrics {
public:
    using Labels = std::vector<std::pair<std::string, std::string>>;

    void DescribeCounter(std::string name, std::string help);
    void DescribeGauge(std::string name, std::string help);
    /// `buckets` are upper bounds in ascending order; +Inf is implied.
    void DescribeHistogram(std::string name, std::string help, std::vector<double> buckets);

    void Add(std::string_view name, const Labels& labels, double value = 1);
    void Set(std::string_view name, const Labels& labels, double value);
    void Observe(std::string_view name, const Labels& labels, double value);

    /// The value of one counter or gauge series (0 when absent); for tests.
    double Value(std::string_view name, const Labels& labels) const;

    std::string Render() const;

private:
    enum class Type { kCounter, kGauge, kHistogram };

    struct Series {
        double value = 0;                    // counter/gauge value, histogram sum
        std::vector<std::uint64_t> buckets;  // histogram cumulative counts per bound
        std::uint64_t count = 0;             // histogram observations
    };

    struct Family {
        Type type = Type::kCounter;
        std::string help;
        std::vector<double> bounds;
        std::map<std::string, Series> series;  // key: rendered label set "{a=\"b\"}"
    };

    Family& FamilyLocked(std::string_view name, Type type);

    mutable std::mutex mutex_;
    std::map<std::string, Family, std::less<>> families_;
};

}  // namespace agentos::core
