/* The rules: every rule of GET /api/alert-rules (config.yaml's and the API's) with its state, last value,
 * condition, last evaluation and source, and a sparkline of its value over the last 24 h (one preview request per
 * rule). API rules can be edited and deleted (the server answers 403 to a read key: its message is shown in the
 * row); config.yaml's are read-only here, and so are the built-in rules (error_rate, high_volume, service_down:
 * set by config.yaml's `alerting` keys), which the preview cannot draw: their sparkline cell says so. */

import { $, el } from "../dom.js";
import { request, showError } from "./http.js";
import { openEditor } from "./rule-editor.js";
import { sparkline, valueText } from "./rule-chart.js";
import { moment } from "./times.js";

var SPEC_KEYS = ["query", "condition", "window", "every", "for", "severity", "labels", "no_data", "repeat_interval",
  "notify", "summary"];
var BUILT_IN = "built-in";
var generation = 0;
var onChanged = function () {};

/* The rule as the API's rule body (what the editor and the preview take). */
function specOf(rule) {
  var spec = { name: rule.name };
  SPEC_KEYS.forEach(function (key) {
    spec[key] = rule[key];
  });
  if (rule.saved_search) spec.saved_search = rule.saved_search; // a rule on a saved search (its query is "")
  return spec;
}

function valueCell(rule) {
  var groups = Object.keys(rule.groups || {});
  if (groups.length && (rule.value === null || rule.value === undefined)) {
    // a grouped rule: its highest group's value, and how many groups
    var values = groups
      .map(function (g) {
        return rule.groups[g].value;
      })
      .filter(function (v) {
        return v !== null && v !== undefined;
      });
    var top = values.length ? "max " + valueText(Math.max.apply(null, values)) + " \u00b7 " : "";
    return el("td", {
      className: "num",
      text: top + groups.length + (groups.length === 1 ? " group" : " groups"),
    });
  }
  return el("td", { className: "num", text: rule.state === "unevaluated" ? "\u2013" : valueText(rule.value) });
}

function stateCell(rule) {
  var children = [el("span", { className: "state-badge state-" + rule.state, text: rule.state })];
  if (rule.error) children.push(el("span", { className: "silenced-note rule-error-note", text: rule.error }));
  return el("td", { className: "col-state" }, children);
}

/* A stats stage grouped by more than one field ("by service, level"): the preview refuses it (one field at most). */
function groupsByMany(query) {
  return /\|\s*stats\b[^|]*\bby\s+[^|,]+,/.test(query);
}

/* What a row says the rule evaluates: its query, or its saved search and the query that has now. */
function queryText(rule) {
  if (!rule.saved_search) return rule.query;
  return "saved search \u201c" + rule.saved_search + "\u201d" + (rule.resolved_query ? ": " + rule.resolved_query : " (missing)");
}

/* Ask the preview for the rule's last 24 h and put the sparkline in `cell`. */
function drawSparkline(rule, cell, mine) {
  if (rule.source === BUILT_IN) {
    cell.replaceChildren(el("span", { className: "hint", text: "built-in rule: no preview" }));
    cell.dataset.state = "none";
    return;
  }
  if (groupsByMany(rule.resolved_query || rule.query)) {
    cell.replaceChildren(el("span", { className: "hint", text: "no preview: grouped by several fields" }));
    cell.dataset.state = "none";
    return;
  }
  if (rule.saved_search && !rule.resolved_query) {
    cell.replaceChildren(el("span", { className: "hint", text: "no preview: its saved search is missing" }));
    cell.dataset.state = "none";
    return;
  }
  var body = specOf(rule);
  delete body.name;
  request("POST", "/api/alert-rules/preview", body)
    .then(function (answer) {
      if (mine !== generation) return;
      cell.replaceChildren(sparkline(answer));
      cell.dataset.state = "drawn";
    })
    .catch(function (error) {
      if (mine !== generation) return;
      cell.replaceChildren(el("span", { className: "hint", text: "no preview: " + error.message }));
      cell.dataset.state = "failed";
    });
}

function deleteButton(rule, row) {
  var button = el("button", {
    type: "button",
    className: "btn btn-small rule-delete",
    "aria-label": "Delete the rule " + rule.name,
    text: "Delete",
  });
  var armed = false;
  button.addEventListener("click", function () {
    if (!armed) {
      armed = true; // a second press deletes (no dialog: the page asks in the button itself)
      button.textContent = "Really delete?";
      button.setAttribute("aria-label", "Press again to delete the rule " + rule.name);
      return;
    }
    button.disabled = true;
    request("DELETE", "/api/alert-rules/" + encodeURIComponent(rule.name))
      .then(function () {
        onChanged();
      })
      .catch(function (error) {
        button.disabled = false;
        showError(row.querySelector(".rule-row-error"), "Could not delete: " + error.message);
      });
  });
  button.addEventListener("blur", function () {
    armed = false;
    button.textContent = "Delete";
    button.setAttribute("aria-label", "Delete the rule " + rule.name);
  });
  return button;
}

function actions(rule, row) {
  if (rule.source === BUILT_IN) {
    var keys = Object.keys(rule.config_keys || {}).map(function (k) {
      return rule.config_keys[k];
    });
    return el("td", { className: "col-actions" }, [
      el("span", { className: "hint", title: "Set by " + keys.join(", "), text: "read-only (config.yaml alerting)" }),
    ]);
  }
  if (rule.source !== "api") {
    return el("td", { className: "col-actions" }, [
      el("span", { className: "hint", text: "read-only (config.yaml)" }),
    ]);
  }
  var edit = el("button", {
    type: "button",
    className: "btn btn-small rule-edit",
    "aria-label": "Edit the rule " + rule.name,
    text: "Edit",
  });
  edit.addEventListener("click", function () {
    openEditor(specOf(rule), rule.name);
  });
  return el("td", { className: "col-actions" }, [
    edit,
    deleteButton(rule, row),
    el("p", { className: "rule-row-error form-error", role: "alert", hidden: "hidden" }),
  ]);
}

/* The name and query; a built-in rule is marked so and says what it measures (not every one has a query). */
function ruleCell(rule) {
  if (rule.source === BUILT_IN) {
    var children = [
      el("span", { className: "rule-name" }, [rule.name, " ", el("span", { className: "hint rule-builtin", text: "built-in" })]),
    ];
    if (rule.query) children.push(el("code", { className: "rule-query", text: rule.query }));
    children.push(el("span", { className: "hint rule-description", text: rule.description }));
    return el("td", { className: "col-rule" }, children);
  }
  return el("td", { className: "col-rule" }, [
    el("span", { className: "rule-name", text: rule.name }),
    el("code", { className: "rule-query", text: queryText(rule) }),
  ]);
}

function conditionText(rule) {
  var unit = rule.unit === "minutes" ? " min" : "";
  var over = rule.window ? " over " + rule.window : "";
  return rule.condition + unit + over + ", every " + rule.every;
}

function row(rule, mine) {
  var spark = el("td", { className: "col-spark", dataset: { state: "loading" } }, [
    el("span", { className: "hint", text: "\u2026" }),
  ]);
  var node = el("tr", { className: "rule-row", dataset: { rule: rule.name, state: rule.state, source: rule.source } });
  node.append(
    stateCell(rule),
    ruleCell(rule),
    valueCell(rule),
    el("td", { className: "col-condition", text: conditionText(rule) }),
    spark,
    el("td", { className: "col-time" }, [rule.last_evaluated_at ? moment(rule.last_evaluated_at, "") : "never"]),
    el("td", { className: "col-source", text: rule.source }),
    actions(rule, node)
  );
  drawSparkline(rule, spark, mine);
  return node;
}

/* Fetch and draw the rules; resolves once the table is drawn (the sparklines follow). */
export function loadRules() {
  var mine = ++generation;
  return request("GET", "/api/alert-rules")
    .then(function (rules) {
      if (mine !== generation) return;
      showError($("rules-error"), "");
      var body = $("rules-body");
      if (!rules.length) {
        body.replaceChildren(
          el("tr", { className: "empty-row" }, [el("td", { colspan: "8", text: "No rules yet: make one below." })])
        );
      } else {
        body.replaceChildren.apply(
          body,
          rules.map(function (r) {
            return row(r, mine);
          })
        );
      }
      var firing = rules.filter(function (r) {
        return r.state === "firing";
      }).length;
      $("rules-summary").textContent = rules.length + (rules.length === 1 ? " rule" : " rules") + ", " + firing + " firing";
    })
    .catch(function (error) {
      if (mine === generation) {
        showError($("rules-error"), "Could not load the rules: " + error.message);
        $("rules-summary").textContent = "could not load";
      }
    });
}

/* `changed()` runs after a rule was deleted. */
export function initRules(changed) {
  onChanged = changed;
}
