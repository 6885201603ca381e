/* A device pairs here: the link's token (in the fragment) or a typed pairing code. */
import { api } from "../realtime/helpers.js";

var $ = function (id) { return document.getElementById(id); };
var STORE = "tidings.screenToken";

function fail(message) {
  $("pair-error").hidden = !message;
  $("pair-error").textContent = message || "";
}

function show(device, token) {
  try { window.localStorage.setItem(STORE, token); } catch (e) { /* private mode */ }
  $("paired-name").textContent = device.name;
  $("paired-role").textContent = device.roleName;
  $("paired-grants").textContent = "It gets " + device.grants + ".";
  $("paired-token").value = token;
  $("paired").hidden = false;
  $("pair-form").hidden = true;
  fail("");
}

/* The link's token: checked with the server, then kept; the fragment is dropped at once. */
function fromLink() {
  var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) return;
  var token = decodeURIComponent(match[1]);
  window.history.replaceState(null, "", window.location.pathname);
  fetch("/api/devices/me/", { headers: { Accept: "application/json", Authorization: "Bearer " + token } })
    .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
    .then(function (answer) {
      if (answer.ok) show(answer.body.device, token);
      else fail(answer.body.message || "This link's token is not valid (revoked?)");
    }, function () { fail("Could not reach the server; open the link again"); });
}

$("pair-form").addEventListener("submit", function (e) {
  e.preventDefault();
  api("POST", "/api/devices/pair/", { code: $("pair-code").value }).then(function (answer) {
    $("pair-code").value = "";
    show(answer.device, answer.token);
  }, function (err) { fail(err.message); });
});
$("copy-token").addEventListener("click", function () {
  if (navigator.clipboard) navigator.clipboard.writeText($("paired-token").value);
  else $("paired-token").select();
});
$("forget").addEventListener("click", function () {
  try { window.localStorage.removeItem(STORE); } catch (e) { /* private mode */ }
  $("paired-token").value = "";
  $("paired").hidden = true;
  $("pair-form").hidden = false;
});
fromLink();
