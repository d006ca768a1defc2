/* The Alerts page's requests: JSON in and out, the session's CSRF token on writes, the login page on a 401, and
 * the server's own message on an error. */

import { toLogin, writeHeaders } from "../session.js";

var TIMEOUT_MS = 15000;

/* fetch `url` (a write when `body` is given); resolves to the parsed JSON, rejects with an Error whose message is
 * the server's error text. */
export function request(method, url, body) {
  var controller = new AbortController();
  var timer = window.setTimeout(function () {
    controller.abort();
  }, TIMEOUT_MS);
  var options = { method: method, signal: controller.signal, cache: "no-store", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    options.headers = writeHeaders();
    if (body !== undefined) options.body = JSON.stringify(body);
  }
  return fetch(url, options)
    .then(function (response) {
      if (response.status === 401) {
        toLogin();
        throw new Error("the session has expired");
      }
      if (response.status === 204) return null; // a DELETE's empty answer
      return response.json().then(function (data) {
        if (!response.ok) throw new Error((data && data.error) || "the server answered HTTP " + response.status);
        return data;
      });
    })
    .catch(function (error) {
      if (error && error.name === "AbortError") throw new Error("no answer within " + TIMEOUT_MS / 1000 + " s");
      if (error && error.message === "Failed to fetch") throw new Error("connection failed");
      throw error;
    })
    .finally(function () {
      window.clearTimeout(timer);
    });
}

/* Show `text` in a message element (role=alert), or hide it when text is empty. */
export function showError(node, text) {
  node.textContent = text || "";
  node.hidden = !text;
}
