/* Staff: pair devices (screen tokens shown once), list them, revoke them. Text only. */
import { api, clear, el } from "../realtime/helpers.js";

var $ = function (id) { return document.getElementById(id); };

function say(message, kind) {
  var node = $("devices-status");
  node.hidden = !message;
  node.textContent = message || "";
  node.dataset.kind = kind || "info";
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function state(device) {
  if (device.revokedAt) return "revoked " + when(device.revokedAt);
  if (device.pairedAt) return "paired " + when(device.pairedAt);
  if (device.pairingExpiresAt) return "waiting for its code";
  return "token issued";
}

function revoke(device) {
  if (!window.confirm("Revoke \u201c" + device.name + "\u201d? Its screens disconnect at once and its token stops working.")) return;
  api("POST", "/api/devices/" + device.id + "/revoke/").then(function () {
    say("Revoked " + device.name, "info");
    load();
  }, function (err) { say(err.message, "error"); });
}

function row(device) {
  return el("tr", { className: device.revokedAt ? "device-revoked" : "" }, [
    el("td", {}, device.name),
    el("td", { title: device.grants }, device.roleName),
    el("td", {}, when(device.createdAt) + (device.createdBy ? " by " + device.createdBy : "")),
    el("td", {}, state(device)),
    el("td", {}, device.revokedAt ? "" : [
      el("button", { type: "button", className: "btn danger", onclick: function () { revoke(device); } }, "Revoke"),
    ]),
  ]);
}

function load() {
  return api("GET", "/api/devices/").then(function (devices) {
    var body = clear($("devices-body"));
    if (!devices.length) body.appendChild(el("tr", {}, [el("td", { colspan: "5", className: "muted" }, "No devices yet")]));
    devices.forEach(function (device) { body.appendChild(row(device)); });
  }, function (err) { say(err.message, "error"); });
}

function showGrants() {
  var option = $("device-role").selectedOptions[0];
  $("role-grants").textContent = option ? "Gets " + option.dataset.grants + "." : "";
}

function showIssued(answer) {
  $("issued-name").textContent = answer.device.name + " (" + answer.device.roleName + ")";
  $("issued-link").value = answer.link;
  $("issued-code").textContent = answer.pairingCode;
  $("issued-expires").textContent = new Date(answer.pairingExpiresAt).toLocaleTimeString();
  $("issued").hidden = false;
  $("issued").scrollIntoView({ block: "start" });
}

function hideIssued() {
  $("issued-link").value = "";
  $("issued-code").textContent = "";
  $("issued").hidden = true;
}

$("device-role").addEventListener("change", showGrants);
$("device-form").addEventListener("submit", function (e) {
  e.preventDefault();
  api("POST", "/api/devices/", { name: $("device-name").value, role: $("device-role").value }).then(function (answer) {
    $("device-name").value = "";
    say("", "info");
    showIssued(answer);
    load();
  }, function (err) { say(err.message, "error"); });
});
$("copy-link").addEventListener("click", function () {
  var link = $("issued-link").value;
  if (navigator.clipboard) navigator.clipboard.writeText(link).then(function () { say("Link copied", "info"); });
  else { $("issued-link").select(); }
});
$("issued-done").addEventListener("click", hideIssued);
showGrants();
load();
