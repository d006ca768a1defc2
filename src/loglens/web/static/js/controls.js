/* The toolbar: range select, service filter chip and pause button, and what changing each of them does. */

import { cancelSchedule, requestRefresh } from "./api.js";
import { $ } from "./dom.js";
import { serviceUrl } from "./explore/links.js";
import { renderServices } from "./services.js";
import { isRange, state } from "./state.js";
import { offline, tick } from "./status.js";
import { writeUrl } from "./url.js";

/* Show the current view in the controls, the logs subtitle and the page title. */
export function syncControls() {
  $("range-select").value = state.range;
  var chip = $("filter-chip");
  chip.hidden = !state.service;
  $("filter-service").textContent = state.service || "";
  $("filter-explore").href = state.service ? serviceUrl(state.service, state.range) : "/explore";
  $("logs-subtitle").textContent = state.service ? "— " + state.service : "— all services";
  document.title = state.service ? "LogLens · " + state.service : "LogLens dashboard";
}

export function setRange(range) {
  if (!isRange(range) || range === state.range) return;
  state.range = range;
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
