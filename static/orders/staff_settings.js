/*
 * Staff: open or close the kiosk, its message, and the ticket timers, kept live.
 *
 * A field shows what the server holds. "Saved" is said only for what the
 * server answered, with the value it stored (it may trim a message); a
 * refused value stays in its field with the server's reason beside it and
 * the value still in force, never quietly replaced.
 */
import { api } from "../realtime/helpers.js";
import * as Cafe from "./common.js";

var $ = function (id) { return document.getElementById(id); };
var status = $("staff-status");
var settings = {};
// key -> its input, and the ids of its error and "saved value" lines.
var FIELDS = {
  kiosk_message: { input: "kiosk-message", error: "kiosk-message-error", saved: "kiosk-message-saved", name: "The closed message" },
  ticket_warn_minutes: { input: "warn-minutes", error: "warn-minutes-error", saved: "warn-minutes-saved", name: "Amber after" },
  ticket_late_minutes: { input: "late-minutes", error: "late-minutes-error", saved: "late-minutes-saved", name: "Red after" },
};
var refused = {};  // key -> true while its field holds a value the server refused
var edited = {};   // key -> true while its field holds a typed value not saved yet
Object.keys(FIELDS).forEach(function (key) {
  $(FIELDS[key].input).addEventListener("input", function () { edited[key] = true; paint(); });
});

function show(id, message) {
  $(id).textContent = message || "";
  $(id).hidden = !message;
}

function text(value) { return value === undefined || value === null ? "" : String(value); }

function paint() {
  var active = !Cafe.isOff(settings.is_kiosk_active);
  $("kiosk-state").textContent = active ? "open" : "closed";
  $("kiosk-toggle").textContent = active ? "Close the kiosk" : "Open the kiosk";
  $("kiosk-toggle").className = "btn " + (active ? "danger" : "primary");
  Object.keys(FIELDS).forEach(function (key) {
    var field = FIELDS[key], input = $(field.input);
    if (refused[key] || (edited[key] && input.value !== text(settings[key]))) {
      // Keep what was typed (beside the server's reason, if refused) and say what is in force.
      show(field.saved, "In force: " + (text(settings[key]) || "(empty)"));
      return;
    }
    show(field.saved, "");
    edited[key] = false;
    if (document.activeElement !== input) input.value = text(settings[key]);
  });
}

function fail(key, message) {
  var field = FIELDS[key];
  refused[key] = true;
  show(field.error, message);
  $(field.input).setAttribute("aria-invalid", "true");
  paint();
}

function accept(key) {
  var field = FIELDS[key];
  refused[key] = false;
  if (field) {
    show(field.error, "");
    $(field.input).setAttribute("aria-invalid", "false");
  }
}

/* Save one setting: resolves true when the server took it, false when refused. */
function save(key, value) {
  return api("PATCH", "/api/settings/" + key + "/", { value: value }).then(function (data) {
    settings[data.key] = data.value;
    accept(data.key);
    edited[data.key] = false;
    var field = FIELDS[data.key];
    if (field) $(field.input).value = text(data.value);
    paint();
    return true;
  }, function (err) {
    var message = err.message || "The server refused this value";
    if (FIELDS[key]) fail(key, message);
    else show("kiosk-active-error", message);
    Cafe.flash(status, "Not saved: " + message, "error");
    return false;
  });
}

function load() {
  return api("GET", "/api/settings/").then(function (data) { settings = data; paint(); });
}

$("kiosk-toggle").addEventListener("click", function () {
  show("kiosk-active-error", "");
  save("is_kiosk_active", Cafe.isOff(settings.is_kiosk_active)).then(function (ok) {
    if (ok) Cafe.flash(status, "Saved: the kiosk is " + (Cafe.isOff(settings.is_kiosk_active) ? "closed" : "open"), "info");
  });
});
$("message-form").addEventListener("submit", function (e) {
  e.preventDefault();
  var value = $("kiosk-message").value;
  if (value.length > 300) { fail("kiosk_message", "At most 300 characters."); return; }
  save("kiosk_message", value).then(function (ok) {
    if (ok) Cafe.flash(status, "Saved: " + (settings.kiosk_message ? "“" + settings.kiosk_message + "”" : "no message"), "info");
  });
});

/* What is wrong with a minutes field, in words; "" when it is fine. */
function minutesProblem(input) {
  var raw = input.value.trim();
  if (input.validity && input.validity.badInput) return "Enter whole minutes, like 5.";
  if (raw === "") return "Enter the minutes (1 to 240).";
  if (!/^[0-9]+$/.test(raw)) return "Enter whole minutes, like 5.";
  var n = Number(raw);
  if (n < 1 || n > 240) return "Minutes go from 1 to 240.";
  return "";
}

$("timer-form").addEventListener("submit", function (e) {
  e.preventDefault();
  var warn = $("warn-minutes"), late = $("late-minutes");
  var warnProblem = minutesProblem(warn), lateProblem = minutesProblem(late);
  if (!warnProblem && !lateProblem && Number(warn.value) >= Number(late.value)) {
    lateProblem = "Red must come after amber: more than " + warn.value.trim() + " minutes.";
  }
  if (warnProblem) fail("ticket_warn_minutes", warnProblem); else accept("ticket_warn_minutes");
  if (lateProblem) fail("ticket_late_minutes", lateProblem); else accept("ticket_late_minutes");
  if (warnProblem || lateProblem) {
    Cafe.flash(status, "Not saved: " + (warnProblem || lateProblem), "error");
    (warnProblem ? warn : late).focus();
    return;
  }
  var warnValue = Number(warn.value.trim()), lateValue = Number(late.value.trim());
  // Raising both: red first, so amber never passes red on the way.
  var order = warnValue > Cafe.minutes(settings.ticket_late_minutes)
    ? [["ticket_late_minutes", lateValue], ["ticket_warn_minutes", warnValue]]
    : [["ticket_warn_minutes", warnValue], ["ticket_late_minutes", lateValue]];
  save(order[0][0], order[0][1]).then(function (ok) {
    if (!ok) return false;
    return save(order[1][0], order[1][1]);
  }).then(function (ok) {
    if (ok) Cafe.flash(status, "Saved: amber after " + settings.ticket_warn_minutes + " min, red after " + settings.ticket_late_minutes + " min", "info");
  });
});

var socket = Cafe.connect([{ type: "admin" }], load);
socket.on("settings:changed", function (data) {
  settings[data.key] = data.value;
  paint();
  $("settings-updated").textContent = "Last change: " + data.key + (data.updatedBy ? " by " + data.updatedBy.name : "") + " at " + Cafe.clock(data.updatedAt);
});
load();
