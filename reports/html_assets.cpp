#include "reports/html_assets.hpp"

namespace mx::reports {
namespace {

// --report-style lets the self-test see that the style sheet was applied (not blocked by CSP).
constexpr std::string_view kStyle = R"css(
:root{--report-style:applied;color-scheme:light;--ink:#1d232b;--muted:#5b6673;--line:#e3e7ec}
body{margin:0 auto;max-width:1120px;padding:0 16px 40px;color:var(--ink);background:#fff;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;line-height:1.45}
header{border-bottom:2px solid var(--line);padding:12px 0 8px}
h1{font-size:1.45rem;margin:0 0 4px}
h2{font-size:1.2rem;margin:28px 0 10px}
h3{font-size:1.05rem;margin:22px 0 6px}
p{margin:6px 0}
.muted,.note{color:var(--muted)}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;
list-style:none;padding:0;margin:10px 0}
.figures li{border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.figures strong{display:block;font-size:1.5rem}
table.categories{width:auto;margin:8px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,520px),1fr));gap:18px}
.trend{grid-template-columns:repeat(auto-fill,minmax(min(100%,300px),1fr))}
figure{margin:0}
figcaption{font-weight:600;margin-bottom:4px}
svg.chart{display:block;max-width:100%;height:auto;font-size:12px}
svg text{fill:var(--ink)}
svg .note{fill:var(--muted)}
svg .heading{font-weight:600;font-size:13px}
svg .axis{stroke:#9aa4b1;stroke-width:1}
.bar{fill:#6b7b8c}
.s-pass,.c-passing{fill:#2e7d32}
.s-warn{fill:#c99700}
.s-fail,.c-newly-failing{fill:#c62828}
.c-still-failing{fill:#8e1b1b}
.s-error,.c-undetermined{fill:#6a4fb3}
.s-skipped,.c-excluded{fill:#a7b3bf}
.c-recovered{fill:#43a047}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;color:inherit;
cursor:pointer}
th[aria-sort=ascending] button::after{content:" \25B2"}
th[aria-sort=descending] button::after{content:" \25BC"}
td.domain{font-weight:600;white-space:nowrap}
ul.reasons{margin:0;padding-left:1.1em}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em;background:#f1f3f5;
padding:0 3px;border-radius:3px}
.urgent{color:#c62828;font-weight:700}
.tools{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:center;margin:8px 0}
input.filter{flex:1 1 200px;max-width:340px;font:inherit;padding:6px 8px;border:1px solid #b8c0c9;
border-radius:4px}
footer{margin-top:36px;font-size:.85rem;color:var(--muted)}
@media (max-width:700px){
body{padding:0 10px 28px}
table.domains,table.domains tbody,table.domains tr,table.domains td{display:block}
table.domains thead tr{display:flex;flex-wrap:wrap;gap:4px 14px}
table.domains th{border:0;padding:4px 0}
table.domains tr{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:4px 8px}
table.domains td{border:0;padding:3px 0}
table.domains td.domain{white-space:normal;overflow-wrap:anywhere}
table.domains td::before{content:attr(data-label) ": ";color:var(--muted);font-weight:400}
}
)css";

constexpr std::string_view kScript = R"js(
(function () {
  'use strict';
  var problems = [];
  window.addEventListener('error', function (event) {
    problems.push('error: ' + event.message);
  });
  document.addEventListener('securitypolicyviolation', function (event) {
    problems.push('csp: ' + event.violatedDirective);
  });
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});
  var each = function (list, action) {
    Array.prototype.forEach.call(list, action);
  };
  var cellText = function (row, column) {
    return row.cells[column].textContent.trim();
  };
  var columnOf = function (table, column) {
    return Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      return cellText(row, column);
    });
  };

  function sortTable(table, column) {
    var headers = table.tHead.rows[0].cells;
    var ascending = headers[column].getAttribute('aria-sort') !== 'ascending';
    each(headers, function (cell) {
      cell.removeAttribute('aria-sort');
    });
    headers[column].setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var order = collator.compare(cellText(a, column), cellText(b, column));
      return ascending ? order : -order;
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
  }

  function filterTable(table, text) {
    var needle = text.trim().toLowerCase();
    var shown = 0;
    each(table.tBodies[0].rows, function (row) {
      var match = row.textContent.toLowerCase().indexOf(needle) !== -1;
      row.hidden = !match;
      shown += match ? 1 : 0;
    });
    document.getElementById('shown-' + table.id).textContent =
        shown + ' of ' + table.tBodies[0].rows.length;
  }

  var tables = Array.prototype.slice.call(document.querySelectorAll('table.domains'));
  tables.forEach(function (table) {
    each(table.tHead.rows[0].cells, function (cell, column) {
      cell.querySelector('button').addEventListener('click', function () {
        sortTable(table, column);
      });
    });
    var input = document.getElementById('filter-' + table.id);
    input.addEventListener('input', function () {
      filterTable(table, input.value);
    });
  });

  function selftest() {
    var data = JSON.parse(document.getElementById('report-data').textContent);
    var result = {
      problems: problems,
      style: getComputedStyle(document.documentElement).getPropertyValue('--report-style').trim(),
      viewport: window.innerWidth,
      page: document.documentElement.scrollWidth,
      charts: [],
      tables: [],
      data_tables: data.tables.map(function (table) {
        return {id: 'table-' + table.id, rows: table.rows.length};
      })
    };
    each(document.querySelectorAll('svg.chart'), function (svg) {
      var box = svg.getBoundingClientRect();
      var bars = Array.prototype.map.call(svg.querySelectorAll('rect.bar'), function (rect) {
        var size = rect.getBBox();
        return {value: Number(rect.getAttribute('data-value')), width: size.width,
                height: size.height};
      });
      result.charts.push({id: svg.id, width: box.width, height: box.height, bars: bars});
    });
    tables.forEach(function (table) {
      var button = table.tHead.rows[0].cells[0].querySelector('button');
      var entry = {id: table.id, before: columnOf(table, 0)};
      button.click();
      entry.ascending = columnOf(table, 0);
      button.click();
      entry.descending = columnOf(table, 0);
      var input = document.getElementById('filter-' + table.id);
      input.value = entry.ascending.length ? entry.ascending[0] : '';
      input.dispatchEvent(new Event('input'));
      entry.filter = {
        needle: input.value,
        visible: Array.prototype.filter.call(table.tBodies[0].rows, function (row) {
          return !row.hidden;
        }).length,
        counter: document.getElementById('shown-' + table.id).textContent
      };
      input.value = '';
      input.dispatchEvent(new Event('input'));
      result.tables.push(entry);
    });
    var out = document.createElement('pre');
    out.id = 'selftest';
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }
  if (location.hash === '#selftest') {
    window.addEventListener('load', selftest);
  }
})();
)js";

}  // namespace

std::string_view report_style() {
  return kStyle;
}

std::string_view report_script() {
  return kScript;
}

}  // namespace mx::reports
