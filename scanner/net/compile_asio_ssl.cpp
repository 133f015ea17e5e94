// Asio's SSL implementation, built once for the whole project.
#include <boost/asio/ssl/impl/src.hpp>
