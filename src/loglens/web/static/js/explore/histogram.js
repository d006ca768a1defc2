/* The histogram above the results: the matching entries over the range, stacked by level (/api/stats with
 * `FILTER | timechart count() by level`). Dragging across it narrows the range to the part dragged over. */

import { $ } from "../dom.js";
import { dayTime, numberFormat, plural, timeOfDay } from "../format.js";
import { cssVar, filterOf, getJson } from "./stages.js";
import { filterParams, view } from "./view.js";

var LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
var COLOR = { DEBUG: "--lvl-debug-bar", INFO: "--lvl-info-bar", WARNING: "--lvl-warning-bar", ERROR: "--lvl-error-bar",
  CRITICAL: "--lvl-critical-bar" };
var chart = null;
var generation = 0;
var drag = null; // {x0, x1} in canvas pixels while dragging
var onNarrow = null;

function params() {
  return filterParams(filterOf(view.q) + " | timechart count() by level");
}

function labels(times) {
  var multiDay = times.length > 1 && times[times.length - 1] - times[0] >= 86400000;
  return times.map(function (t) {
    return multiDay ? dayTime(t, "minutes") : timeOfDay(t, "minutes");
  });
}

/* Draw (or redraw) for the current view; `narrow(fromIso, toIso)` is called when the user drags a range. */
export function drawHistogram(narrow) {
  onNarrow = narrow;
  generation += 1;
  var mine = generation;
  var panel = $("histogram-panel");
  return getJson("/api/stats?" + params().toString()).then(function (answer) {
    if (mine !== generation) return;
    if (!answer.ok || !answer.data || answer.data.kind !== "timechart") {
      panel.hidden = true; // the results say what is wrong with the query
      return;
    }
    panel.hidden = false;
    render(answer.data);
  }).catch(function () {
    if (mine === generation) panel.hidden = true;
  });
}

export function hideHistogram() {
  generation += 1;
  $("histogram-panel").hidden = true;
}

function render(data) {
  var total = 0;
  var datasets = LEVELS.map(function (level) {
    var series = data.series.filter(function (s) {
      return s.group === level;
    })[0];
    var values = series ? series.values : data.times.map(function () {
      return 0;
    });
    values.forEach(function (v) {
      total += v || 0;
    });
    return { label: level, data: values, backgroundColor: cssVar(COLOR[level]), stack: "levels", borderWidth: 0 };
  }).filter(function (d) {
    return d.data.some(function (v) {
      return v > 0;
    });
  });
  $("histogram-total").textContent =
    numberFormat.format(total) + plural(total, " match", " matches") + " · " + data.span_seconds / 60 + " min buckets";
  var canvas = $("histogram");
  canvas.dataset.times = JSON.stringify(data.times);
  canvas.dataset.span = String(data.span_seconds * 1000);
  canvas.dataset.total = String(total);
  var text = cssVar("--chart-text");
  var grid = cssVar("--chart-grid");
  var config = {
    type: "bar",
    data: { labels: labels(data.times), datasets: datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { display: true, position: "bottom", labels: { color: text, boxWidth: 12 } } },
      scales: {
        x: { stacked: true, ticks: { color: text, maxTicksLimit: 8, maxRotation: 0 }, grid: { display: false } },
        y: { stacked: true, beginAtZero: true, ticks: { color: text, precision: 0 }, grid: { color: grid } },
      },
    },
  };
  if (chart) chart.destroy();
  chart = new window.Chart(canvas, config);
}

/* The time at a canvas x position (the start of the bucket under it, or the end of the last). */
function timeAt(x, end) {
  var canvas = $("histogram");
  var times = JSON.parse(canvas.dataset.times || "[]");
  var span = Number(canvas.dataset.span || 0);
  if (!chart || !times.length) return null;
  var area = chart.chartArea;
  var clamped = Math.min(Math.max(x, area.left), area.right - 1);
  var index = Math.floor(((clamped - area.left) / (area.right - area.left)) * times.length);
  return times[index] + (end ? span : 0);
}

function overlay() {
  var box = $("histogram-selection");
  if (!drag) {
    box.hidden = true;
    return;
  }
  var left = Math.min(drag.x0, drag.x1);
  box.hidden = false;
  box.style.setProperty("--sel-left", left + "px");
  box.style.setProperty("--sel-width", Math.abs(drag.x1 - drag.x0) + "px");
}

export function initHistogram() {
  var canvas = $("histogram");
  canvas.addEventListener("pointerdown", function (event) {
    if (!chart) return;
    drag = { x0: event.offsetX, x1: event.offsetX };
    canvas.setPointerCapture(event.pointerId);
    overlay();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drag) return;
    drag.x1 = event.offsetX;
    overlay();
  });
  canvas.addEventListener("pointerup", function (event) {
    if (!drag) return;
    var lo = Math.min(drag.x0, event.offsetX);
    var hi = Math.max(drag.x0, event.offsetX);
    drag = null;
    overlay();
    if (hi - lo < 4 || !onNarrow) return; // a click, not a drag
    var from = timeAt(lo, false);
    var to = timeAt(hi, true);
    if (from !== null && to !== null && to > from) onNarrow(new Date(from).toISOString(), new Date(to).toISOString());
  });
}
