/* Moments on the Alerts page: silences end (and may start) in the future, so "in 2 h" as well as "5 min ago". */

import { el } from "../dom.js";
import { exact, parseTime, relative } from "../format.js";

function ahead(ms) {
  var seconds = Math.round((ms - Date.now()) / 1000);
  if (seconds < 60) return "in " + Math.max(seconds, 1) + " s";
  var minutes = Math.round(seconds / 60);
  if (minutes < 120) return "in " + minutes + " min";
  var hours = Math.round(minutes / 60);
  if (hours < 48) return "in " + hours + " h";
  return "in " + Math.round(hours / 24) + " d";
}

/* A <time>: "ends in 2 h" or "ended 5 min ago", with the exact moment on hover. */
export function moment(iso, prefix) {
  var ms = parseTime(iso);
  if (ms === null) return el("span", { text: iso || "never" });
  return el("time", {
    datetime: iso,
    title: exact(ms),
    text: (prefix || "") + (ms > Date.now() ? ahead(ms) : relative(ms)),
  });
}
