#pragma once
/// The cheap part of Asio that project headers may include: the namespace alias and awaitable<T>.
/// Heavy Asio/Beast headers stay in .cpp files (compile time on 2 cores is a design constraint).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace agentos {
namespace net = boost::asio;
}  // namespace agentos
