/* Field facets beside the results: for the current filter and range, the top values of service, level, user_id
 * and the metadata keys most matches carry, with counts (/api/facets). A value's button adds `field:value` to the
 * query; the − beside it adds `-field:value` (excludes it). Both are buttons: reachable by keyboard. */

import { $, el } from "../dom.js";
import { numberFormat } from "../format.js";
import { fieldQuery } from "./links.js";
import { filterOf, getJson } from "./stages.js";
import { filterParams, view } from "./view.js";

var generation = 0;

/* The query with one more term: grouped first when it has an OR (AND binds tighter than OR). */
export function withTerm(q, term) {
  var base = filterOf(q);
  if (!base) return term;
  if (/(^|\s)OR(\s|$)/.test(base)) base = "(" + base + ")";
  return base + " " + term;
}

function item(field, value, count, apply) {
  var term = fieldQuery(field, value);
  var add = el("button", {
    type: "button",
    className: "facet-value",
    title: "Only " + term,
    dataset: { field: field, value: value },
  }, [el("span", { className: "facet-text", text: value }), el("span", { className: "facet-count",
    text: numberFormat.format(count) })]);
  var drop = el("button", {
    type: "button",
    className: "facet-exclude",
    "aria-label": "Exclude " + term,
    title: "Exclude " + term,
    text: "−",
  });
  add.addEventListener("click", function () {
    apply(withTerm(view.q, term));
  });
  drop.addEventListener("click", function () {
    apply(withTerm(view.q, "-" + term));
  });
  return el("li", { className: "facet-item" }, [add, drop]);
}

/* Draw the facets of the current view; `apply(q)` runs a new query. */
export function drawFacets(apply) {
  generation += 1;
  var mine = generation;
  var params = filterParams(filterOf(view.q));
  return getJson("/api/facets?" + params.toString()).then(function (answer) {
    if (mine !== generation) return;
    var box = $("facets");
    if (!answer.ok || !answer.data) {
      box.hidden = true;
      return;
    }
    var groups = answer.data.fields.map(function (facet) {
      return el("section", { className: "facet", dataset: { field: facet.field } }, [
        el("h3", { className: "facet-title", text: facet.field }),
        el("ul", { className: "facet-list" }, facet.values.map(function (v) {
          return item(facet.field, v.value, v.count, apply);
        })),
      ]);
    });
    $("facet-fields").replaceChildren.apply($("facet-fields"), groups);
    box.hidden = groups.length === 0;
  }).catch(function () {
    if (mine === generation) $("facets").hidden = true;
  });
}

export function hideFacets() {
  generation += 1;
  $("facets").hidden = true;
}
