/* A rule's backtest drawn: the preview answer of POST /api/alert-rules/preview as a Chart.js line chart (each
 * group's value, the threshold dashed, the would-fire intervals shaded), and as a small inline SVG sparkline for
 * the rules table. Colours come from the stylesheet (dark mode changes them too); no inline style (the CSP). */

import { el } from "../dom.js";
import { clock, dayTime, numberFormat, parseTime } from "../format.js";

var SVG = "http://www.w3.org/2000/svg";
var PALETTE = ["--series-1", "--series-2", "--series-3", "--series-4", "--series-5", "--series-6"];
var SPARK_W = 160;
var SPARK_H = 32;
var chart = null;

function cssVar(name) {
  return window.getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/* The answer's times as ms, and for each point whether any group would have been firing then. */
function firingMask(answer) {
  var times = answer.times.map(parseTime);
  var spans = answer.firings.map(function (f) {
    return [parseTime(f.fired_at), f.resolved_at ? parseTime(f.resolved_at) : Infinity];
  });
  return times.map(function (t) {
    return spans.some(function (s) {
      return t >= s[0] && t < s[1];
    });
  });
}

function highest(answer, i) {
  var top = answer.threshold;
  answer.series.forEach(function (s) {
    if (s.values[i] !== null && s.values[i] > top) top = s.values[i];
  });
  return top;
}

export function valueText(value) {
  if (value === null || value === undefined) return "no data";
  return Number.isInteger(value) ? numberFormat.format(value) : String(+Number(value).toFixed(3));
}

/* Draw the preview answer on `canvas` (replacing the previous chart). Each dataset says what it is (`kind`:
 * series, threshold or firing) so that the page's tests can read the chart back. */
export function drawPreview(canvas, answer) {
  if (chart) chart.destroy();
  var text = cssVar("--chart-text");
  var mask = firingMask(answer);
  var datasets = answer.series.map(function (s, i) {
    var colour = cssVar(PALETTE[i % PALETTE.length]);
    return {
      kind: "series",
      label: s.group || "value",
      data: s.values.slice(),
      borderColor: colour,
      backgroundColor: colour,
      borderWidth: 1.5,
      pointRadius: 0,
      spanGaps: false,
    };
  });
  datasets.push({
    kind: "threshold",
    label: "threshold " + answer.condition,
    data: answer.times.map(function () {
      return answer.threshold;
    }),
    borderColor: cssVar("--danger"),
    borderDash: [6, 4],
    borderWidth: 1.5,
    pointRadius: 0,
  });
  datasets.push({
    kind: "firing",
    label: "would fire",
    data: mask.map(function (on, i) {
      return on ? highest(answer, i) : null;
    }),
    borderWidth: 0,
    pointRadius: 0,
    backgroundColor: cssVar("--danger-soft"),
    fill: "origin",
    stepped: true,
  });
  var multiDay = answer.times.length > 1;
  chart = new window.Chart(canvas, {
    type: "line",
    data: {
      labels: answer.times.map(function (iso) {
        var ms = parseTime(iso);
        return multiDay ? dayTime(ms, "minutes") : clock(ms);
      }),
      datasets: datasets,
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { color: text } } },
      scales: {
        x: { ticks: { color: text, maxRotation: 0, autoSkip: true, maxTicksLimit: 12 }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { color: text }, grid: { color: cssVar("--chart-grid") } },
      },
    },
  });
  return chart;
}

function svg(tag, attrs) {
  var node = document.createElementNS(SVG, tag);
  Object.keys(attrs).forEach(function (key) {
    node.setAttribute(key, String(attrs[key]));
  });
  return node;
}

/* A sparkline of the preview answer: each group's value as a polyline, the threshold as a dashed line, over a
 * scale from 0 (or the lowest value) to the highest of the values and the threshold. */
export function sparkline(answer) {
  var values = [];
  answer.series.forEach(function (s) {
    s.values.forEach(function (v) {
      if (v !== null) values.push(v);
    });
  });
  var top = Math.max.apply(null, values.concat([answer.threshold]));
  var bottom = Math.min.apply(null, values.concat([answer.threshold, 0]));
  var span = top - bottom || 1;
  var n = answer.times.length;
  function x(i) {
    return n > 1 ? ((i / (n - 1)) * SPARK_W).toFixed(1) : "0";
  }
  function y(v) {
    return (SPARK_H - 1 - ((v - bottom) / span) * (SPARK_H - 2)).toFixed(1);
  }
  var box = svg("svg", {
    class: "sparkline",
    viewBox: "0 0 " + SPARK_W + " " + SPARK_H,
    width: SPARK_W,
    height: SPARK_H,
    role: "img",
    "aria-label":
      "Value over the last 24 h: " +
      (values.length ? "highest " + valueText(Math.max.apply(null, values)) : "no data") +
      ", threshold " + answer.condition + ", " + answer.firings.length + " would-fire intervals",
    "data-points": values.length,
    "data-max": values.length ? Math.max.apply(null, values) : "",
    "data-firings": answer.firings.length,
  });
  var yt = y(answer.threshold);
  box.appendChild(svg("line", { class: "sparkline-threshold", x1: 0, x2: SPARK_W, y1: yt, y2: yt }));
  answer.series.forEach(function (s, k) {
    var points = [];
    s.values.forEach(function (v, i) {
      if (v !== null) points.push(x(i) + "," + y(v));
    });
    if (points.length) box.appendChild(svg("polyline", { class: "sparkline-line series-" + (k % 6), points: points.join(" ") }));
  });
  return box;
}

/* The would-fire intervals as a list (what the chart shades, in words). */
export function firingItems(answer) {
  return answer.firings.map(function (f) {
    var fired = parseTime(f.fired_at);
    var resolved = f.resolved_at ? parseTime(f.resolved_at) : null;
    return el("li", { className: "rule-firing", dataset: { firedAt: f.fired_at, group: f.group } }, [
      "Would have fired " + dayTime(fired, "minutes"),
      resolved === null ? " and still fire now" : ", resolved " + dayTime(resolved, "minutes"),
      f.group ? " (" + f.group + ")" : "",
      " at " + valueText(f.value),
    ]);
  });
}
