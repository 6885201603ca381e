/* The staff notifications page: channels (add, send a test, delete) and the
 * stored deliveries, polled every POLL_MS. Text goes in through textContent. */
import { api, clear, el } from "../realtime/helpers.js";
import { toast, URGENT_TOAST_MS } from "./common.js";
import { formatTime, zoneName } from "./time.js";

var POLL_MS = 2000;
var form = document.getElementById("channel-form");
var kind = document.getElementById("channel-kind");

function showKind() {
  var email = kind.value === "email";
  document.getElementById("channel-url-row").hidden = email;
  document.getElementById("channel-emails-row").hidden = !email;
}

function renderChannels(channels) {
  var list = clear(document.getElementById("channel-list"));
  document.getElementById("no-channels").hidden = channels.length > 0;
  channels.forEach(function (c) {
    var target = c.kind === "email" ? c.emails.join(", ") : c.kind;
    list.appendChild(el("li", { dataset: { channelId: c.id } }, [
      el("span", {}, [el("b", {}, c.name), " · " + target + (c.isDefault ? " · default" : "")]),
      el("span", { className: "mon-actions" }, [
        el("button", { type: "button", className: "btn send-test", onclick: function () { sendTest(c); } }, "Send test"),
        el("button", { type: "button", className: "btn danger delete-channel", onclick: function () { remove(c); } }, "Delete"),
      ]),
    ]));
  });
}

function renderDeliveries(rows) {
  var body = clear(document.getElementById("delivery-rows"));
  rows.forEach(function (d) {
    body.appendChild(el("tr", { dataset: { deliveryId: d.id, status: d.status, event: d.event } }, [
      el("td", {}, [el("time", { datetime: d.createdAt }, formatTime(d.createdAt))]),
      el("td", {}, d.channelName),
      el("td", {}, d.text),
      el("td", {}, [el("span", { className: "pill " + (d.status === "sent" ? "up" : d.status === "failed" ? "down" : "degraded") }, d.status)]),
      el("td", { className: "num" }, String(d.attempts)),
      el("td", { className: "num" }, d.responseCode === null ? "–" : String(d.responseCode)),
      el("td", {}, d.lastError || ""),
    ]));
  });
}

function loadChannels() { return api("GET", "/api/notification-channels/").then(renderChannels); }
function loadDeliveries() { return api("GET", "/api/notification-deliveries/").then(renderDeliveries); }

function sendTest(c) {
  api("POST", "/api/notification-channels/" + c.id + "/test/").then(function () {
    toast("info", "Test message queued for " + c.name);
    loadDeliveries();
  }, function (err) { toast("error", err.message, URGENT_TOAST_MS); });
}

function remove(c) {
  if (!window.confirm("Delete the channel \u201c" + c.name + "\u201d and its delivery history?")) return;
  api("DELETE", "/api/notification-channels/" + c.id + "/").then(function () {
    toast("info", "Channel " + c.name + " deleted");
    loadChannels(); loadDeliveries();
  }, function (err) { toast("error", err.message, URGENT_TOAST_MS); });
}

form.addEventListener("submit", function (event) {
  event.preventDefault();
  var error = document.getElementById("channel-error");
  error.textContent = "";
  var data = { name: form.name.value.trim(), kind: kind.value, isDefault: form.isDefault.checked };
  if (kind.value === "email") {
    data.emails = form.emails.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  } else {
    data.url = form.url.value.trim();
  }
  api("POST", "/api/notification-channels/", data).then(function (c) {
    toast("up", "Channel " + c.name + " added");
    form.reset(); showKind(); loadChannels();
  }, function (err) {
    var details = err.details && typeof err.details === "object"
      ? Object.keys(err.details).map(function (k) { return k + ": " + err.details[k]; }).join("; ")
      : "";
    error.textContent = err.message + (details ? " (" + details + ")" : "");
  });
});

kind.addEventListener("change", showKind);
document.getElementById("viewer-zone").textContent = zoneName();
showKind();
loadChannels();
loadDeliveries();
setInterval(function () { if (!document.hidden) loadDeliveries(); }, POLL_MS);
