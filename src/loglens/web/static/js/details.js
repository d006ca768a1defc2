/* The log entry details dialog: both times readably (event time and arrival), the fields, and the raw JSON one
 * click away; focus goes back where it was when it closes. */

import { $, el } from "./dom.js";
import { exact, parseTime } from "./format.js";

var lastFocus = null;

function row(label, value, testId) {
  return [el("dt", { text: label }), el("dd", { dataset: { testid: testId }, text: value })];
}

function lag(eventMs, receivedMs) {
  var seconds = (receivedMs - eventMs) / 1000;
  var text = Math.abs(seconds) < 10 ? seconds.toFixed(1) + " s" : Math.round(seconds) + " s";
  return seconds >= 0 ? text + " after the event" : text.replace("-", "") + " before the event time (clock skew?)";
}

export function showDetails(entry) {
  var dialog = $("log-details");
  var eventMs = parseTime(entry.timestamp);
  var received = typeof entry.received_ms === "number" ? entry.received_ms : null;
  var fields = [].concat(
    row("Event time", eventMs === null ? String(entry.timestamp) : exact(eventMs), "details-event-time"),
    row(
      "Received",
      received === null ? "unknown" : exact(received) + (eventMs === null ? "" : " · " + lag(eventMs, received)),
      "details-received"
    ),
    row("Level", entry.level, "details-level"),
    row("Service", entry.service, "details-service"),
    row("User", entry.user_id === undefined ? "—" : entry.user_id, "details-user"),
    row("Message", entry.message, "details-message")
  );
  $("details-title").textContent = "Log entry #" + entry.id;
  $("details-fields").replaceChildren.apply($("details-fields"), fields);
  $("details-json").textContent = JSON.stringify(entry, null, 2);
  $("details-raw").open = false;
  lastFocus = document.activeElement;
  if (!dialog.open) dialog.showModal();
  $("details-close").focus();
}

function closeDetails() {
  var dialog = $("log-details");
  if (dialog.open) dialog.close();
}

/* Close button, a click on the backdrop, and the focus return. */
export function initDetails() {
  $("details-close").addEventListener("click", closeDetails);
  $("log-details").addEventListener("click", function (event) {
    if (event.target === event.currentTarget) closeDetails(); // a click on the backdrop
  });
  $("log-details").addEventListener("close", function () {
    if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
    lastFocus = null;
  });
}
