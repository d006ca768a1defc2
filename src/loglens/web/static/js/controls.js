/* The toolbar: range select, service filter chip and pause button, and what changing each of them does. */

import { cancelSchedule, requestRefresh } from "./api.js";
import { $ } from "./dom.js";
import { serviceUrl } from "./explore/links.js";
import { renderServices } from "./services.js";
import { CUSTOM, isMinuteKey, isRange, state } from "./state.js";
import { offline, tick } from "./status.js";
import { writeUrl } from "./url.js";

/* Show the current view in the controls, the logs subtitle and the page title. */
export function syncControls() {
  $("range-select").value = state.range;
  var custom = $("custom-range");
  custom.hidden = state.range !== CUSTOM;
  if (state.range === CUSTOM && state.from && state.to) {
    $("range-from").value = localInput(state.from);
    $("range-to").value = localInput(state.to);
  }
  var chip = $("filter-chip");
  chip.hidden = !state.service;
  $("filter-service").textContent = state.service || "";
  $("filter-explore").href = state.service ? serviceUrl(state.service, state.range) : "/explore";
  $("logs-subtitle").textContent = state.service ? "— " + state.service : "— all services";
  document.title = state.service ? "LogLens · " + state.service : "LogLens dashboard";
}

/* A UTC minute key as the value of a datetime-local input (the browser's local time), and back. */
function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

function localInput(key) {
  var d = new Date(Date.parse(key + ":00Z"));
  return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
}

function utcKey(localValue) {
  var ms = Date.parse(localValue); // "YYYY-MM-DDTHH:MM" without a zone is local time
  return isNaN(ms) ? null : new Date(ms).toISOString().slice(0, 16);
}

export function setRange(range) {
  if (range === CUSTOM) {
    // Start from the range shown so far; Apply makes it the view.
    if (!state.from || !state.to) {
      var now = Date.now();
      state.from = new Date(now - 60 * 60000).toISOString().slice(0, 16);
      state.to = new Date(now).toISOString().slice(0, 16);
    }
    $("custom-range").hidden = false;
    $("range-from").value = localInput(state.from);
    $("range-to").value = localInput(state.to);
    $("range-from").focus();
    return;
  }
  if (!isRange(range) || range === state.range) return;
  state.range = range;
  state.from = null;
  state.to = null;
  $("range-error").textContent = "";
  writeUrl();
  syncControls();
  requestRefresh();
}

/* Apply the custom from/to inputs; says what is wrong instead of asking the server for a bad range. */
export function applyCustomRange() {
  var from = utcKey($("range-from").value);
  var to = utcKey($("range-to").value);
  var problem = !isMinuteKey(from) || !isMinuteKey(to) ? "Enter both times." : from > to ? "From must be before To." : "";
  $("range-error").textContent = problem;
  if (problem) return;
  state.range = CUSTOM;
  state.from = from;
  state.to = to;
  writeUrl();
  syncControls();
  requestRefresh();
}

export function setService(service) {
  service = service || null;
  if (service === state.service) return;
  state.service = service;
  writeUrl();
  syncControls();
  if (state.data) renderServices(state.data.service_health || {});
  requestRefresh();
}

export function setPaused(paused) {
  state.paused = paused;
  var button = $("pause-btn");
  button.setAttribute("aria-pressed", paused ? "true" : "false");
  button.textContent = paused ? "Resume" : "Pause";
  button.setAttribute("aria-label", paused ? "Resume auto-refresh" : "Pause auto-refresh");
  document.body.classList.toggle("paused", paused);
  if (state.offline) offline(state.offlineReason); // the banner says whether it is retrying
  if (paused) {
    cancelSchedule();
  } else {
    requestRefresh();
  }
  tick();
}
