/* Connection status and the texts that age: the "cannot reach" banner, "Updated 3 s ago", and every "12 s ago". */

import { $ } from "./dom.js";
import { clock, relative } from "./format.js";
import { state } from "./state.js";

/* A request succeeded: hide the banner. */
export function online() {
  state.lastSuccess = Date.now();
  if (state.offline) {
    state.offline = false;
    $("conn-banner").hidden = true;
    $("conn-banner").textContent = "";
    document.body.classList.remove("stale");
  }
  tick();
}

/* A request failed (or the pause changed while offline): say why, and whether it is retrying. */
export function offline(reason) {
  state.offline = true;
  state.offlineReason = reason;
  var banner = $("conn-banner");
  var text = "Cannot reach the LogLens server (" + reason + "). ";
  text += state.paused ? "Auto-refresh is paused." : "Retrying every " + state.refreshSeconds + " s.";
  if (state.lastSuccess !== null) text += " The data shown is from " + clock(state.lastSuccess) + ".";
  banner.textContent = text;
  banner.hidden = false;
  document.body.classList.add("stale");
  tick();
}

/* Run every second (and after each change of status). */
export function tick() {
  var ago = $("updated-ago");
  var text;
  if (state.lastSuccess === null) {
    text = state.offline ? "Never updated" : "Loading…";
  } else {
    var seconds = Math.max(0, Math.round((Date.now() - state.lastSuccess) / 1000));
    text = "Updated " + seconds + " s ago";
    ago.dataset.seconds = String(seconds);
  }
  if (state.paused) text = "Paused · " + text;
  ago.textContent = text;
  var times = document.querySelectorAll("time.rel");
  for (var i = 0; i < times.length; i += 1) {
    var t = times[i];
    t.textContent = t.dataset.prefix + relative(Number(t.dataset.ms));
  }
}
