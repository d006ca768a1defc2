/* Autocompletion for the query box (the ARIA combobox pattern): field names, levels, service names from
 * /api/services and metadata keys and sample values from /api/fields. It completes the word at the caret:
 * a field name (`serv` -> `service:`), or a value after `field:` / `level>=`. Arrow keys move, Enter or Tab
 * accepts, Escape closes; without a highlighted suggestion Enter submits the search. */

import { $, el } from "../dom.js";
import { fieldQuery, quote } from "./links.js";

var LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
var FIELDS = ["service:", "level:", "level>=", "user_id:", "message:"];
var MAX = 12;

var TOP = ["service", "level", "user_id", "message"]; // every other field name is a metadata key
var data = { services: [], fields: {} }; // fields: "user_id" or "metadata.key" -> sample values
var box = { items: [], active: -1, start: 0, end: 0 };

function getJson(url) {
  return fetch(url, { cache: "no-store", headers: { Accept: "application/json" } }).then(function (response) {
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  });
}

function list(value, key) {
  if (Array.isArray(value)) return value;
  if (value && Array.isArray(value[key])) return value[key];
  return [];
}

/* /api/services: a list of names or of {name|service, ...}, possibly under "services". */
function readServices(answer) {
  return list(answer, "services")
    .map(function (item) {
      return typeof item === "string" ? item : item && (item.name || item.service);
    })
    .filter(function (name) {
      return typeof name === "string" && name !== "";
    })
    .sort();
}

/* /api/fields: {name: [values]}, or a list of {field|name|key, values|sample}, possibly under "fields". Names are
 * top-level fields (user_id, ...) or metadata keys, with or without the "metadata." prefix. */
function readFields(answer) {
  var out = {};
  var source = answer && answer.fields !== undefined ? answer.fields : answer;
  function add(name, values) {
    if (typeof name !== "string" || !name || name === "level" || name === "service") return; // built in
    var key = name.indexOf("metadata.") === 0 || TOP.indexOf(name) >= 0 ? name : "metadata." + name;
    out[key] = (Array.isArray(values) ? values : []).filter(function (v) {
      return typeof v === "string" || typeof v === "number";
    });
  }
  if (Array.isArray(source)) {
    source.forEach(function (item) {
      if (typeof item === "string") add(item, []);
      else if (item) add(item.field || item.name || item.key, item.values || item.sample || item.samples);
    });
  } else if (source && typeof source === "object") {
    Object.keys(source).forEach(function (name) {
      var v = source[name];
      add(name, Array.isArray(v) ? v : v && (v.values || v.sample || v.samples));
    });
  }
  return out;
}

var loaded = Promise.resolve();

/* Fetch the names once (on load); the box works with field names and levels alone until they arrive. */
export function loadSuggestions() {
  loaded = Promise.all([
    getJson("/api/services").then(readServices),
    getJson("/api/fields").then(readFields),
  ]).then(function (answers) {
    data.services = answers[0];
    data.fields = answers[1];
  });
  return loaded;
}

/* Resolves once the names have arrived (or failed to). */
export function namesLoaded() {
  return loaded.catch(function () {
    return undefined;
  });
}

/* The metadata fields the store knows (from /api/fields), sorted: what the column picker offers. */
export function metadataFields() {
  return Object.keys(data.fields)
    .filter(function (name) {
      return name.indexOf("metadata.") === 0;
    })
    .sort();
}

/* The field query that a bare word probably meant: "service:checkout" when it is a service's name, "level:ERROR"
 * for a level, "user_id:u-1" for a user id seen; null when it is none of these. */
export function fieldFor(word) {
  if (data.services.indexOf(word) >= 0) return fieldQuery("service", word);
  if (LEVELS.indexOf(word.toUpperCase()) >= 0) return "level:" + word.toUpperCase();
  var users = (data.fields.user_id || []).map(String);
  if (users.indexOf(word) >= 0) return fieldQuery("user_id", word);
  return null;
}

/* The token at the caret: from the last space or parenthesis before it to the caret (quotes kept together). */
function tokenAt(value, caret) {
  var start = caret;
  var inQuote = (value.slice(0, caret).match(/"/g) || []).length % 2 === 1;
  while (start > 0) {
    var c = value[start - 1];
    if (c === '"') inQuote = !inQuote;
    if (!inQuote && (c === " " || c === "(" || c === ")")) break;
    start -= 1;
  }
  var end = caret;
  while (end < value.length && !/[\s()]/.test(value[end])) end += 1;
  return { start: start, end: end, text: value.slice(start, caret) };
}

function startsWith(candidate, prefix) {
  return String(candidate).toLowerCase().indexOf(prefix.toLowerCase()) === 0;
}

/* Suggestions for one token: [{label, insert}] (insert replaces the token). */
export function suggest(text) {
  var neg = text[0] === "-" ? "-" : "";
  var body = neg ? text.slice(1) : text;
  var field = /^([A-Za-z_][\w.]*)(:|>=|<=|>|<)(.*)$/.exec(body);
  if (field) {
    var name = field[1];
    var op = field[2];
    var partial = field[3].replace(/^"/, "");
    var values =
      name === "level" ? LEVELS : name === "service" ? data.services : data.fields[name] || [];
    return values
      .filter(function (v) {
        return startsWith(v, partial) && String(v) !== partial;
      })
      .slice(0, MAX)
      .map(function (v) {
        var insert = neg + name + op + quote(v);
        return { label: insert, insert: insert + " " };
      });
  }
  if (!body) return [];
  var names = FIELDS.concat(
    Object.keys(data.fields)
      .filter(function (k) {
        return TOP.indexOf(k) < 0; // already in FIELDS
      })
      .map(function (k) {
        return k + ":";
      })
  );
  return names
    .filter(function (n) {
      return startsWith(n, body) && n !== body;
    })
    .slice(0, MAX)
    .map(function (n) {
      return { label: neg + n, insert: neg + n };
    });
}

function input() {
  return $("query-input");
}

export function closeSuggestions() {
  box.items = [];
  box.active = -1;
  $("suggestions").hidden = true;
  $("suggestions").replaceChildren();
  input().setAttribute("aria-expanded", "false");
  input().removeAttribute("aria-activedescendant");
}

function highlight(index) {
  box.active = index;
  var options = $("suggestions").children;
  for (var i = 0; i < options.length; i += 1) {
    options[i].setAttribute("aria-selected", i === index ? "true" : "false");
  }
  if (index >= 0) {
    input().setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  } else {
    input().removeAttribute("aria-activedescendant");
  }
}

function accept(index) {
  var item = box.items[index];
  if (!item) return;
  var node = input();
  var value = node.value;
  node.value = value.slice(0, box.start) + item.insert + value.slice(box.end);
  var caret = box.start + item.insert.length;
  node.setSelectionRange(caret, caret);
  node.focus();
  update(); // a field name goes on to its values
}

/* Recompute the list for the text at the caret. */
export function update() {
  var node = input();
  var caret = node.selectionStart === null ? node.value.length : node.selectionStart;
  var token = tokenAt(node.value, caret);
  var items = suggest(token.text);
  if (!items.length) {
    closeSuggestions();
    return;
  }
  box.items = items;
  box.start = token.start;
  box.end = token.end;
  var options = items.map(function (item, i) {
    var option = el("li", {
      id: "suggestion-" + i,
      role: "option",
      className: "suggestion",
      "aria-selected": "false",
      text: item.label,
    });
    option.addEventListener("mousedown", function (event) {
      event.preventDefault(); // keep the focus in the input
      accept(i);
    });
    return option;
  });
  $("suggestions").replaceChildren.apply($("suggestions"), options);
  $("suggestions").hidden = false;
  node.setAttribute("aria-expanded", "true");
  highlight(-1);
}

function onKeyDown(event) {
  var open = !$("suggestions").hidden;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    if (!open) {
      event.preventDefault();
      update();
      if (box.items.length) highlight(event.key === "ArrowDown" ? 0 : box.items.length - 1);
      return;
    }
    event.preventDefault();
    var n = box.items.length;
    var step = event.key === "ArrowDown" ? 1 : -1;
    highlight(box.active < 0 ? (step > 0 ? 0 : n - 1) : (box.active + step + n) % n);
  } else if ((event.key === "Enter" || event.key === "Tab") && open && box.active >= 0) {
    event.preventDefault();
    accept(box.active);
  } else if (event.key === "Escape" && open) {
    event.preventDefault();
    closeSuggestions();
  } else if (event.key === "Enter") {
    closeSuggestions(); // and the form submits
  }
}

export function initComplete() {
  var node = input();
  node.addEventListener("input", update);
  node.addEventListener("keydown", onKeyDown);
  node.addEventListener("blur", closeSuggestions);
}
