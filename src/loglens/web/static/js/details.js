/* The log entry details dialog: the full entry as JSON text; focus goes back where it was when it closes. */

import { $ } from "./dom.js";

var lastFocus = null;

export function showDetails(entry) {
  var dialog = $("log-details");
  $("details-title").textContent = "Log entry #" + entry.id;
  $("details-json").textContent = JSON.stringify(entry, null, 2);
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
