#pragma once
// Text from the database made inert in HTML. Every such string is attacker-controlled: domain
// and host names, check messages quoting banners or policy bodies, certificate issuers.

#include <cstddef>
#include <string>
#include <string_view>

namespace mx::reports {

// Safe as the content of an HTML element other than <script> and <style> (SVG <text> and
// <title> included) and as a quoted attribute value: & < > " ' become character references, so
// that no tag, comment, CDATA section or attribute can start or end inside. Control characters
// (but tab and line feed) and octets that are not UTF-8 become U+FFFD.
[[nodiscard]] std::string escape_html(std::string_view text);

// The first `max` code points of `text`, and "…" in place of the rest when it is longer
// (max >= 1); invalid octets count as one each. Cut before escaping.
[[nodiscard]] std::string shorten(std::string_view text, std::size_t max);

}  // namespace mx::reports
