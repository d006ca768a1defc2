/* The Patterns tab: the matching messages grouped into templates (/api/patterns, Drain over the newest 10,000
 * matches), each with its count, a sparkline over the sampled time and an example; a template's button filters to
 * it (its fixed words as phrases, added to the query). Tabs follow the WAI-ARIA pattern: arrow keys move between
 * them. */

import { $, el } from "../dom.js";
import { numberFormat, plural } from "../format.js";
import { withTerm } from "./facets.js";
import { filterOf, getJson } from "./stages.js";
import { filterParams, view } from "./view.js";

var SVG = "http://www.w3.org/2000/svg";
var generation = 0;

export function patternsShown() {
  return $("tab-patterns").getAttribute("aria-selected") === "true";
}

function sparkline(counts) {
  var most = Math.max.apply(null, counts.concat([1]));
  var step = counts.length > 1 ? 100 / (counts.length - 1) : 100;
  var points = counts
    .map(function (n, i) {
      return (i * step).toFixed(1) + "," + (20 - (n / most) * 18 - 1).toFixed(1);
    })
    .join(" ");
  var svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 100 20");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("class", "spark");
  svg.setAttribute("aria-hidden", "true");
  var line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points);
  svg.appendChild(line);
  return svg;
}

/* A template as text, its wildcards marked. */
function templateText(template) {
  var parts = template.split("<*>");
  var nodes = [];
  parts.forEach(function (part, i) {
    if (i > 0) nodes.push(el("span", { className: "wildcard", text: "<*>" }));
    if (part) nodes.push(part);
  });
  return el("code", { className: "pattern-template" }, nodes);
}

function item(pattern, apply) {
  var label = "Only entries like: " + pattern.template;
  var button = el(
    "button",
    { type: "button", className: "pattern", title: pattern.example, "aria-label": label },
    [
      el("span", { className: "pattern-count", text: numberFormat.format(pattern.count) }),
      templateText(pattern.template),
      sparkline(pattern.spark),
    ]
  );
  if (pattern.query) {
    button.addEventListener("click", function () {
      apply(withTerm(view.q, pattern.query));
    });
  } else {
    button.disabled = true; // a template of wildcards only names no words to search for
  }
  return el("li", { className: "pattern-item", dataset: { count: pattern.count } }, [button]);
}

/* Ask for the patterns of the current view and draw them; `apply(q)` runs a new query. */
export function drawPatterns(apply) {
  generation += 1;
  var mine = generation;
  var params = filterParams(filterOf(view.q));
  $("patterns-summary").textContent = "Grouping the messages…";
  return getJson("/api/patterns?" + params.toString()).then(function (answer) {
    if (mine !== generation) return;
    if (!answer.ok || !answer.data) {
      var reason = answer.data && answer.data.error ? answer.data.error : "HTTP " + answer.status;
      $("patterns-summary").textContent = "The patterns could not be read: " + reason;
      $("patterns-list").replaceChildren();
      return;
    }
    var data = answer.data;
    var text = numberFormat.format(data.patterns.length) + plural(data.patterns.length, " pattern", " patterns");
    text += " in " + numberFormat.format(data.sampled) + plural(data.sampled, " message", " messages");
    text += data.complete ? " (every match)" : " (the newest matches)";
    $("patterns-summary").textContent = text;
    $("patterns-list").replaceChildren.apply(
      $("patterns-list"),
      data.patterns.map(function (p) {
        return item(p, apply);
      })
    );
  });
}

/* Show one tab; `onPatterns` is called when the Patterns tab opens. */
function select(patterns, onPatterns) {
  $("tab-entries").setAttribute("aria-selected", patterns ? "false" : "true");
  $("tab-patterns").setAttribute("aria-selected", patterns ? "true" : "false");
  $("tab-entries").tabIndex = patterns ? -1 : 0;
  $("tab-patterns").tabIndex = patterns ? 0 : -1;
  $("entries-view").hidden = patterns;
  $("patterns-view").hidden = !patterns;
  if (patterns) onPatterns();
}

export function showEntries() {
  select(false, function () {});
}

export function initTabs(onPatterns) {
  $("tab-entries").addEventListener("click", function () {
    select(false, onPatterns);
  });
  $("tab-patterns").addEventListener("click", function () {
    select(true, onPatterns);
  });
  [$("tab-entries"), $("tab-patterns")].forEach(function (tab) {
    tab.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      var patterns = !patternsShown();
      select(patterns, onPatterns);
      $(patterns ? "tab-patterns" : "tab-entries").focus();
      event.preventDefault();
    });
  });
}
