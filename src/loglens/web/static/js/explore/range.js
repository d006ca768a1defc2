/* The time range control: presets in a select, or "Custom" with two datetime-local inputs (the browser's local
 * time, sent to the API as RFC 3339 UTC). */

import { $ } from "../dom.js";
import { isPreset, view } from "./view.js";

function pad(n, width) {
  var s = String(n);
  while (s.length < (width || 2)) s = "0" + s;
  return s;
}

/* RFC 3339 -> the value of a datetime-local input, in local time ("" when it does not parse). */
export function toLocalInput(iso) {
  var ms = Date.parse(iso);
  if (isNaN(ms)) return "";
  var d = new Date(ms);
  return (
    d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
    "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds())
  );
}

/* A datetime-local value -> RFC 3339 UTC ("" for an empty or invalid input). */
export function fromLocalInput(value) {
  if (!value) return "";
  var ms = new Date(value).getTime(); // a date-time without offset is local time
  return isNaN(ms) ? "" : new Date(ms).toISOString();
}

var UNIT_MS = { s: 1000, m: 60000, h: 3600000, d: 86400000, w: 604800000 };

/* "2h" (that long before now, as the API reads it) -> its length in ms; null for anything else. */
export function relativeMs(value) {
  var match = /^(\d{1,9})([smhdw])$/.exec(String(value || "").trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]] : null;
}

/* A URL bound that is relative ("2h") is shown in its box as the moment it means now; as long as the box keeps
 * that value, the bound stays relative (so the URL round trip keeps "from=2h"), and an edit makes it absolute. */
var relative = { from: null, to: null }; // {text: "2h", input: "2024-...T12:00:00"} while the box shows it

function fill(name, value) {
  var input = $(name + "-input");
  relative[name] = null;
  var span = relativeMs(value);
  if (span === null) {
    input.value = toLocalInput(value) || "";
    return;
  }
  input.value = toLocalInput(new Date(Date.now() - span).toISOString());
  relative[name] = { text: String(value).trim(), input: input.value };
}

/* The box's value as the view's bound: the relative text it was filled from while unchanged, else RFC 3339. */
function boundOf(name) {
  var value = $(name + "-input").value;
  var kept = relative[name];
  return kept && kept.input === value ? kept.text : fromLocalInput(value);
}

function boundMs(bound) {
  var span = relativeMs(bound);
  return span === null ? Date.parse(bound) : Date.now() - span;
}

/* Show the view's range in the controls. */
export function syncRange() {
  var custom = !isPreset(view.from, view.to);
  $("range-select").value = custom ? "custom" : view.from;
  $("custom-range").hidden = !custom;
  if (custom) {
    fill("from", view.from);
    fill("to", view.to);
  }
}

/* Read the controls into the view; false when the custom range is incomplete or reversed (says why). */
export function readRange() {
  var choice = $("range-select").value;
  var from = $("from-input");
  var to = $("to-input");
  from.setCustomValidity("");
  to.setCustomValidity("");
  if (choice !== "custom") {
    view.from = choice;
    view.to = "";
    return true;
  }
  var fromIso = boundOf("from");
  var toIso = boundOf("to");
  if (!fromIso) {
    from.setCustomValidity("Choose when the range starts.");
    from.reportValidity();
    return false;
  }
  if (toIso && boundMs(toIso) < boundMs(fromIso)) {
    to.setCustomValidity("The end is before the start.");
    to.reportValidity();
    return false;
  }
  view.from = fromIso;
  view.to = toIso;
  return true;
}

/* Switching the select to "Custom" opens the inputs, prefilled with the range shown so far. */
export function showCustom() {
  var box = $("custom-range");
  if (!box.hidden) return;
  box.hidden = false;
  var now = Date.now();
  var span = { "15m": 15, "30m": 30, "1h": 60, "6h": 360, "24h": 1440, "7d": 10080 }[view.from] || 60;
  if (!$("from-input").value) $("from-input").value = toLocalInput(new Date(now - span * 60000).toISOString());
  $("from-input").focus();
}
