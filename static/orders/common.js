/*
 * Shared helpers of the cafe pages: DOM building with textContent only,
 * JSON requests with the CSRF token, money, timers, sound and vibration.
 */
(function () {
  "use strict";

  function el(tag, attrs, children) {
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
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function api(method, url, body) {
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

  function won(amount) {
    return "₩" + Number(amount || 0).toLocaleString("en-US");
  }

  function optionText(options) {
    return (options || []).map(function (o) { return o.name; }).join(", ");
  }

  function elapsed(since, now) {
    var seconds = Math.max(0, Math.floor(((now || Date.now()) - new Date(since).getTime()) / 1000));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function clock(iso) {
    var d = new Date(iso);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  /* Sound needs one tap on most browsers: `Cafe.sound.enable()` from a click. */
  var audio = null;
  var sound = {
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

  function vibrate(pattern) {
    if (navigator.vibrate) {
      try { navigator.vibrate(pattern || [200, 100, 200]); } catch (e) {}
    }
  }

  /* Show a short message in a status line. */
  function flash(node, message, kind) {
    node.textContent = message || "";
    node.dataset.kind = kind || "info";
    node.hidden = !message;
  }

  /* Open the orders socket with the indicator; reload state on resync or reconnect. */
  function connect(rooms, reload) {
    var socket = Tidings.connect("/ws/orders/");
    Tidings.bindIndicator(socket);
    rooms.forEach(function (room) { socket.join(room.type, room.ids || {}); });
    // Rooms are (re)joined on every connect; state is read after that, so no
    // event can fall between the read and the subscription.
    socket.on("restore_rooms_success", function () { if (reload) reload(); });
    socket.on("resync_required", function () { if (reload) reload(); });
    return socket;
  }

  window.Cafe = {
    el: el,
    clear: clear,
    api: api,
    won: won,
    optionText: optionText,
    elapsed: elapsed,
    clock: clock,
    sound: sound,
    vibrate: vibrate,
    flash: flash,
    connect: connect,
  };
})();
