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

/* Show the view's range in the controls. */
export function syncRange() {
  var custom = !isPreset(view.from, view.to);
  $("range-select").value = custom ? "custom" : view.from;
  $("custom-range").hidden = !custom;
  if (custom) {
    $("from-input").value = toLocalInput(view.from) || "";
    $("to-input").value = toLocalInput(view.to) || "";
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
  var fromIso = fromLocalInput(from.value);
  var toIso = fromLocalInput(to.value);
  if (!fromIso) {
    from.setCustomValidity("Choose when the range starts.");
    from.reportValidity();
    return false;
  }
  if (toIso && Date.parse(toIso) < Date.parse(fromIso)) {
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
