/* The view (range or from/to, service filter) in the query string, so that a link reproduces it. */

import { CUSTOM, DEFAULT_RANGE, isMinuteKey, isRange, state } from "./state.js";

export function readUrl() {
  var params = new URLSearchParams(window.location.search);
  var range = params.get("range");
  var from = params.get("from");
  var to = params.get("to");
  if (range === CUSTOM && isMinuteKey(from) && isMinuteKey(to) && from <= to) {
    state.range = CUSTOM;
    state.from = from;
    state.to = to;
  } else {
    state.range = isRange(range) ? range : DEFAULT_RANGE;
    state.from = null;
    state.to = null;
  }
  var service = params.get("service");
  state.service = service ? service : null;
}

export function writeUrl() {
  var params = new URLSearchParams(window.location.search);
  params.set("range", state.range);
  if (state.range === CUSTOM) {
    params.set("from", state.from);
    params.set("to", state.to);
  } else {
    params.delete("from");
    params.delete("to");
  }
  if (state.service) params.set("service", state.service);
  else params.delete("service");
  var url = window.location.pathname + "?" + params.toString() + window.location.hash;
  if (url !== window.location.pathname + window.location.search + window.location.hash) {
    window.history.pushState({ range: state.range, service: state.service }, "", url);
  }
}
