#include "reports/domain_reasons.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace mx::reports {
namespace {

namespace json = boost::json;

std::string text_of(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

void collect(const json::value* checks, const std::string& where, std::string_view status,
             std::vector<Reason>& out) {
  if (checks == nullptr || !checks->is_array()) {
    return;
  }
  for (const auto& value : checks->get_array()) {
    if (!value.is_object()) {
      continue;
    }
    const auto& check = value.get_object();
    if (text_of(check, "status") != status) {
      continue;
    }
    out.push_back({where, text_of(check, "check"), std::string(status), text_of(check, "code"),
                   text_of(check, "message")});
  }
}

}  // namespace

std::vector<Reason> reasons_with_status(const json::object& domain, std::string_view status) {
  std::vector<Reason> out;
  collect(domain.if_contains("checks"), "domain", status, out);
  if (const auto* mx = domain.if_contains("mx"); mx != nullptr && mx->is_array()) {
    for (const auto& host : mx->get_array()) {
      if (host.is_object()) {
        collect(host.get_object().if_contains("checks"), text_of(host.get_object(), "host"), status,
                out);
      }
    }
  }
  return out;
}

std::vector<std::string> check_codes(const std::vector<Reason>& reasons) {
  std::vector<std::string> out;
  for (const auto& reason : reasons) {
    auto code = reason.check_code();
    if (std::find(out.begin(), out.end(), code) == out.end()) {
      out.push_back(std::move(code));
    }
  }
  return out;
}

}  // namespace mx::reports
