/* What the monitoring pages share besides static/realtime/helpers.js: toasts and number formats. */
import { el } from "../realtime/helpers.js";

/*
 * Toasts sit top-right, below the top bar (so the connection indicator stays
 * visible), at most five at a time, and close by themselves after TOAST_MS
 * (3 s), as in the dashboard Tidings replaces. Bad news is the exception: an
 * endpoint going DOWN, an incident opening and a failed subscription stay
 * URGENT_TOAST_MS (10 s), because an on-call engineer who looked away for
 * three seconds must not miss them; any toast can be dismissed sooner. After
 * the toast, the red card and the open-incident list keep showing the state.
 * Text goes in through textContent only.
 */
export var TOAST_MS = 3000;
export var URGENT_TOAST_MS = 10000;

function placeToasts(box) {
  var bar = document.querySelector(".topbar");
  var top = bar ? Math.max(0, bar.getBoundingClientRect().bottom) : 0;
  box.style.top = Math.round(top + 8) + "px";
}

export function toast(kind, text, duration) {
  var box = document.getElementById("toasts");
  if (!box) return null;
  placeToasts(box);
  var node = el("div", { className: "toast toast-" + kind, "data-kind": kind });
  var close = function () { if (node.parentNode) node.parentNode.removeChild(node); };
  node.appendChild(el("span", { className: "toast-text" }, text));
  node.appendChild(el("button", { type: "button", className: "toast-close", "aria-label": "Dismiss", onclick: close }, "×"));
  box.appendChild(node);
  while (box.children.length > 5) box.removeChild(box.firstChild);
  setTimeout(close, duration || TOAST_MS);
  return node;
}

var KIND = { UP: "up", DOWN: "down", DEGRADED: "degraded" };

export function statusToast(d) {
  var text = d.endpointName + " is " + d.currentStatus + " (was " + d.previousStatus + ")";
  if (d.currentStatus !== "UP" && d.errorMessage) text += ": " + d.errorMessage;
  toast(KIND[d.currentStatus] || "info", text, d.currentStatus === "DOWN" ? URGENT_TOAST_MS : TOAST_MS);
}

/*
 * Join a room of the monitoring socket and report how it went: the dashboard
 * (all endpoints) and an endpoint's page (that endpoint) subscribe this way.
 * A join that gets no reply within SUBSCRIBE.timeout is sent again, up to
 * SUBSCRIBE.retries more times, waiting 1 s, 2 s, 4 s in between; a join the
 * server refuses is not retried. A subscription that fails in the end toasts
 * "Subscription failed: <reason>". Resolves with the server's reply, or with
 * null after the toast. The room stays registered with the socket either way,
 * so a later reconnect asks for it again.
 */
export var SUBSCRIBE = { timeout: 5000, retries: 3, backoff: 1000 };

function whenLive(socket, fn) {
  if (socket.state === "live") { fn(); return; }
  var done = false;
  socket.on("open", function () { if (!done) { done = true; fn(); } });
}

export function subscribe(socket, roomType, ids, lastSeq) {
  return new Promise(function (resolve) {
    var attempt = 0;
    function ask(pending) {
      attempt += 1;
      var timer;
      var timeout = new Promise(function (_, reject) {
        timer = setTimeout(function () {
          reject({ code: "TIMEOUT", message: "No reply within " + SUBSCRIBE.timeout / 1000 + " s" });
        }, SUBSCRIBE.timeout);
      });
      Promise.race([pending, timeout]).then(function (reply) {
        clearTimeout(timer);
        resolve(reply);
      }, function (err) {
        clearTimeout(timer);
        if (err && err.code === "TIMEOUT" && attempt <= SUBSCRIBE.retries) {
          var wait = SUBSCRIBE.backoff * Math.pow(2, attempt - 1);
          setTimeout(function () { whenLive(socket, again); }, wait);
          return;
        }
        var reason = (err && err.message) || "unknown error";
        if (err && err.code === "TIMEOUT") reason += " (" + attempt + " attempts)";
        toast("error", "Subscription failed: " + reason, URGENT_TOAST_MS);
        resolve(null);
      });
    }
    function again() { ask(socket.join(roomType, ids, lastSeq)); }
    // The first join registers the room (polled, and restored on each
    // reconnect); while the socket is not live it only queues, so the join is
    // asked again, with a reply, once it is (joining twice is harmless).
    var live = socket.state === "live";
    var first = socket.join(roomType, ids, lastSeq);
    if (live) ask(first); else whenLive(socket, again);
  });
}

export function ago(iso) {
  if (!iso) return "never checked";
  var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return "updated " + s + " s ago";
  if (s < 5400) return "updated " + Math.round(s / 60) + " min ago";
  return "updated " + Math.round(s / 3600) + " h ago";
}

export function ms(v) { return v === null || v === undefined ? "–" : Math.round(v) + " ms"; }
export function pct(v) { return v === null || v === undefined ? "–" : v.toFixed(2) + "%"; }
