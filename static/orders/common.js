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

export function clock(iso) {
  var d = new Date(iso);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
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
export function isOff(value) { return value === false || value === "false"; }
export function minutes(value) { return parseInt(value, 10); }

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
