/* LogLens dashboard: polls /api/advanced-dashboard-data and renders cards, charts, alerts, services and logs.
 *
 * Rules kept throughout:
 * - every string that comes from logs (message, service, user id, metadata, alert text) is put in the page with
 *   textContent / attributes, never innerHTML (dom.js);
 * - at most one request in flight: the next one is scheduled only when the previous one has finished, and an
 *   AbortController bounds each request's time (api.js);
 * - the view (range, service filter) lives in the query string, so a link reproduces it (url.js).
 *
 * This module wires the page's events and starts the refresh loop.
 */

import { refresh, requestRefresh } from "./api.js";
import { recolorCharts } from "./charts.js";
import { applyCustomRange, setPaused, setRange, setService, syncControls } from "./controls.js";
import { initDetails } from "./details.js";
import { $ } from "./dom.js";
import { CHANGED } from "./session.js";
import { state } from "./state.js";
import { tick } from "./status.js";
import { readUrl } from "./url.js";

function init() {
  readUrl();
  syncControls();

  $("range-select").addEventListener("change", function (event) {
    setRange(event.target.value);
  });
  $("custom-range").addEventListener("submit", function (event) {
    event.preventDefault();
    applyCustomRange();
  });
  $("pause-btn").addEventListener("click", function () {
    setPaused(!state.paused);
  });
  $("clear-filter").addEventListener("click", function () {
    setService(null);
  });
  // One listener for every service link on the page (table, alerts, service grid).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".service-link") : null;
    if (!link) return;
    event.preventDefault();
    setService(link.dataset.service);
  });
  initDetails();
  document.addEventListener(CHANGED, requestRefresh); // a panel wrote (an alert acknowledged)
  window.addEventListener("popstate", function () {
    readUrl();
    syncControls();
    requestRefresh();
  });
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) scheme.addEventListener("change", recolorCharts);
  }
  window.setInterval(tick, 1000);
  refresh();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
