// The one translation unit that compiles Asio's and Beast's non-template code (BOOST_*_SEPARATE_COMPILATION):
// every other TU uses their headers only, which keeps 2-core builds fast.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
