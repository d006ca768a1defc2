/* Any value of an entry as a filter: a click adds `field:value` to the query, excluding adds `-field:value`
 * (the value quoted and escaped for the query grammar by links.js's quote()).
 *
 * In a row, each value is one button (one Tab stop): click or Enter filters; the "-" key, Shift+Enter or
 * Alt+click excludes, and so does the − beside it (for the mouse; it shows while the pointer or the focus is on the
 * value). In an entry's details every field has a Filter and an Exclude button.
 */

import { el } from "../dom.js";
import { withTerm } from "./facets.js";
import { fieldQuery } from "./links.js";
import { view } from "./view.js";

var FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/; // what the grammar takes before ":" (search/query.py FIELD_COLON)

var state = { apply: null };

/* `apply(q)` runs a new query (main.js). */
export function initValues(apply) {
  state.apply = apply;
}

/* The query field of a metadata key, or null when the grammar cannot name it (a space in the key, ...). */
export function metadataField(key) {
  var name = "metadata." + key;
  return FIELD_NAME.test(name) ? name : null;
}

/* A value a field term can match: a string, a finite number or a boolean (not null, objects or arrays). */
export function filterable(value) {
  return (
    typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && isFinite(value))
  );
}

/* The term that filters `field` to `value` (excludes it with `exclude`). */
export function term(field, value, exclude) {
  return (exclude ? "-" : "") + fieldQuery(field, String(value));
}

function run(field, value, exclude) {
  if (state.apply) state.apply(withTerm(view.q, term(field, value, exclude)));
}

/* A value in a row: the button that filters by it, and the − that excludes it. `content` is the value's text, or
 * the nodes that show it (a level badge). */
export function rowValue(field, value, content, className) {
  var only = term(field, value, false);
  var button = el(
    "button",
    {
      type: "button",
      className: "value-filter" + (className ? " " + className : ""),
      title: "Filter " + only + " (press − to exclude)",
      "aria-keyshortcuts": "-",
      dataset: { field: field, value: String(value) },
    },
    typeof content === "string" ? [content] : content
  );
  button.addEventListener("click", function (event) {
    run(field, value, event.altKey);
  });
  button.addEventListener("keydown", function (event) {
    if (event.key === "-" || event.key === "Subtract" || (event.key === "Enter" && event.shiftKey)) {
      event.preventDefault();
      run(field, value, true);
    }
  });
  var drop = el("button", {
    type: "button",
    className: "value-exclude",
    tabIndex: -1, // the keyboard has "-" on the value itself
    title: "Exclude " + only,
    "aria-label": "Exclude " + only, // its "−" is drawn by the stylesheet: the cell's text stays the value's
  });
  drop.addEventListener("click", function () {
    run(field, value, true);
  });
  return el("span", { className: "value-cell" }, [button, drop]);
}

function detailButton(label, field, value, exclude) {
  var text = term(field, value, exclude);
  var button = el("button", {
    type: "button",
    className: "detail-filter",
    title: text,
    "aria-label": (exclude ? "Exclude " : "Filter ") + text,
    dataset: { field: field, value: String(value), exclude: exclude ? "1" : "0" },
    text: label,
  });
  button.addEventListener("click", function () {
    run(field, value, exclude);
  });
  return button;
}

function fieldRow(name, field, value) {
  var shown = filterable(value) ? String(value) : JSON.stringify(value);
  var actions = field && filterable(value)
    ? [detailButton("Filter", field, value, false), detailButton("Exclude", field, value, true)]
    : [];
  return el("tr", { className: "entry-field", dataset: { field: field || name } }, [
    el("th", { scope: "row", text: name }),
    el("td", { className: "entry-field-value" }, [el("span", { text: shown })]),
    el("td", { className: "entry-field-actions" }, actions),
  ]);
}

/* An entry's fields, each with Filter and Exclude where the grammar can match it. */
export function entryFields(entry) {
  var rows = [
    fieldRow("level", "level", entry.level),
    fieldRow("service", "service", entry.service),
    fieldRow("message", "message", entry.message),
  ];
  if (entry.user_id !== undefined && entry.user_id !== null) rows.push(fieldRow("user_id", "user_id", entry.user_id));
  var metadata = entry.metadata && typeof entry.metadata === "object" ? entry.metadata : {};
  Object.keys(metadata).forEach(function (key) {
    rows.push(fieldRow("metadata." + key, metadataField(key), metadata[key]));
  });
  return el("table", { className: "entry-fields", dataset: { testid: "entry-fields" } }, [el("tbody", null, rows)]);
}
