#pragma once
// The domain object of CONTRACT.md "JSON output", rendered from a judged domain.

#include <boost/json/object.hpp>

#include "judge/result.hpp"

namespace mx::reports {

[[nodiscard]] boost::json::object domain_json(const judge::DomainResult& domain);
[[nodiscard]] boost::json::object check_json(const judge::Check& check);

}  // namespace mx::reports
