/* The view (range, service filter) in the query string, so that a link reproduces it. */

import { DEFAULT_RANGE, isRange, state } from "./state.js";

export function readUrl() {
  var params = new URLSearchParams(window.location.search);
  var range = params.get("range");
  state.range = isRange(range) ? range : DEFAULT_RANGE;
  var service = params.get("service");
  state.service = service ? service : null;
}

export function writeUrl() {
  var params = new URLSearchParams(window.location.search);
  params.set("range", state.range);
  if (state.service) params.set("service", state.service);
  else params.delete("service");
  var url = window.location.pathname + "?" + params.toString() + window.location.hash;
  if (url !== window.location.pathname + window.location.search + window.location.hash) {
    window.history.pushState({ range: state.range, service: state.service }, "", url);
  }
}
