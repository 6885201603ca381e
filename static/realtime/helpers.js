/*
 * The helpers every page script imports (an ES module, no build step):
 * `el` builds elements with textContent only (user data never goes through
 * innerHTML), `cookie` reads a cookie, `api` sends JSON requests with the
 * CSRF token from the `csrftoken` cookie and rejects with `{code, message,
 * status}`.
 */

/*
 * el(tag, attrs, children): `attrs` may hold `text`, `className`, `dataset`,
 * `onclick` and any attribute (null, undefined and false leave it out, true
 * sets it empty). `children` is a list of nodes and strings, or one string or
 * number that becomes the element's text.
 */
export function el(tag, attrs, children) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (key) {
    var value = attrs[key];
    if (value === null || value === undefined || value === false) return;
    if (key === "text") node.textContent = value;
    else if (key === "className") node.className = value;
    else if (key === "onclick") node.addEventListener("click", value);
    else if (key === "dataset") Object.keys(value).forEach(function (k) { node.dataset[k] = value[k]; });
    else node.setAttribute(key, value === true ? "" : value);
  });
  if (Array.isArray(children)) {
    children.forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
  } else if (children !== null && children !== undefined) {
    node.textContent = String(children);
  }
  return node;
}

/* Remove every child of a node; returns the node. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function cookie(name) {
  var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
  return match ? decodeURIComponent(match[1]) : "";
}

/*
 * api(method, url, body): the parsed JSON answer (null when empty). A failed
 * request rejects with the server's `{code, message}` plus `status`, or with
 * `{code: "HTTP_<status>", message}` when the answer has no code.
 */
export function api(method, url, body) {
  var options = {
    method: method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (method !== "GET") options.headers["X-CSRFToken"] = cookie("csrftoken");
  return fetch(url, options).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (!res.ok) {
        var err = data && data.code ? data : { code: "HTTP_" + res.status, message: "Request failed (" + res.status + ")" };
        err.status = res.status;
        throw err;
      }
      return data;
    });
  });
}
