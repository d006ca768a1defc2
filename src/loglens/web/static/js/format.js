/* Number and time formatting: plain strings, no DOM. */

import { serverNow } from "./state.js";

export var numberFormat = new Intl.NumberFormat();

export function parseTime(value) {
  var ms = Date.parse(value);
  return isNaN(ms) ? null : ms;
}

/* "12 s ago", relative to the server's clock. */
export function relative(ms) {
  var seconds = Math.round((serverNow() - ms) / 1000);
  if (seconds < 1) return "just now";
  if (seconds < 60) return seconds + " s ago";
  var minutes = Math.floor(seconds / 60);
  if (minutes < 60) return minutes + " min ago";
  var hours = Math.floor(minutes / 60);
  if (hours < 48) return hours + " h ago";
  return Math.floor(hours / 24) + " d ago";
}

export function exact(ms) {
  var d = new Date(ms);
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }) + " (" + d.toISOString() + ")";
}

export function clock(ms) {
  return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/* API bucket keys are UTC minutes, "2024-01-15T14:30"; labels show the browser's local time. */
export function bucketMs(key) {
  return Date.parse(key + ":00Z");
}

export function bucketLabel(key) {
  return new Date(bucketMs(key)).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
}

export function since(key) {
  return new Date(bucketMs(key)).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function plural(n, one, many) {
  return n === 1 ? one : many;
}

export function percent(rate) {
  return (rate * 100).toFixed(rate > 0 && rate < 0.001 ? 2 : 1) + "%";
}

/* What a dashboard answer's window covers: "last 30 min", "last 7 days", or "Dec 1, 10:00 – 12:00". */
export function rangeText(win) {
  if (win.live && win.minutes) {
    var m = win.minutes;
    if (m % 1440 === 0) return "last " + (m === 1440 ? "24 h" : m / 1440 + " days");
    if (m % 60 === 0) return "last " + m / 60 + " h";
    return "last " + m + " min";
  }
  if (!win.from || !win.to) return "";
  return since(win.from) + " – " + since(win.to);
}
