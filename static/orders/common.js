/*
 * What the cafe pages share besides static/realtime/helpers.js: money,
 * timers, sound and vibration, the status line, toasts, setting values and
 * the orders socket.
 */
import { el } from "../realtime/helpers.js";

export function won(amount) {
  return "₩" + Number(amount || 0).toLocaleString("en-US");
}

export function optionText(options) {
  return (options || []).map(function (o) { return o.name; }).join(", ");
}

export function elapsed(since, now) {
  var seconds = Math.max(0, Math.floor(((now || Date.now()) - new Date(since).getTime()) / 1000));
  var m = Math.floor(seconds / 60), s = seconds % 60;
  return m + ":" + (s < 10 ? "0" : "") + s;
}

/*
 * One clock for the cafe pages. Times come as ISO timestamps and are shown in
 * the viewer's own zone; when that zone is not the cafe's (a manager abroad),
 * the zone is named ("11:21 GMT+1"), so a time is never ambiguous. The cafe's
 * zone and the hour its business day starts come from the page
 * (`{% cafe_clock %}` renders #cafe-clock), else the viewer's zone and 04:00.
 */
var cafeClock = (function () {
  var node = document.getElementById("cafe-clock");
  var data = node ? JSON.parse(node.textContent) : {};
  var viewer = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return {
    timeZone: data.timeZone || viewer,
    dayStartsAtHour: typeof data.dayStartsAtHour === "number" ? data.dayStartsAtHour : 4,
    viewerZone: viewer,
  };
})();

/* Whether the viewer's zone differs from the cafe's at `date` (offsets compared). */
function zoneDiffers(date) {
  if (cafeClock.timeZone === cafeClock.viewerZone) return false;
  var opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  var here = new Intl.DateTimeFormat("en-GB", opts).format(date);
  var there = new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: cafeClock.timeZone }, opts)).format(date);
  return here !== there;
}

/* "11:21" in the viewer's zone (24-hour), "11:21 GMT+1" when that is not the cafe's zone. */
export function clock(iso, options) {
  var d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  var opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if ((options && options.seconds)) opts.second = "2-digit";
  if ((options && options.zone) || zoneDiffers(d)) opts.timeZoneName = "short";
  return new Intl.DateTimeFormat("en-GB", opts).format(d);
}

/* "Fri 27 Nov, 11:21" (the same rules as clock()). */
export function dateTime(iso) {
  var d = new Date(iso);
  if (isNaN(d.getTime())) return "";
  var opts = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (zoneDiffers(d)) opts.timeZoneName = "short";
  return new Intl.DateTimeFormat("en-GB", opts).format(d);
}

/* The short name of the viewer's zone now ("KST", "GMT+9"). */
export function zoneName(date) {
  var parts = new Intl.DateTimeFormat("en-GB", { timeZoneName: "short" }).formatToParts(date || new Date());
  var zone = parts.filter(function (p) { return p.type === "timeZoneName"; })[0];
  return zone ? zone.value : cafeClock.viewerZone;
}

/* The cafe's business day at `now` ("2026-11-27"): it rolls over at 04:00 in the cafe's zone. */
export function businessDay(now) {
  var shifted = new Date((now || Date.now()) - cafeClock.dayStartsAtHour * 3600000);
  var parts = new Intl.DateTimeFormat("en-CA", { timeZone: cafeClock.timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(shifted);
  var get = function (type) { return parts.filter(function (p) { return p.type === type; })[0].value; };
  return get("year") + "-" + get("month") + "-" + get("day");
}

/* "Fri 27 Nov" for a business day "2026-11-27". */
export function dayLabel(day) {
  var d = new Date(day + "T12:00:00Z");
  return new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" }).format(d);
}

/* "Business day Fri 27 Nov (until 04:00)" in `node`, kept right across the rollover. */
export function showBusinessDay(node, onChange) {
  var shown = null;
  function update() {
    var day = businessDay();
    if (day === shown) return;
    var first = shown === null;
    shown = day;
    var hour = String(cafeClock.dayStartsAtHour).padStart(2, "0") + ":00";
    node.textContent = "Business day " + dayLabel(day) + " · rolls over at " + hour +
      (cafeClock.timeZone !== cafeClock.viewerZone ? " " + cafeClock.timeZone : "");
    node.dataset.day = day;
    if (!first && onChange) onChange(day);
  }
  update();
  setInterval(update, 30000);
  return function () { return shown; };
}

/*
 * A failed request in people's words: the server's own message when it sent
 * one, else what a network failure means for the person at the screen.
 */
export function problem(err) {
  if (err && err.status && err.message) return err.message;
  if (err && (err.name === "TypeError" || /fetch|network/i.test(String(err.message || "")))) {
    return "Can't reach the server. Check the Wi-Fi; the board catches up by itself when it is back.";
  }
  return (err && err.message) || "Something went wrong. Please try again.";
}

/* Whether a failure was the network, not a refusal by the server. */
export function isNetworkProblem(err) {
  return !(err && err.status);
}

/* Sound needs one tap on most browsers: `Cafe.sound.enable()` from a click. */
var audio = null;
export var sound = {
  enabled: false,
  enable: function () {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return false;
      audio = audio || new Ctx();
      if (audio.state === "suspended") audio.resume();
      sound.enabled = true;
    } catch (e) { sound.enabled = false; }
    return sound.enabled;
  },
  beep: function (notes) {
    if (!audio || !sound.enabled) return false;
    var t = audio.currentTime;
    (notes || [880, 660, 880]).forEach(function (freq, i) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.22);
      gain.gain.exponentialRampToValueAtTime(0.4, t + i * 0.22 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.22 + 0.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.22);
      osc.stop(t + i * 0.22 + 0.21);
    });
    return true;
  },
};

export function vibrate(pattern) {
  if (navigator.vibrate) {
    try { navigator.vibrate(pattern || [200, 100, 200]); } catch (e) {}
  }
}

/* Show a short message in a status line. */
export function flash(node, message, kind) {
  node.textContent = message || "";
  node.dataset.kind = kind || "info";
  node.hidden = !message;
}

/*
 * A short notice in the corner, large enough to read from the counter: at
 * most TOASTS_SHOWN at once (the oldest goes first), each gone after
 * TOAST_MS. Text only (textContent), announced politely to screen readers.
 */
var TOASTS_SHOWN = 3;
var TOAST_MS = 5000;
export function toast(message, kind) {
  var box = document.getElementById("toasts");
  if (!box) {
    box = el("div", { id: "toasts", className: "toasts", role: "status", "aria-live": "polite" });
    document.body.appendChild(box);
  }
  var node = el("div", { className: "toast", dataset: { kind: kind || "info" }, text: message });
  box.appendChild(node);
  while (box.children.length > TOASTS_SHOWN) box.removeChild(box.firstChild);
  setTimeout(function () { if (node.parentNode) node.parentNode.removeChild(node); }, TOAST_MS);
  return node;
}

/*
 * Setting values: `settings:changed` carries them as strings, as the original
 * kiosk app expects ("true"/"false", "5"); `GET /api/settings/` as JSON.
 */
/*
 * The reason typed in a cancel form, trimmed; or "" after pointing at the
 * empty field (the hint says `message`, the field is marked invalid and
 * takes the focus).
 */
export function cancelReason(reason, hint, message) {
  var text = reason.value.trim();
  if (!text) {
    hint.textContent = message;
    reason.setAttribute("aria-invalid", "true");
    reason.focus();
  }
  return text;
}

export function isOff(value) { return value === false || value === "false"; }
export function minutes(value) { return parseInt(value, 10); }

/*
 * A page's state read over REST while its socket delivers events: events that
 * arrive during the read are held and applied after it, in order, so a
 * snapshot read a moment before them never overwrites them.
 * `var held = Cafe.holdDuring();` then `socket.on(name, held.wrap(fn))` and
 * `held.read(api("GET", ...).then(apply))`.
 */
export function holdDuring() {
  var queue = null;
  return {
    wrap: function (fn) {
      return function (data, frame) {
        if (queue) queue.push(function () { fn(data, frame); });
        else fn(data, frame);
      };
    },
    read: function (promise) {
      queue = queue || [];
      var release = function () {
        var later = queue || [];
        queue = null;
        later.forEach(function (f) { f(); });
      };
      return promise.then(function (value) { release(); return value; }, function (err) { release(); throw err; });
    },
  };
}

/* Open the orders socket with the indicator; reload state on resync or reconnect. */
export function connect(rooms, reload) {
  var socket = Tidings.connect("/ws/orders/");
  Tidings.bindIndicator(socket);
  rooms.forEach(function (room) { socket.join(room.type, room.ids || {}); });
  // Rooms are (re)joined on every connect; state is read after that, so no
  // event can fall between the read and the subscription.
  socket.on("restore_rooms_success", function () { if (reload) reload(); });
  socket.on("resync_required", function () { if (reload) reload(); });
  return socket;
}
