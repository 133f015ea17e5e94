#pragma once
// mxscan's JSON Lines output (check --json, export --format jsonl) read back by domain.

#include <istream>
#include <map>
#include <sstream>
#include <string>

#include <boost/json.hpp>

namespace mx::test {

// Each line's domain object, by its "domain".
inline std::map<std::string, boost::json::object> by_domain(const std::string& out) {
  std::map<std::string, boost::json::object> domains;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    auto object = boost::json::parse(line).as_object();
    domains[std::string(object.at("domain").as_string())] = std::move(object);
  }
  return domains;
}

}  // namespace mx::test
