// Asio's separately compiled implementation, built once for the whole project.
#include <boost/asio/impl/src.hpp>
