/* The rule editor: a new rule (POST /api/alert-rules) or an API rule edited (PUT /api/alert-rules/<name>), with a
 * Preview (POST /api/alert-rules/preview) drawn before saving. The server checks the rule exactly as a config
 * rule; its message (which names the key) is shown next to the form and the field it names is marked.
 *
 * Explore's "Alert on this query" opens /alerts?rule_query=...&rule_window=...: the editor opens filled with them.
 * A rule may name a saved search instead of a query (`saved_search`): the field offers the saved searches (a
 * datalist read from /api/saved-searches), and Explore's saved-search list opens /alerts?rule_saved_search=NAME. */

import { $ } from "../dom.js";
import { request, showError } from "./http.js";
import { drawPreview, firingItems } from "./rule-chart.js";

var TEXT_FIELDS = { name: "rule-name", query: "rule-query", condition: "rule-condition", window: "rule-window",
  every: "rule-every", for: "rule-for", repeat_interval: "rule-repeat", summary: "rule-summary",
  saved_search: "rule-saved-search" };
var FIELD_IDS = Object.assign({}, TEXT_FIELDS, { severity: "rule-severity", no_data: "rule-no-data",
  labels: "rule-labels", notify: "rule-notify" });
var editing = null; // the name of the API rule being edited, or null for a new rule
var onSaved = function () {};
var previewGeneration = 0;

/* "team=payments, tier=1" -> {team: "payments", tier: "1"}; throws on a pair without "=". */
function parseLabels(text) {
  var labels = {};
  text.split(",").forEach(function (pair) {
    if (!pair.trim()) return;
    var at = pair.indexOf("=");
    if (at <= 0) throw new Error("labels: write each label as key=value, separated by commas (got \u201c" + pair.trim() + "\u201d)");
    labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  });
  return labels;
}

function labelsText(labels) {
  return Object.keys(labels || {})
    .map(function (k) {
      return k + "=" + labels[k];
    })
    .join(", ");
}

/* The form as the API's rule body: empty optional fields are left out (the server's defaults apply). */
function readBody() {
  var body = {};
  Object.keys(TEXT_FIELDS).forEach(function (key) {
    var value = $(TEXT_FIELDS[key]).value;
    if (key !== "summary") value = value.trim();
    if (value) body[key] = value;
  });
  body.severity = $("rule-severity").value;
  body.no_data = $("rule-no-data").value;
  body.labels = parseLabels($("rule-labels").value);
  body.notify = $("rule-notify")
    .value.split(/[\s,]+/)
    .filter(function (n) {
      return n;
    });
  return body;
}

function markInvalid(key) {
  Object.keys(FIELD_IDS).forEach(function (k) {
    $(FIELD_IDS[k]).removeAttribute("aria-invalid");
  });
  if (key && FIELD_IDS[key]) $(FIELD_IDS[key]).setAttribute("aria-invalid", "true");
}

/* The server's (or the form's) message next to the form; the key it names, if any, marked invalid. */
function showProblem(prefix, error) {
  var text = error ? prefix + error.message : "";
  showError($("rule-error"), text);
  var key = error && /^(?:unknown key )?rule\.([A-Za-z_]+)|^([a-z_]+):/.exec(error.message);
  markInvalid(key ? key[1] || key[2] : null);
}

function setStatus(text) {
  $("rule-status").textContent = text;
}

function hidePreview() {
  previewGeneration += 1;
  $("rule-preview-box").hidden = true;
}

/* Offer the saved searches' names in the saved-search field (a failure leaves the field to type in). */
function loadSavedSearches() {
  return request("GET", "/api/saved-searches")
    .then(function (answer) {
      var list = $("rule-saved-list");
      var all = answer && Array.isArray(answer.saved_searches) ? answer.saved_searches : [];
      list.replaceChildren.apply(
        list,
        all.map(function (search) {
          var option = document.createElement("option");
          option.value = search.name;
          option.label = search.query || "(everything)";
          return option;
        })
      );
    })
    .catch(function () {});
}

/* Fill the form with a rule (a new one when `rule` is empty) and bring it into view, ready to type. */
export function openEditor(rule, editName) {
  var r = rule || {};
  editing = editName || null;
  Object.keys(TEXT_FIELDS).forEach(function (key) {
    $(TEXT_FIELDS[key]).value = r[key] === undefined || r[key] === null ? "" : String(r[key]);
  });
  $("rule-severity").value = String(r.severity || "warning").toLowerCase();
  $("rule-no-data").value = r.no_data || "ok";
  $("rule-labels").value = labelsText(r.labels);
  $("rule-notify").value = (r.notify || []).join(", ");
  $("rule-name").readOnly = !!editing;
  $("rule-editor-title").textContent = editing ? "Edit rule " + editing : "New rule";
  $("rule-save").textContent = editing ? "Save changes" : "Save rule";
  $("rule-editor").dataset.mode = editing ? "edit" : "new";
  showProblem("", null);
  setStatus("");
  hidePreview();
  $("rule-editor").scrollIntoView({ block: "start" });
  $(editing || r.name ? (r.saved_search ? "rule-saved-search" : "rule-query") : "rule-name").focus();
  loadSavedSearches();
}

function preview() {
  var body;
  try {
    body = readBody();
  } catch (error) {
    showProblem("", error);
    return Promise.resolve();
  }
  delete body.name; // a preview is not saved: its name does not matter
  var mine = ++previewGeneration;
  var button = $("rule-preview");
  button.disabled = true;
  setStatus("Previewing\u2026");
  return request("POST", "/api/alert-rules/preview", body)
    .then(function (answer) {
      if (mine !== previewGeneration) return;
      showProblem("", null);
      $("rule-preview-box").hidden = false;
      drawPreview($("rule-preview-chart"), answer);
      var items = firingItems(answer);
      $("rule-preview-firings").replaceChildren.apply($("rule-preview-firings"), items);
      $("rule-preview-summary").textContent =
        (items.length ? "would have fired " + items.length + (items.length === 1 ? " time" : " times") : "would not have fired") +
        (answer.exact ? "" : " (windows rounded to " + answer.span_seconds + " s buckets)");
      setStatus("");
    })
    .catch(function (error) {
      if (mine !== previewGeneration) return;
      hidePreview();
      setStatus("");
      showProblem("Cannot preview: ", error);
    })
    .finally(function () {
      button.disabled = false;
    });
}

function save(event) {
  event.preventDefault();
  var body;
  try {
    body = readBody();
  } catch (error) {
    showProblem("", error);
    return;
  }
  var button = $("rule-save");
  button.disabled = true;
  var call = editing
    ? request("PUT", "/api/alert-rules/" + encodeURIComponent(editing), body)
    : request("POST", "/api/alert-rules", body);
  call
    .then(function (rule) {
      showProblem("", null);
      openEditor(null, null);
      setStatus("Saved " + rule.name + ".");
      onSaved(rule);
    })
    .catch(function (error) {
      showProblem("Not saved: ", error);
    })
    .finally(function () {
      button.disabled = false;
    });
}

/* Explore's link: ?rule_query=...&rule_window=... opens the editor with them (then they leave the address bar). */
function fromUrl() {
  var params = new URLSearchParams(window.location.search);
  var query = params.get("rule_query");
  var savedSearch = params.get("rule_saved_search");
  if (query === null && savedSearch === null) return;
  var windowText = params.get("rule_window") || "";
  params.delete("rule_query");
  params.delete("rule_window");
  params.delete("rule_saved_search");
  var rest = params.toString();
  window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : ""));
  openEditor({ query: query, window: windowText, saved_search: savedSearch }, null);
}

/* `saved(rule)` runs after each save. */
export function initRuleEditor(saved) {
  onSaved = saved;
  $("rule-form").addEventListener("submit", save);
  $("rule-preview").addEventListener("click", preview);
  $("rule-cancel").addEventListener("click", function () {
    openEditor(null, null);
  });
  $("rule-new").addEventListener("click", function () {
    openEditor(null, null);
  });
  fromUrl();
  loadSavedSearches();
}
