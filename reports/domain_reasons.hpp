#pragma once
// The checks that explain a stored domain's verdict, read from its domain object (the JSON the
// store keeps): what a validation report, a notice or a triage decision names as reasons.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace mx::reports {

struct Reason {
  std::string where;  // "domain" or the MX host name
  std::string check;
  std::string status;
  std::string code;
  std::string message;

  [[nodiscard]] std::string check_code() const { return check + ":" + code; }
};

// The domain-level and host-level checks of `domain` whose status is `status` ("fail", "error",
// "warn"), in the object's order. Host-level checks already hold each address-level check's worst
// result over the host's addresses.
[[nodiscard]] std::vector<Reason> reasons_with_status(const boost::json::object& domain,
                                                      std::string_view status);

// "check:code" of `reasons`, each once, in first-seen order.
[[nodiscard]] std::vector<std::string> check_codes(const std::vector<Reason>& reasons);

}  // namespace mx::reports
