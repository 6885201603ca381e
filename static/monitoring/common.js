/* Shared helpers of the monitoring pages. DOM is built with textContent only. */
(function () {
  "use strict";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function api(method, url, body) {
    var opts = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf() },
    };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (res) {
      if (res.status === 204) return null;
      return res.json().then(function (data) {
        if (!res.ok) throw data;
        return data;
      });
    });
  }

  function toast(kind, text) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var node = el("div", { className: "toast toast-" + kind, role: "status" }, text);
    box.appendChild(node);
    while (box.children.length > 5) box.removeChild(box.firstChild);
    setTimeout(function () { if (node.parentNode) node.parentNode.removeChild(node); }, 8000);
  }

  var KIND = { UP: "up", DOWN: "down", DEGRADED: "degraded" };

  function statusToast(d) {
    var text = d.endpointName + " is " + d.currentStatus + " (was " + d.previousStatus + ")";
    if (d.currentStatus !== "UP" && d.errorMessage) text += ": " + d.errorMessage;
    toast(KIND[d.currentStatus] || "info", text);
  }

  function ago(iso) {
    if (!iso) return "never checked";
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 90) return "updated " + s + " s ago";
    if (s < 5400) return "updated " + Math.round(s / 60) + " min ago";
    return "updated " + Math.round(s / 3600) + " h ago";
  }

  function ms(v) { return v === null || v === undefined ? "–" : Math.round(v) + " ms"; }
  function pct(v) { return v === null || v === undefined ? "–" : v.toFixed(2) + "%"; }

  window.Mon = { el: el, api: api, toast: toast, statusToast: statusToast, ago: ago, ms: ms, pct: pct };
})();
