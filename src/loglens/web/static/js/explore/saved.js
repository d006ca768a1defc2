/* Saved searches (/api/saved-searches): save the view's query, range and columns under a name, list them to open
 * (each is a link: /explore?saved=<name>), alert on (the rule editor with the saved search: /alerts?rule_saved_search=
 * <name>) or delete, and open the one a URL names. Deleting one that alert rules use shows the server's 409. Saving a name that exists
 * offers to overwrite it (PUT). Writes take an admin key or session: the server's message says so otherwise. */

import { $, el } from "../dom.js";
import { toLogin, writeHeaders } from "../session.js";
import { getJson, requestJson } from "./stages.js";
import { view } from "./view.js";

var API = "/api/saved-searches";
var TIMEOUT_MS = 10000;

function path(key) {
  return API + "/" + encodeURIComponent(key);
}

/* The URL that opens a saved search in Explore. */
export function savedUrl(name) {
  return "/explore?saved=" + encodeURIComponent(name);
}

/* The Alerts page's rule editor, opened on a rule that evaluates this saved search. */
export function alertUrl(name) {
  return "/alerts?rule_saved_search=" + encodeURIComponent(name);
}

/* POST, PUT or DELETE with a deadline; resolves to {ok, status, data}. */
function write(method, url, body) {
  var options = { method: method, headers: writeHeaders() };
  if (body !== undefined) options.body = JSON.stringify(body);
  return requestJson(url, options, TIMEOUT_MS).then(function (answer) {
    if (answer.status === 401) toLogin();
    return answer;
  });
}

function status(text, isError) {
  var box = $("save-status");
  box.textContent = text || "";
  if (isError) box.dataset.state = "error";
  else delete box.dataset.state;
}

function message(answer) {
  return answer.data && answer.data.error ? answer.data.error : "the server answered HTTP " + answer.status;
}

/* Name the saved search the page shows (empty: none). */
export function showCurrent(name) {
  $("saved-current").textContent = name ? "Saved search: " + name : "";
}

function spec(name) {
  return { name: name, query: view.q, from: view.from, to: view.to, columns: view.cols.slice() };
}

function saved(answer, verb) {
  status(verb + " “" + answer.data.name + "”.", false);
  $("save-overwrite").hidden = true;
  showCurrent(answer.data.name);
  drawList();
}

function save() {
  var name = $("save-name").value.trim();
  $("save-overwrite").hidden = true;
  if (!name) {
    status("Give the search a name.", true);
    $("save-name").focus();
    return Promise.resolve();
  }
  return write("POST", API, spec(name))
    .then(function (answer) {
      if (answer.ok) return saved(answer, "Saved as");
      status(message(answer), true);
      if (answer.status === 409 && /exists/.test(message(answer))) {
        $("save-overwrite").hidden = false;
        $("save-overwrite").dataset.name = name;
        $("save-overwrite").focus();
      }
    })
    .catch(function () {
      status("Cannot reach the LogLens server; nothing was saved.", true);
    });
}

function overwrite() {
  var name = $("save-overwrite").dataset.name;
  return write("PUT", path(name), spec(name))
    .then(function (answer) {
      if (answer.ok) return saved(answer, "Overwrote");
      status(message(answer), true);
    })
    .catch(function () {
      status("Cannot reach the LogLens server; nothing was saved.", true);
    });
}

function openBox(open) {
  $("save-box").hidden = !open;
  $("save-btn").setAttribute("aria-expanded", open ? "true" : "false");
  if (!open) return;
  status("", false);
  $("save-overwrite").hidden = true;
  var current = $("saved-current").textContent.replace(/^Saved search: /, "");
  if (!$("save-name").value) $("save-name").value = current;
  $("save-name").focus();
}

function item(search) {
  var remove = el("button", {
    type: "button",
    className: "btn saved-delete",
    "aria-label": "Delete saved search " + search.name,
    text: "Delete",
  });
  // a refusal (alert rules use it: 409; a read key: 403) is shown in the item, where the list is open
  var problem = el("span", { className: "saved-problem", role: "alert" });
  remove.addEventListener("click", function () {
    remove.disabled = true;
    problem.textContent = "";
    write("DELETE", path(search.id))
      .then(function (answer) {
        if (!answer.ok && answer.status !== 404) {
          remove.disabled = false;
          problem.textContent = message(answer);
          status(message(answer), true);
          return;
        }
        if ($("saved-current").textContent === "Saved search: " + search.name) showCurrent("");
        return drawList();
      })
      .catch(function () {
        remove.disabled = false;
        status("Cannot reach the LogLens server; nothing was deleted.", true);
      });
  });
  return el("li", { className: "saved-item", dataset: { name: search.name, id: search.id } }, [
    el("a", { className: "saved-link", href: savedUrl(search.name), text: search.name }),
    el("a", {
      className: "saved-alert",
      href: alertUrl(search.name),
      "aria-label": "Alert on saved search " + search.name,
      text: "Alert on this",
    }),
    remove,
    el("span", { className: "saved-query", text: search.query || "(everything)" }),
    problem,
  ]);
}

/* Fill the list of saved searches. */
export function drawList() {
  var list = $("saved-list");
  list.setAttribute("aria-busy", "true");
  return getJson(API, TIMEOUT_MS)
    .then(function (answer) {
      var all = answer.ok && answer.data && Array.isArray(answer.data.saved_searches) ? answer.data.saved_searches : [];
      if (!answer.ok) list.replaceChildren(el("li", { className: "hint", text: message(answer) }));
      else if (!all.length) list.replaceChildren(el("li", { className: "hint", text: "No saved searches yet." }));
      else list.replaceChildren.apply(list, all.map(item));
    })
    .catch(function () {
      list.replaceChildren(el("li", { className: "hint", text: "Cannot reach the LogLens server." }));
    })
    .finally(function () {
      list.removeAttribute("aria-busy");
    });
}

/* Open the saved search the URL names (view.saved): its query, range and columns become the view. Resolves to an
 * error message, or "" when it opened (or none was asked for). */
export function openSaved() {
  var key = view.saved;
  view.saved = null;
  if (!key) return Promise.resolve("");
  return getJson(path(key), TIMEOUT_MS)
    .then(function (answer) {
      if (answer.status === 401) {
        toLogin();
        return "";
      }
      if (!answer.ok || !answer.data) return message(answer);
      var found = answer.data;
      view.q = found.query || "";
      view.from = found.from || "";
      view.to = found.to || "";
      view.cols = Array.isArray(found.columns) ? found.columns.slice() : [];
      showCurrent(found.name);
      return "";
    })
    .catch(function () {
      return "Cannot reach the LogLens server to open the saved search " + key + ".";
    });
}

export function initSaved() {
  $("save-btn").addEventListener("click", function () {
    openBox($("save-box").hidden);
  });
  $("save-cancel").addEventListener("click", function () {
    openBox(false);
    $("save-btn").focus();
  });
  $("save-confirm").addEventListener("click", save);
  $("save-overwrite").addEventListener("click", overwrite);
  $("save-name").addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault(); // not the query form's submit: this saves
      save();
    } else if (event.key === "Escape") {
      openBox(false);
      $("save-btn").focus();
    }
  });
  $("saved-menu").addEventListener("toggle", function () {
    if ($("saved-menu").open) drawList();
  });
}
