// The one translation unit that compiles Asio's, Beast's, Asio SSL's and Boost.URL's non-template code
// (BOOST_*_SEPARATE_COMPILATION): every other TU uses their headers only, which keeps 2-core builds fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/url/src.hpp>
