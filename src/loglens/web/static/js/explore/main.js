/* LogLens Explore: search every stored entry with the query language, page through the matches with the cursor,
 * follow new ones live (Server-Sent Events), and export them.
 *
 * Rules kept throughout (as on the dashboard):
 * - every string that comes from logs is put in the page with textContent / attributes, never innerHTML;
 * - the view (query, range, live) lives in the query string, so a reload or a link reproduces it (view.js);
 * - a query the server cannot parse is shown with the server's own message, next to the query box (search.js).
 */

import { $ } from "../dom.js";
import { initAlertOn } from "./alerton.js";
import { drawHead, drawPicker, syncPicker } from "./columns.js";
import { closeSuggestions, initComplete, loadSuggestions } from "./complete.js";
import { isLive, startLive, stopLive } from "./live.js";
import { readRange, showCustom, syncRange } from "./range.js";
import { drawFacets, hideFacets } from "./facets.js";
import { drawHistogram, hideHistogram, initHistogram } from "./histogram.js";
import { drawPatterns, initTabs, patternsShown, showEntries } from "./patterns.js";
import { latest, loadMore, runSearch, showQueryError } from "./search.js";
import { hasStages } from "./stages.js";
import { initSaved, openSaved, showCurrent } from "./saved.js";
import { hideStats, runStats } from "./statsview.js";
import { initValues } from "./values.js";
import { apiParams, readUrl, view, writeUrl } from "./view.js";

var HISTOGRAM_LIVE_MS = 5000; // while Live is on, the histogram is redrawn this often
var histogramTimer = null;

/* Export links always carry the view's query and range. */
function syncExports() {
  ["ndjson", "csv"].forEach(function (format) {
    var params = apiParams();
    params.set("format", format);
    $("export-" + format).setAttribute("href", "/api/logs/export?" + params.toString());
  });
}

/* Show the view in the controls. */
function syncControls() {
  $("query-input").value = view.q;
  syncRange();
  syncExports();
  drawHead();
  syncPicker();
}

/* A column added or removed in the picker: recorded in the URL, the table drawn again with it. */
function columnsChanged() {
  writeUrl();
  drawHead();
  go();
}

/* The histogram follows the view: drawn for every search, and redrawn while Live is on. */
function followHistogram() {
  var drawn = drawHistogram(narrowTo);
  window.clearInterval(histogramTimer);
  histogramTimer = view.live
    ? window.setInterval(function () {
        if (isLive()) drawHistogram(narrowTo);
      }, HISTOGRAM_LIVE_MS)
    : null;
  return drawn;
}

/* A facet's or a pattern's click: run its query over the same range, showing the entries. */
function applyQuery(q) {
  $("query-input").value = q;
  showEntries();
  submit();
}

/* The Patterns tab opened: its patterns for the view, the page busy until they are drawn. */
function openPatterns() {
  var body = document.body;
  body.dataset.loading = "panels";
  drawPatterns(applyQuery).finally(function () {
    delete body.dataset.loading;
  });
}

/* Dragging across the histogram: a custom range of what was dragged over. */
function narrowTo(fromIso, toIso) {
  view.from = fromIso;
  view.to = toIso;
  view.live = false;
  writeUrl();
  syncControls();
  go();
}

/* A query with stages: its answer (table and chart) instead of the entry list; no live tail for it. */
function goStats() {
  if (isLive()) stopLive();
  window.clearInterval(histogramTimer);
  hideHistogram();
  hideFacets();
  $("results-panel").hidden = true;
  $("live-btn").disabled = true;
  return runStats().then(function (result) {
    if (result.stale) return;
    if (result.ok) {
      showQueryError("");
      return;
    }
    hideStats();
    showQueryError(result.message);
  }).catch(function () {
    hideStats();
    showQueryError("Cannot reach the LogLens server. Search again to retry.");
  });
}

/* Search for the current view; Live restarts with the new query when it is on. */
function go() {
  syncExports();
  document.title = view.q ? "LogLens · " + view.q : "LogLens · Explore";
  if (hasStages(view.q)) return goStats();
  hideStats();
  $("results-panel").hidden = false;
  $("live-btn").disabled = false;
  if (isLive()) stopLive();
  return runSearch().then(function (ok) {
    if (ok) {
      // a query the search refused has its message shown already; the page is settled (data-loading cleared)
      // once the histogram and the facets have their answers too
      var body = document.body;
      body.dataset.loading = "panels";
      var panels = [followHistogram(), drawFacets(applyQuery)];
      if (patternsShown()) panels.push(drawPatterns(applyQuery));
      Promise.allSettled(panels).then(function () {
        delete body.dataset.loading;
      });
    } else {
      hideHistogram();
      hideFacets();
    }
    if (!view.live) return;
    if (ok) {
      startLive(latest);
    } else {
      view.live = false; // the query was refused: no stream for it
      writeUrl(true);
    }
  });
}

/* The user asked for a search (form, range, example): take the controls into the view, record it, search. */
function submit() {
  closeSuggestions();
  if (!readRange()) return;
  view.q = $("query-input").value.trim();
  writeUrl();
  go();
}

function init() {
  readUrl();
  var opening = openSaved(); // a saved search's URL (?saved=name): its query, range and columns
  initComplete();
  initSaved();
  initValues(applyQuery);
  initAlertOn();

  $("query-form").addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  $("range-select").addEventListener("change", function (event) {
    if (event.target.value === "custom") {
      showCustom();
      return;
    }
    $("custom-range").hidden = true;
    submit();
  });
  $("load-more").addEventListener("click", loadMore);
  initHistogram();
  initTabs(openPatterns);
  $("live-btn").addEventListener("click", function () {
    view.live = !isLive();
    writeUrl();
    if (view.live) go(); // search again (the query may have been refused), then follow
    else {
      stopLive();
      window.clearInterval(histogramTimer);
    }
  });
  document.querySelectorAll(".example").forEach(function (button) {
    button.addEventListener("click", function () {
      $("query-input").value = button.dataset.q;
      submit();
    });
  });
  window.addEventListener("popstate", function () {
    readUrl();
    showCurrent("");
    openSaved().then(function (problem) {
      syncControls();
      go().then(function () {
        if (problem) showQueryError(problem);
      });
    });
  });
  loadSuggestions().catch(function () {
    // Without the names, completion still offers field names and levels.
  });
  drawPicker(columnsChanged);
  opening.then(function (problem) {
    writeUrl(true); // an opened saved search's view replaces ?saved= (a reload keeps what is shown)
    syncControls();
    go().then(function () {
      if (problem) showQueryError(problem);
    });
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
