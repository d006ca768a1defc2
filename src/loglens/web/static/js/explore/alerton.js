/* "Alert on this query": open the Alerts page's rule editor filled with the query in the box (as a rule reads it:
 * see ruleQuery) and a window from the range. */

import { $ } from "../dom.js";
import { relativeMs } from "./range.js";
import { filterOf, splitStages } from "./stages.js";
import { view } from "./view.js";

var MAX_WINDOW_MS = 31 * 86400000; // a rule's longest window
var UNITS = [
  ["d", 86400000],
  ["h", 3600000],
  ["m", 60000],
  ["s", 1000],
];

/* The query as a rule reads it: the filter and one stats stage. A stats stage is kept (its sort and limit, which
 * a rule does not take, are dropped); a timechart becomes the stats of the same aggregates and groups; `top N f`
 * counts by f; a filter alone is counted. */
export function ruleQuery(q) {
  var filter = filterOf(q);
  var stages = splitStages(q)
    .slice(1)
    .map(function (stage) {
      return stage.trim();
    });
  var stage = "stats count()";
  for (var i = 0; i < stages.length; i += 1) {
    var found = /^(stats|timechart|top)\b\s*([\s\S]*)$/.exec(stages[i]);
    if (!found) continue;
    if (found[1] === "stats") stage = stages[i];
    else if (found[1] === "timechart") stage = "stats " + found[2].replace(/^span\s*=\s*\S+\s*/, "");
    else stage = "stats count() by " + found[2].replace(/^\d+\s+/, "");
    break;
  }
  return (filter ? filter + " " : "") + "| " + stage;
}

/* A length in ms as a rule's duration ("15m", "2h", "90s"): the largest unit it is a whole number of. */
export function duration(ms) {
  var clamped = Math.min(Math.max(Math.round(ms / 1000) * 1000, 1000), MAX_WINDOW_MS);
  for (var i = 0; i < UNITS.length; i += 1) {
    if (clamped % UNITS[i][1] === 0) return clamped / UNITS[i][1] + UNITS[i][0];
  }
  return clamped / 1000 + "s";
}

function boundMs(bound) {
  var span = relativeMs(bound);
  return span === null ? Date.parse(bound) : Date.now() - span;
}

/* The view's range as a rule window ("" for the whole store: the editor's default applies). */
export function ruleWindow() {
  if (!view.from) return "";
  var from = boundMs(view.from);
  var to = view.to ? boundMs(view.to) : Date.now();
  if (isNaN(from) || isNaN(to) || to <= from) return "";
  return duration(to - from);
}

function open() {
  var params = new URLSearchParams();
  params.set("rule_query", ruleQuery($("query-input").value.trim() || view.q));
  var win = ruleWindow();
  if (win) params.set("rule_window", win);
  window.location.assign("/alerts?" + params.toString());
}

export function initAlertOn() {
  $("alert-on-query").addEventListener("click", open);
}
