/* Building the page: element lookup and creation, and the small pieces several panels share.
 *
 * Text goes in with textContent and attributes only, never innerHTML: every string from logs (message, service,
 * user id, metadata, alert text) stays text.
 */

import { exact, parseTime, relative } from "./format.js";

export function $(id) {
  return document.getElementById(id);
}

/* Build an element: el("li", {className: "x", dataset: {id: 1}, title: "t"}, [children or strings]). */
export function el(tag, props, children) {
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

/* Replace a list's items, or show one "empty" item. */
export function fillList(list, items, emptyText) {
  if (!items.length) {
    list.replaceChildren(el("li", { className: "empty", text: emptyText }));
  } else {
    list.replaceChildren.apply(list, items);
  }
}

/* A service name that filters the dashboard by that service when clicked (one listener in main.js). */
export function serviceButton(name) {
  return el("button", {
    type: "button",
    className: "service-link",
    dataset: { service: name },
    "aria-label": "Show only service " + name,
    text: name,
  });
}

/* A <time> that shows "12 s ago" (kept fresh by tick() in status.js) with the exact time on hover. */
export function relativeTime(iso, prefix) {
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
