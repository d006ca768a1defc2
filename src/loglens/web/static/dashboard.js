/* LogLens dashboard: polls /api/advanced-dashboard-data and renders cards, charts, alerts, services and logs.
 *
 * Rules kept throughout:
 * - every string that comes from logs (message, service, user id, metadata, alert text) is put in the page with
 *   textContent / attributes, never innerHTML;
 * - at most one request in flight: the next one is scheduled only when the previous one has finished, and an
 *   AbortController bounds each request's time;
 * - the view (range, service filter) lives in the query string, so a link reproduces it.
 */
(function () {
  "use strict";

  var RANGES = { "15m": 15, "30m": 30, "1h": 60, "6h": 360, "24h": 1440 };
  var DEFAULT_RANGE = "30m";
  var API = "/api/advanced-dashboard-data";
  var LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
  var STATUS_ORDER = { down: 0, degraded: 1, healthy: 2 };

  var body = document.body;
  var numberFormat = new Intl.NumberFormat();

  var state = {
    range: DEFAULT_RANGE,
    service: null,
    refreshSeconds: positive(parseFloat(body.dataset.refreshSeconds), 5),
    threshold: nonNegative(parseFloat(body.dataset.errorRateThreshold), 0.1),
    paused: false,
    inFlight: null, // the AbortController of the request in flight, if any
    refetch: false, // the view changed while a request was in flight: fetch again when it ends
    timer: null,
    lastSuccess: null, // Date.now() of the last successful refresh
    offline: false,
    offlineReason: "",
    clockOffset: 0, // server clock minus browser clock, ms (from window.generated_at)
    data: null,
  };

  var charts = { volume: null, error: null, keys: [] };

  function $(id) {
    return document.getElementById(id);
  }

  function positive(value, fallback) {
    return isFinite(value) && value > 0 ? value : fallback;
  }

  function nonNegative(value, fallback) {
    return isFinite(value) && value >= 0 ? value : fallback;
  }

  /* Build an element: el("li", {className: "x", dataset: {id: 1}, title: "t"}, [children or strings]). */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null) return;
        if (key === "dataset") {
          Object.keys(value).forEach(function (k) {
            node.dataset[k] = String(value[k]);
          });
        } else if (key === "text") {
          node.textContent = String(value);
        } else if (key === "className" || key === "title" || key === "type" || key === "tabIndex") {
          node[key] = value;
        } else {
          node.setAttribute(key, String(value));
        }
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  /* ---------------------------------------------------------------- time formatting */

  function parseTime(value) {
    var ms = Date.parse(value);
    return isNaN(ms) ? null : ms;
  }

  function serverNow() {
    return Date.now() + state.clockOffset;
  }

  function relative(ms) {
    var seconds = Math.round((serverNow() - ms) / 1000);
    if (seconds < 1) return "just now";
    if (seconds < 60) return seconds + " s ago";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min ago";
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + " h ago";
    return Math.floor(hours / 24) + " d ago";
  }

  function exact(ms) {
    var d = new Date(ms);
    return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }) + " (" + d.toISOString() + ")";
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  /* A <time> that shows "12 s ago" (kept fresh by tick()) with the exact time on hover. */
  function relativeTime(iso, prefix) {
    var ms = parseTime(iso);
    if (ms === null) return el("span", { text: iso || "never" });
    return el("time", {
      className: "rel",
      datetime: iso,
      title: exact(ms),
      dataset: { ms: ms, prefix: prefix || "" },
      text: (prefix || "") + relative(ms),
    });
  }

  /* API bucket keys are UTC minutes, "2024-01-15T14:30"; labels show the browser's local time. */
  function bucketMs(key) {
    return Date.parse(key + ":00Z");
  }

  function bucketLabel(key) {
    return new Date(bucketMs(key)).toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
  }

  function since(key) {
    return new Date(bucketMs(key)).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function plural(n, one, many) {
    return n === 1 ? one : many;
  }

  function percent(rate) {
    return (rate * 100).toFixed(rate > 0 && rate < 0.001 ? 2 : 1) + "%";
  }

  /* ---------------------------------------------------------------- URL <-> view */

  function readUrl() {
    var params = new URLSearchParams(window.location.search);
    var range = params.get("range");
    state.range = Object.prototype.hasOwnProperty.call(RANGES, range) ? range : DEFAULT_RANGE;
    var service = params.get("service");
    state.service = service ? service : null;
  }

  function writeUrl() {
    var params = new URLSearchParams(window.location.search);
    params.set("range", state.range);
    if (state.service) params.set("service", state.service);
    else params.delete("service");
    var url = window.location.pathname + "?" + params.toString() + window.location.hash;
    if (url !== window.location.pathname + window.location.search + window.location.hash) {
      window.history.pushState({ range: state.range, service: state.service }, "", url);
    }
  }

  function syncControls() {
    $("range-select").value = state.range;
    var chip = $("filter-chip");
    chip.hidden = !state.service;
    $("filter-service").textContent = state.service || "";
    $("logs-subtitle").textContent = state.service ? "— " + state.service : "— all services";
    document.title = state.service ? "LogLens · " + state.service : "LogLens dashboard";
  }

  function setRange(range) {
    if (!Object.prototype.hasOwnProperty.call(RANGES, range) || range === state.range) return;
    state.range = range;
    writeUrl();
    syncControls();
    requestRefresh();
  }

  function setService(service) {
    service = service || null;
    if (service === state.service) return;
    state.service = service;
    writeUrl();
    syncControls();
    if (state.data) renderServices(state.data.service_health || {});
    requestRefresh();
  }

  /* ---------------------------------------------------------------- fetching */

  function timeoutMs() {
    return Math.min(Math.max(state.refreshSeconds * 2000, 4000), 15000);
  }

  function requestKey() {
    return state.range + "|" + (state.service || "");
  }

  /* Fetch now, unless a request is in flight: then fetch again as soon as it ends (never two at once). */
  function requestRefresh() {
    if (state.inFlight) {
      state.refetch = true;
      return;
    }
    refresh();
  }

  function schedule() {
    window.clearTimeout(state.timer);
    state.timer = null;
    if (state.paused) return;
    state.timer = window.setTimeout(refresh, state.refreshSeconds * 1000);
  }

  function refresh() {
    if (state.inFlight) return;
    window.clearTimeout(state.timer);
    state.timer = null;
    state.refetch = false;
    var key = requestKey();
    var params = new URLSearchParams({ minutes: String(RANGES[state.range]) });
    if (state.service) params.set("service", state.service);
    var controller = new AbortController();
    var timedOut = false;
    var timeout = window.setTimeout(function () {
      timedOut = true;
      controller.abort();
    }, timeoutMs());
    state.inFlight = controller;
    body.setAttribute("aria-busy", "true");

    fetch(API + "?" + params.toString(), {
      signal: controller.signal,
      cache: "no-store",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("the server answered HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        online();
        if (key !== requestKey()) {
          state.refetch = true; // the answer is for a view the user has left
          return;
        }
        try {
          render(data);
        } catch (error) {
          // A bug on this page, not a connection problem: report it as an uncaught error, keep polling.
          window.setTimeout(function () {
            throw error;
          });
        }
      })
      .catch(function (error) {
        offline(timedOut ? "no answer within " + Math.round(timeoutMs() / 1000) + " s" : describe(error));
      })
      .then(function () {
        window.clearTimeout(timeout);
        state.inFlight = null;
        body.removeAttribute("aria-busy");
        if (state.refetch) refresh();
        else schedule();
      });
  }

  function describe(error) {
    var text = error && error.message ? error.message : String(error);
    return text === "Failed to fetch" ? "connection failed" : text;
  }

  function online() {
    state.lastSuccess = Date.now();
    if (state.offline) {
      state.offline = false;
      $("conn-banner").hidden = true;
      $("conn-banner").textContent = "";
      body.classList.remove("stale");
    }
    tick();
  }

  function offline(reason) {
    state.offline = true;
    state.offlineReason = reason;
    var banner = $("conn-banner");
    var text = "Cannot reach the LogLens server (" + reason + "). ";
    text += state.paused ? "Auto-refresh is paused." : "Retrying every " + state.refreshSeconds + " s.";
    if (state.lastSuccess !== null) text += " The data shown is from " + clock(state.lastSuccess) + ".";
    banner.textContent = text;
    banner.hidden = false;
    body.classList.add("stale");
    tick();
  }

  /* ---------------------------------------------------------------- rendering */

  function render(data) {
    state.data = data;
    var generated = parseTime(data.window && data.window.generated_at);
    if (generated !== null) state.clockOffset = generated - Date.now();
    var settings = data.settings || {};
    if (typeof settings.error_rate_threshold === "number") state.threshold = settings.error_rate_threshold;
    if (typeof settings.refresh_seconds === "number" && settings.refresh_seconds > 0) {
      state.refreshSeconds = settings.refresh_seconds;
    }
    renderCards(data);
    renderCharts(data);
    renderAlerts(data.active_alerts || [], data.resolved_alerts || []);
    renderServices(data.service_health || {});
    renderLogs(data.recent_logs || []);
  }

  function setCard(id, value, text, note) {
    var node = $(id);
    node.dataset.value = String(value);
    node.textContent = text;
    $(id + "-note").textContent = note;
    return node;
  }

  function renderCards(data) {
    var s = data.summary || {};
    var range = s.time_range || {};
    setCard(
      "card-total-logs",
      s.total_logs,
      numberFormat.format(s.total_logs),
      numberFormat.format(s.current_stored) + " stored" + (range.first ? " since " + since(range.first) : "")
    );

    var danger = s.error_rate > state.threshold;
    var rate = setCard(
      "card-error-rate",
      s.error_rate,
      percent(s.error_rate),
      numberFormat.format(s.total_errors) +
        " errors · " +
        (danger ? "above" : "threshold") +
        " " +
        percent(state.threshold) +
        (danger ? " threshold" : "")
    );
    rate.dataset.threshold = String(state.threshold);
    rate.classList.toggle("danger", danger);
    rate.parentElement.classList.toggle("card-danger", danger);

    var health = data.service_health || {};
    var down = 0;
    var degraded = 0;
    Object.keys(health).forEach(function (name) {
      if (health[name].status === "down") down += 1;
      else if (health[name].status === "degraded") degraded += 1;
    });
    setCard(
      "card-services",
      s.active_services,
      numberFormat.format(s.active_services),
      down || degraded ? down + " down · " + degraded + " degraded" : "all healthy"
    );

    var alerts = data.active_alerts || [];
    var critical = alerts.filter(function (a) {
      return a.severity === "CRITICAL";
    }).length;
    var card = setCard(
      "card-alerts",
      alerts.length,
      numberFormat.format(alerts.length),
      alerts.length ? critical + " critical · " + (alerts.length - critical) + " warning" : "none firing"
    );
    card.classList.toggle("danger", critical > 0);
    card.classList.toggle("warning", critical === 0 && alerts.length > 0);
    card.parentElement.classList.toggle("card-danger", critical > 0);
    card.parentElement.classList.toggle("card-warning", critical === 0 && alerts.length > 0);
  }

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
        legend: { labels: { color: colors.text, boxWidth: 12, boxHeight: 8, usePointStyle: true } },
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

  function recolorCharts() {
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

  function renderCharts(data) {
    var series = data.time_series || [];
    var trends = data.error_trends || [];
    var win = data.window || {};
    var width = win.bucket_minutes || 1;
    var per = width === 1 ? "per minute" : "per " + width + " min";
    var scope = state.service ? " · " + state.service : "";
    $("volume-subtitle").textContent = "(" + per + scope + ")";
    $("error-subtitle").textContent = "(" + per + scope + ", threshold " + percent(state.threshold) + ")";
    if (!createCharts()) return;

    charts.keys = series.map(function (p) {
      return p.time;
    });
    var labels = series.map(function (p) {
      return bucketLabel(p.time);
    });
    var radius = series.length > 30 ? 0 : 2;

    var v = charts.volume.data;
    v.labels = labels;
    v.datasets[0].data = series.map(function (p) {
      return p.total;
    });
    v.datasets[1].data = series.map(function (p) {
      return p.errors;
    });
    v.datasets.forEach(function (d) {
      d.pointRadius = radius;
    });

    var e = charts.error.data;
    e.labels = labels.slice();
    e.datasets[0].data = trends.map(function (p) {
      return Math.round(p.error_rate * 10000) / 100;
    });
    e.datasets[0].pointRadius = radius;
    var line = Math.round(state.threshold * 10000) / 100;
    e.datasets[1].data = series.map(function () {
      return line;
    });
    charts.error.options.scales.y.suggestedMax = Math.min(100, Math.max(line * 1.5, 5));

    charts.volume.update("none");
    charts.error.update("none");
    // For tests and tools: what the charts currently span.
    ["volume-chart", "error-chart"].forEach(function (id) {
      var canvas = $(id);
      canvas.dataset.points = String(series.length);
      canvas.dataset.bucketMinutes = String(width);
      canvas.dataset.firstBucket = series.length ? series[0].time : "";
      canvas.dataset.lastBucket = series.length ? series[series.length - 1].time : "";
    });
  }

  function serviceButton(name) {
    return el("button", {
      type: "button",
      className: "service-link",
      dataset: { service: name },
      "aria-label": "Show only service " + name,
      text: name,
    });
  }

  function ruleName(rule) {
    return String(rule).replace(/_/g, " ");
  }

  function alertItem(alert, resolved) {
    var severity = String(alert.severity || "").toLowerCase();
    var classes = "alert sev-" + severity + (resolved ? " alert-resolved" : "");
    var when = resolved ? relativeTime(alert.resolved_at, "resolved ") : relativeTime(alert.fired_at, "");
    return el(
      "li",
      {
        className: classes,
        dataset: { alertId: alert.id, severity: alert.severity, rule: alert.rule, service: alert.service },
      },
      [
        el("div", { className: "alert-head" }, [
          el("span", { className: "sev-badge", text: resolved ? "RESOLVED" : alert.severity }),
          el("span", { className: "alert-rule", text: ruleName(alert.rule) }),
          serviceButton(alert.service),
          el("span", { className: "alert-time" }, [when]),
        ]),
        el("p", { className: "alert-message", text: alert.message }),
      ]
    );
  }

  function fillList(list, items, emptyText) {
    if (!items.length) {
      list.replaceChildren(el("li", { className: "empty", text: emptyText }));
    } else {
      list.replaceChildren.apply(list, items);
    }
  }

  function renderAlerts(firing, resolved) {
    var rank = { CRITICAL: 0, WARNING: 1 };
    var sorted = firing.slice().sort(function (a, b) {
      return (rank[a.severity] || 0) - (rank[b.severity] || 0) || b.id - a.id;
    });
    fillList(
      $("alerts-firing"),
      sorted.map(function (a) {
        return alertItem(a, false);
      }),
      "No alerts firing."
    );
    fillList(
      $("alerts-resolved"),
      resolved.map(function (a) {
        return alertItem(a, true);
      }),
      "Nothing resolved recently."
    );
  }

  function renderServices(health) {
    var names = Object.keys(health).sort(function (a, b) {
      var sa = STATUS_ORDER[health[a].status];
      var sb = STATUS_ORDER[health[b].status];
      return (sa === undefined ? 3 : sa) - (sb === undefined ? 3 : sb) || (a < b ? -1 : a > b ? 1 : 0);
    });
    var items = names.map(function (name) {
      var h = health[name];
      var status = String(h.status);
      return el(
        "li",
        {
          className: "service status-" + status + (name === state.service ? " selected" : ""),
          dataset: { service: name, status: status, logCount: h.log_count },
        },
        [
          el("div", { className: "service-head" }, [
            el("span", { className: "dot", "aria-hidden": "true" }),
            serviceButton(name),
          ]),
          el("span", { className: "service-status", text: status }),
          el("span", { className: "service-stats" }, [
            el("span", { className: "service-count", text: numberFormat.format(h.log_count) }),
            plural(h.log_count, " log", " logs") + " · " + numberFormat.format(h.error_count || 0),
            plural(h.error_count || 0, " error", " errors"),
          ]),
          el("span", { className: "service-stats", text: "recent error rate " + percent(h.error_rate || 0) }),
          el("span", { className: "service-stats" }, ["last seen ", relativeTime(h.last_seen, "")]),
        ]
      );
    });
    fillList($("service-grid"), items, "No services have sent logs yet.");
  }

  function renderLogs(logs) {
    var rows = logs.map(function (entry) {
      var level = LEVELS.indexOf(entry.level) >= 0 ? entry.level : "INFO";
      var ms = parseTime(entry.timestamp);
      var row = el(
        "tr",
        {
          className: "log-row",
          tabIndex: 0,
          dataset: { id: entry.id, level: entry.level, service: entry.service },
          "aria-label": entry.level + " " + entry.service + ": " + entry.message + " (open details)",
        },
        [
          el("td", { className: "log-time" }, [
            ms === null
              ? el("span", { text: entry.timestamp })
              : el("time", { datetime: entry.timestamp, title: exact(ms), text: clock(ms) }),
          ]),
          el("td", { className: "log-level-cell" }, [
            el("span", { className: "level level-" + level.toLowerCase(), text: entry.level }),
          ]),
          el("td", { className: "log-service" }, [serviceButton(entry.service)]),
          el("td", { className: "log-message-cell" }, [el("span", { className: "log-message", text: entry.message })]),
          el("td", { className: "log-user", text: entry.user_id === undefined ? "—" : entry.user_id }),
        ]
      );
      row.addEventListener("click", function (event) {
        if (event.target.closest(".service-link")) return;
        showDetails(entry);
      });
      row.addEventListener("keydown", function (event) {
        if (event.target !== row) return;
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          showDetails(entry);
        }
      });
      return row;
    });
    var tbody = $("logs-body");
    if (!rows.length) {
      var text = state.service ? "No logs from " + state.service + " yet." : "No logs yet.";
      tbody.replaceChildren(el("tr", { className: "empty-row" }, [el("td", { colspan: 5, text: text })]));
    } else {
      tbody.replaceChildren.apply(tbody, rows);
    }
  }

  /* ---------------------------------------------------------------- details dialog */

  var lastFocus = null;

  function showDetails(entry) {
    var dialog = $("log-details");
    $("details-title").textContent = "Log entry #" + entry.id;
    $("details-json").textContent = JSON.stringify(entry, null, 2);
    lastFocus = document.activeElement;
    if (!dialog.open) dialog.showModal();
    $("details-close").focus();
  }

  function closeDetails() {
    var dialog = $("log-details");
    if (dialog.open) dialog.close();
  }

  /* ---------------------------------------------------------------- ticking texts */

  function tick() {
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

  function setPaused(paused) {
    state.paused = paused;
    var button = $("pause-btn");
    button.setAttribute("aria-pressed", paused ? "true" : "false");
    button.textContent = paused ? "Resume" : "Pause";
    button.setAttribute("aria-label", paused ? "Resume auto-refresh" : "Pause auto-refresh");
    body.classList.toggle("paused", paused);
    if (state.offline) offline(state.offlineReason); // the banner says whether it is retrying
    if (paused) {
      window.clearTimeout(state.timer);
      state.timer = null;
    } else {
      requestRefresh();
    }
    tick();
  }

  /* ---------------------------------------------------------------- wiring */

  function init() {
    readUrl();
    syncControls();

    $("range-select").addEventListener("change", function (event) {
      setRange(event.target.value);
    });
    $("pause-btn").addEventListener("click", function () {
      setPaused(!state.paused);
    });
    $("clear-filter").addEventListener("click", function () {
      setService(null);
    });
    // One listener for every service link on the page (table, alerts, service grid).
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest(".service-link") : null;
      if (!link) return;
      event.preventDefault();
      setService(link.dataset.service);
    });
    $("details-close").addEventListener("click", closeDetails);
    $("log-details").addEventListener("click", function (event) {
      if (event.target === event.currentTarget) closeDetails(); // a click on the backdrop
    });
    $("log-details").addEventListener("close", function () {
      if (lastFocus && document.contains(lastFocus)) lastFocus.focus();
      lastFocus = null;
    });
    window.addEventListener("popstate", function () {
      readUrl();
      syncControls();
      requestRefresh();
    });
    if (window.matchMedia) {
      var scheme = window.matchMedia("(prefers-color-scheme: dark)");
      if (scheme.addEventListener) scheme.addEventListener("change", recolorCharts);
    }
    window.setInterval(tick, 1000);
    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
