/* The two charts (log volume, error rate), drawn by Chart.js: the classic script in vendor/, used as window.Chart. */

import { $, el } from "./dom.js";
import { bucketLabel, bucketMs, exact, percent, spansDays } from "./format.js";
import { state } from "./state.js";

var charts = { volume: null, error: null, keys: [] };


/* Colours come from the stylesheet so that dark mode changes them too. */
function palette() {
  var css = window.getComputedStyle(document.documentElement);
  function v(name) {
    return css.getPropertyValue(name).trim();
  }
  return {
    volume: v("--chart-volume"),
    volumeFill: v("--chart-volume-fill"),
    errors: v("--chart-errors"),
    errorRate: v("--chart-error-rate"),
    errorFill: v("--chart-error-fill"),
    threshold: v("--chart-threshold"),
    grid: v("--chart-grid"),
    text: v("--chart-text"),
  };
}

/* Fewer time labels on a narrow chart, so they never overlap. */
function xTicks(width) {
  var w = width || $("volume-chart").parentElement.clientWidth;
  return w < 480 ? 4 : w < 800 ? 6 : 8;
}

function chartOptions(colors, yTitle, percentAxis) {
  return {
    animation: false,
    responsive: true,
    onResize: function (chart, size) {
      chart.options.scales.x.ticks.maxTicksLimit = xTicks(size.width);
    },
    maintainAspectRatio: false,
    interaction: { mode: "index", intersect: false },
    scales: {
      x: {
        ticks: { color: colors.text, maxTicksLimit: xTicks(), maxRotation: 0, autoSkip: true, autoSkipPadding: 12 },
        grid: { color: colors.grid },
      },
      y: {
        beginAtZero: true,
        ticks: {
          color: colors.text,
          precision: percentAxis ? undefined : 0,
          callback: percentAxis
            ? function (value) {
                return value + "%";
              }
            : undefined,
        },
        grid: { color: colors.grid },
        title: { display: true, text: yTitle, color: colors.text },
      },
    },
    plugins: {
      // The legend is drawn in HTML under the title (renderLegend), where long labels wrap at any width: the
      // canvas legend cuts them off on a phone. Chart.js still builds its items, which the HTML legend shows.
      legend: { display: false, labels: { color: colors.text, boxWidth: 12, boxHeight: 8, usePointStyle: true } },
      tooltip: {
        callbacks: {
          title: function (items) {
            var key = items.length ? charts.keys[items[0].dataIndex] : null;
            return key ? exact(bucketMs(key)) : "";
          },
        },
      },
    },
  };
}

function createCharts() {
  if (charts.volume) return true;
  if (typeof window.Chart !== "function") {
    ["volume-chart", "error-chart"].forEach(function (id) {
      var box = $(id).parentElement;
      if (!box.querySelector(".chart-missing")) {
        box.appendChild(el("p", { className: "chart-missing", text: "Chart.js did not load (run make install)." }));
      }
    });
    return false;
  }
  var colors = palette();
  charts.volume = new window.Chart($("volume-chart"), {
    type: "line",
    data: {
      labels: [],
      datasets: [
        {
          label: "All logs",
          data: [],
          borderColor: colors.volume,
          backgroundColor: colors.volumeFill,
          fill: "origin",
          borderWidth: 2,
          tension: 0.25,
        },
        {
          label: "Errors",
          data: [],
          borderColor: colors.errors,
          backgroundColor: colors.errors,
          fill: false,
          borderWidth: 2,
          tension: 0.25,
        },
      ],
    },
    options: chartOptions(colors, "entries", false),
  });
  charts.error = new window.Chart($("error-chart"), {
    type: "line",
    data: {
      labels: [],
      datasets: [
        {
          label: "Error rate",
          data: [],
          borderColor: colors.errorRate,
          backgroundColor: colors.errorFill,
          fill: "origin",
          borderWidth: 2,
          tension: 0.25,
        },
        {
          label: "Threshold",
          data: [],
          borderColor: colors.threshold,
          backgroundColor: colors.threshold,
          borderDash: [6, 4],
          borderWidth: 1.5,
          pointStyle: "line",
          pointRadius: 0,
          pointHoverRadius: 0,
          fill: false,
        },
      ],
    },
    options: chartOptions(colors, "% errors", true),
  });
  return true;
}

export function recolorCharts() {
  if (!charts.volume) return;
  var colors = palette();
  var v = charts.volume.data.datasets;
  v[0].borderColor = colors.volume;
  v[0].backgroundColor = colors.volumeFill;
  v[1].borderColor = colors.errors;
  v[1].backgroundColor = colors.errors;
  var e = charts.error.data.datasets;
  e[0].borderColor = colors.errorRate;
  e[0].backgroundColor = colors.errorFill;
  e[1].borderColor = colors.threshold;
  e[1].backgroundColor = colors.threshold;
  [charts.volume, charts.error].forEach(function (chart) {
    var scales = chart.options.scales;
    scales.x.ticks.color = colors.text;
    scales.y.ticks.color = colors.text;
    scales.y.title.color = colors.text;
    scales.x.grid.color = colors.grid;
    scales.y.grid.color = colors.grid;
    chart.options.plugins.legend.labels.color = colors.text;
    chart.update("none");
  });
}

/* The chart's legend items as an HTML list: a swatch in the line's colour (dashed for a dashed line) and the text,
 * which wraps. Not a control (the canvas legend's click-to-hide was mouse-only): the keyboard skips it. */
function renderLegend(chart, id) {
  var list = $(id);
  var items = (chart.legend && chart.legend.legendItems) || [];
  var nodes = items.map(function (item) {
    var dataset = chart.data.datasets[item.datasetIndex];
    var swatch = el("span", { className: "legend-swatch", "aria-hidden": "true" });
    swatch.style.borderColor = dataset.borderColor;
    swatch.style.borderStyle = dataset.borderDash ? "dashed" : "solid";
    return el("li", { className: "legend-item" }, [swatch, el("span", { className: "legend-text", text: item.text })]);
  });
  list.replaceChildren.apply(list, nodes);
}

/* Dashes the line into the bucket that is still filling (its value will grow), as the legend says. */
function partialSegment(partialIndex) {
  return {
    borderDash: function (ctx) {
      return partialIndex >= 0 && ctx.p1DataIndex === partialIndex ? [5, 4] : undefined;
    },
  };
}

export function renderCharts(data) {
  var series = data.time_series || [];
  var trends = data.error_trends || [];
  var win = data.window || {};
  var settings = data.settings || {};
  var least = settings.error_rate_min_entries || 1;
  var width = win.bucket_minutes || 1;
  var per = width === 1 ? "per minute" : "per " + width + " min";
  var scope = state.service ? " · " + state.service : "";
  $("volume-subtitle").textContent = "(" + per + scope + ")";
  $("error-subtitle").textContent = "(" + per + scope + ", threshold " + percent(state.threshold) + ")";
  if (!createCharts()) return;

  charts.keys = series.map(function (p) {
    return p.time;
  });
  // Over more than one day (24 h, 7 d, a long custom range) each label carries its date: "Dec 6, 14:00".
  var withDay = series.length > 0 && spansDays(series[0].time, series[series.length - 1].time);
  var labels = series.map(function (p) {
    return bucketLabel(p.time, withDay);
  });
  var radius = series.length > 30 ? 0 : 2;
  var partialIndex = -1;
  series.forEach(function (p, i) {
    if (p.partial) partialIndex = i;
  });
  var partialNote = partialIndex >= 0 ? " (dashed: current " + (width === 1 ? "minute" : "bucket") + ", still filling)" : "";

  var v = charts.volume.data;
  v.labels = labels;
  v.datasets[0].label = "All logs" + partialNote;
  v.datasets[0].data = series.map(function (p) {
    return p.total;
  });
  v.datasets[1].data = series.map(function (p) {
    return p.errors;
  });
  v.datasets.forEach(function (d) {
    d.pointRadius = radius;
    d.segment = partialSegment(partialIndex);
  });

  // An empty bucket (total 0; its error_rate is 0.0) is a gap, not 0%, and a rate from fewer than `least` entries is
  // left out as uncertain, so that 2 errors in 2 entries never draw a 100% spike that flattens everything else.
  var uncertain = 0;
  var e = charts.error.data;
  e.labels = labels.slice();
  e.datasets[0].label = "Error rate (buckets with fewer than " + least + " entries left out)" + partialNote;
  e.datasets[0].data = trends.map(function (p) {
    if (!p.total || typeof p.error_rate !== "number") return null;
    if (p.uncertain) {
      uncertain += 1;
      return null;
    }
    return Math.round(p.error_rate * 10000) / 100;
  });
  e.datasets[0].pointRadius = radius;
  e.datasets[0].segment = partialSegment(partialIndex);
  var line = Math.round(state.threshold * 10000) / 100;
  e.datasets[1].data = series.map(function () {
    return line;
  });
  charts.error.options.scales.y.suggestedMax = Math.min(100, Math.max(line * 1.5, 5));

  charts.volume.update("none");
  charts.error.update("none");
  renderLegend(charts.volume, "volume-legend");
  renderLegend(charts.error, "error-legend");
  // For tests and tools: what the charts currently span.
  ["volume-chart", "error-chart"].forEach(function (id) {
    var canvas = $(id);
    canvas.dataset.points = String(series.length);
    canvas.dataset.bucketMinutes = String(width);
    canvas.dataset.firstBucket = series.length ? series[0].time : "";
    canvas.dataset.lastBucket = series.length ? series[series.length - 1].time : "";
    canvas.dataset.partialBucket = partialIndex >= 0 ? series[partialIndex].time : "";
  });
  $("error-chart").dataset.uncertainBuckets = String(uncertain);
}
