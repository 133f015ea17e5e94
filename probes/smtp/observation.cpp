#include "probes/smtp/observation.hpp"

namespace mx::probes::smtp {

std::string_view to_string(Stage stage) {
  switch (stage) {
    case Stage::not_started:
      return "not_started";
    case Stage::connect:
      return "connect";
    case Stage::greeting:
      return "greeting";
    case Stage::ehlo:
      return "ehlo";
    case Stage::helo:
      return "helo";
    case Stage::starttls:
      return "starttls";
    case Stage::tls_handshake:
      return "tls_handshake";
    case Stage::ehlo_tls:
      return "ehlo_tls";
    case Stage::quit:
      return "quit";
    case Stage::done:
      return "done";
  }
  return "unknown";
}

std::string_view to_string(Ending ending) {
  switch (ending) {
    case Ending::completed:
      return "completed";
    case Ending::forbidden:
      return "forbidden";
    case Ending::excluded:
      return "excluded";
    case Ending::refused:
      return "refused";
    case Ending::unreachable:
      return "unreachable";
    case Ending::timeout:
      return "timeout";
    case Ending::closed:
      return "closed";
    case Ending::protocol:
      return "protocol";
    case Ending::rejected:
      return "rejected";
    case Ending::deferred:
      return "deferred";
    case Ending::no_starttls:
      return "no_starttls";
    case Ending::tls_failed:
      return "tls_failed";
    case Ending::io_error:
      return "io_error";
  }
  return "unknown";
}

}  // namespace mx::probes::smtp
