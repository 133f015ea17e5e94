#pragma once
// The generators of render.hpp, one file each; registered in render.cpp. Private to publish/.

#include <string>

#include "list/policy_list.hpp"
#include "publish/render.hpp"

namespace mx::publish {

// Postfix: an smtp_tls_policy_maps table (postfix.cpp).
std::string render_postfix(const list::PolicyList& list, const RenderContext& context);

// Exim: an lsearch file of domain -> MX patterns in Exim domain-list syntax (exim.cpp).
std::string render_exim(const list::PolicyList& list, const RenderContext& context);

}  // namespace mx::publish
