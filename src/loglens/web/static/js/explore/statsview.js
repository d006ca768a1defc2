/* A query with a stats, timechart or top stage: its answer as a table and a chart (bars for a table grouped by
 * one field, lines for a timechart) in place of the entry list, with a CSV export of the same answer. */

import { $, el } from "../dom.js";
import { dayTime, numberFormat, timeOfDay } from "../format.js";
import { cssVar, getJson } from "./stages.js";
import { apiParams } from "./view.js";

var chart = null;
var generation = 0;
var PALETTE = ["--series-1", "--series-2", "--series-3", "--series-4", "--series-5", "--series-6"];

function color(i) {
  return cssVar(PALETTE[i % PALETTE.length]);
}

function cell(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? numberFormat.format(value) : String(+value.toFixed(3));
  return String(value);
}

function table(columns, rows) {
  var head = el("tr", null, columns.map(function (c) {
    return el("th", { scope: "col", text: c });
  }));
  var body = rows.map(function (row) {
    return el("tr", null, row.map(function (v) {
      return el("td", { className: typeof v === "number" ? "num" : "", text: cell(v) });
    }));
  });
  $("stats-table").replaceChildren(el("thead", null, [head]), el("tbody", null, body));
}

function timeLabels(times) {
  var multiDay = times.length > 1 && times[times.length - 1] - times[0] >= 86400000;
  return times.map(function (t) {
    return multiDay ? dayTime(t, "minutes") : timeOfDay(t, "minutes");
  });
}

function draw(config) {
  if (chart) chart.destroy();
  chart = null;
  var canvas = $("stats-chart");
  canvas.parentElement.hidden = !config;
  if (!config) return;
  var text = cssVar("--chart-text");
  config.options = {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { display: config.data.datasets.length > 1, position: "bottom", labels: { color: text } } },
    scales: {
      x: { ticks: { color: text, maxRotation: 0, autoSkip: true }, grid: { display: false } },
      y: { beginAtZero: true, ticks: { color: text }, grid: { color: cssVar("--chart-grid") } },
    },
  };
  chart = new window.Chart(canvas, config);
}

function showTable(data) {
  table(data.columns, data.rows);
  var bars = data.by.length === 1 && data.rows.length > 0;
  draw(
    bars
      ? {
          type: "bar",
          data: {
            labels: data.rows.map(function (r) {
              return cell(r[0]);
            }),
            datasets: [
              {
                label: data.columns[1],
                data: data.rows.map(function (r) {
                  return r[1];
                }),
                backgroundColor: color(0),
              },
            ],
          },
        }
      : null
  );
}

function showTimechart(data) {
  var columns = ["time"];
  data.series.forEach(function (s) {
    columns.push(s.group === null ? s.column : s.group + " · " + s.column);
  });
  var rows = data.times.map(function (t, i) {
    return [dayTime(t, "minutes")].concat(data.series.map(function (s) {
      return s.values[i];
    }));
  });
  table(columns, rows);
  draw({
    type: "line",
    data: {
      labels: timeLabels(data.times),
      datasets: data.series.map(function (s, i) {
        return { label: columns[i + 1], data: s.values, borderColor: color(i), backgroundColor: color(i),
          pointRadius: 0, spanGaps: false, tension: 0 };
      }),
    },
  });
}

/* Ask /api/stats for the view; resolves to {ok, status, message}. */
export function runStats() {
  generation += 1;
  var mine = generation;
  var params = apiParams();
  if (!params.has("from")) params.set("from", ""); // "All time": from the first stored entry
  var csv = new URLSearchParams(params);
  csv.set("format", "csv");
  $("stats-csv").setAttribute("href", "/api/stats?" + csv.toString());
  return getJson("/api/stats?" + params.toString()).then(function (answer) {
    if (mine !== generation) return { ok: false, stale: true };
    if (!answer.ok) {
      var message = answer.data && answer.data.error ? answer.data.error : "the server answered HTTP " + answer.status;
      return { ok: false, status: answer.status, message: message };
    }
    var data = answer.data;
    $("stats-panel").hidden = false;
    if (data.kind === "table") showTable(data);
    else showTimechart(data);
    var note = data.kind === "table" ? numberFormat.format(data.rows.length) + " rows" : data.series.length + " series";
    if (!data.complete) note += " (" + numberFormat.format(data.folded) + " smaller groups folded into (other))";
    $("stats-summary").textContent = "— " + note + " · " + Math.round(data.took_ms * 10) / 10 + " ms";
    return { ok: true };
  });
}

export function hideStats() {
  generation += 1;
  $("stats-panel").hidden = true;
  draw(null);
}
