/* LogLens Alerts page: the rules (each with a sparkline of its last 24 h) and the rule editor with its preview;
 * the alert history with filters (firing, silenced, resolved); silences: create one from a form or from a firing
 * alert, expire one.
 *
 * As on the other pages: every string from the server goes in with textContent / attributes, never innerHTML;
 * the filters live in the query string (a reload or a link shows the same view); no inline script (the CSP).
 */

import { $ } from "../dom.js";
import { initEditor } from "./editor.js";
import { loadAlerts, readFilters, writeFilters } from "./history.js";
import { initRuleEditor } from "./rule-editor.js";
import { initRules, loadRules } from "./rules.js";
import { initSilences, loadSilences } from "./silences.js";

function formFilters() {
  return {
    state: $("filter-state").value,
    rule: $("filter-rule").value.trim(),
    service: $("filter-service").value.trim(),
    severity: $("filter-severity").value,
    from: $("filter-range").value,
  };
}

function showFilters(filters) {
  $("filter-state").value = filters.state || "all";
  $("filter-rule").value = filters.rule;
  $("filter-service").value = filters.service;
  $("filter-severity").value = filters.severity;
  $("filter-range").value = filters.from;
  // a value the page has no option for (a hand-made link) still filters: show it as an option
  ["filter-severity", "filter-range", "filter-state"].forEach(function (id) {
    var select = $(id);
    var wanted = { "filter-severity": filters.severity, "filter-range": filters.from, "filter-state": filters.state || "all" }[id];
    if (select.value !== wanted) {
      var option = document.createElement("option");
      option.value = wanted;
      option.textContent = wanted;
      select.appendChild(option);
      select.value = wanted;
    }
  });
}

/* Everything again: the rules, the alerts (first page) and the silences. */
function reload() {
  return Promise.all([loadRules(), loadAlerts(readFilters()), loadSilences()]);
}

function init() {
  showFilters(readFilters());
  $("alert-filters").addEventListener("submit", function (event) {
    event.preventDefault();
    writeFilters(formFilters());
    loadAlerts(readFilters());
  });
  $("refresh-btn").addEventListener("click", reload);
  $("alerts-more").addEventListener("click", function () {
    loadAlerts(readFilters(), $("alerts-more").dataset.before);
  });
  initEditor(reload);
  initSilences(reload);
  initRules(loadRules);
  initRuleEditor(loadRules);
  reload();
}

init();
