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

/* One family of time formats everywhere (dashboard and Explore): the 24-hour clock with two-digit hours, and the
 * short month and day in front when the day matters: "14:07:01", "Dec 6, 14:07", "Dec 6, 14:07:01.930". */
var H23 = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
var minuteFormat = new Intl.DateTimeFormat(undefined, H23);
var secondFormat = new Intl.DateTimeFormat(undefined, Object.assign({ second: "2-digit" }, H23));
var dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
var yearDayFormat = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });

function pad3(n) {
  return ("00" + n).slice(-3);
}

/* "Dec 6" (local date). */
export function day(ms) {
  return dayFormat.format(new Date(ms));
}

/* "14:07:01", or "14:07" without seconds, or "14:07:01.930" with milliseconds. */
export function timeOfDay(ms, parts) {
  var d = new Date(ms);
  if (parts === "minutes") return minuteFormat.format(d);
  var text = secondFormat.format(d);
  return parts === "millis" ? text + "." + pad3(d.getMilliseconds()) : text;
}

/* "Dec 6, 14:07:01" (parts as for timeOfDay). */
export function dayTime(ms, parts) {
  return day(ms) + ", " + timeOfDay(ms, parts);
}

function sameDay(a, b) {
  var x = new Date(a);
  var y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/* The time of day for today's moments, with the date for older ones. */
export function clock(ms) {
  return sameDay(ms, serverNow()) ? timeOfDay(ms) : dayTime(ms);
}

/* The full moment, for tooltips: "Dec 6, 2026, 14:07:01.930 (2026-12-06T14:07:01.930Z)". */
export function exact(ms) {
  var d = new Date(ms);
  return yearDayFormat.format(d) + ", " + timeOfDay(ms, "millis") + " (" + d.toISOString() + ")";
}

/* API bucket keys are UTC minutes, "2024-01-15T14:30"; labels show the browser's local time. */
export function bucketMs(key) {
  return Date.parse(key + ":00Z");
}

/* A chart's time label: "14:30", or "Dec 6, 14:30" when the chart spans more than one day. */
export function bucketLabel(key, withDay) {
  var ms = bucketMs(key);
  return withDay ? dayTime(ms, "minutes") : timeOfDay(ms, "minutes");
}

/* Whether the buckets from `first` to `last` (keys) fall on different local days. */
export function spansDays(first, last) {
  return !!first && !!last && !sameDay(bucketMs(first), bucketMs(last));
}

export function since(key) {
  return dayTime(bucketMs(key), "minutes");
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
