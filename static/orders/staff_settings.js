/* Staff: open or close the kiosk, its message, and the ticket timers, kept live. */
import { api } from "../realtime/helpers.js";
import * as Cafe from "./common.js";

var $ = function (id) { return document.getElementById(id); };
var status = $("staff-status");
var settings = {};

function paint() {
  var active = !Cafe.isOff(settings.is_kiosk_active);
  $("kiosk-state").textContent = active ? "open" : "closed";
  $("kiosk-toggle").textContent = active ? "Close the kiosk" : "Open the kiosk";
  $("kiosk-toggle").className = "btn " + (active ? "danger" : "primary");
  if (document.activeElement !== $("kiosk-message")) $("kiosk-message").value = settings.kiosk_message || "";
  if (document.activeElement !== $("warn-minutes")) $("warn-minutes").value = settings.ticket_warn_minutes;
  if (document.activeElement !== $("late-minutes")) $("late-minutes").value = settings.ticket_late_minutes;
}

function save(key, value) {
  return api("PATCH", "/api/settings/" + key + "/", { value: value }).then(function (data) {
    settings[data.key] = data.value;
    paint();
    Cafe.flash(status, "Saved", "info");
  }, function (err) { Cafe.flash(status, err.message, "error"); });
}

function load() {
  return api("GET", "/api/settings/").then(function (data) { settings = data; paint(); });
}

$("kiosk-toggle").addEventListener("click", function () {
  save("is_kiosk_active", Cafe.isOff(settings.is_kiosk_active));
});
$("message-form").addEventListener("submit", function (e) {
  e.preventDefault();
  save("kiosk_message", $("kiosk-message").value);
});
$("timer-form").addEventListener("submit", function (e) {
  e.preventDefault();
  save("ticket_warn_minutes", parseInt($("warn-minutes").value, 10)).then(function () {
    return save("ticket_late_minutes", parseInt($("late-minutes").value, 10));
  });
});

var socket = Cafe.connect([{ type: "admin" }], load);
socket.on("settings:changed", function (data) {
  settings[data.key] = data.value;
  paint();
  $("settings-updated").textContent = "Last change: " + data.key + (data.updatedBy ? " by " + data.updatedBy.name : "") + " at " + Cafe.clock(data.updatedAt);
});
load();
