/*
 * Tidings browser client (PROTOCOL.md): one socket with reconnect, resume,
 * replay by lastSeq, acknowledgements by ref, an offline send queue and a
 * REST polling fallback. No build step; exposes window.Tidings.
 */
(function () {
  "use strict";

  var BACKOFF_START = 1000;
  var BACKOFF_MAX = 5000;
  var OFFLINE_AFTER_FAILURES = 3;
  var POLL_AFTER_FAILURES = 3;
  var POLL_INTERVAL = 3000;
  var WS_RETRY_WHILE_POLLING = 30000;

  function wsUrl(path) {
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + window.location.host + path;
  }

  function roomName(roomType, ids) {
    var keys = Object.keys(ids || {});
    return keys.length ? roomType + ":" + ids[keys[0]] : roomType;
  }

  function TidingsSocket(path, options) {
    options = options || {};
    this.path = path;
    this.options = options;
    this.state = "connecting";
    this.connectionId = null;
    this.rooms = {}; // room -> {roomType, ids, lastSeq}
    this.handlers = {};
    this.pending = {}; // ref -> {resolve, reject, timer}
    this.queue = []; // frames waiting for an open socket
    this.refCounter = 0;
    this.failures = 0;
    this.everOpened = false;
    this.polling = false;
    this.ws = null;
    this.backoff = BACKOFF_START;
    this.attempt = 0; // reconnect attempts since the socket was last live
    this.retryAt = null; // when the next attempt starts (ms since the epoch)
    this.watchdog = null;
    this.heartbeatWindow = 45000;
    var self = this;
    this.ready = false; // the server's `connected` frame came on this socket
    // The browser's online/offline events are guesses about the network, not
    // about this socket: a Wi-Fi handover fires `offline` while the socket
    // survives. `offline` shows red at once; the next frame that arrives on a
    // socket still open (a heartbeat comes every interval) or `online` turns
    // it back to live. A socket that really died goes quiet: the watchdog
    // closes it and the reconnect loop takes over.
    window.addEventListener("online", function () {
      if (self.isOpen()) self.markLive(); else self.reconnectNow();
    });
    window.addEventListener("offline", function () {
      if (self.state !== "polling") self.setState("offline");
    });
    this.connect();
  }

  TidingsSocket.prototype.on = function (event, handler) {
    (this.handlers[event] = this.handlers[event] || []).push(handler);
    return this;
  };

  TidingsSocket.prototype.emit = function (event, data, frame) {
    (this.handlers[event] || []).forEach(function (h) {
      try { h(data, frame); } catch (e) { console.error(e); }
    });
    (this.handlers["*"] || []).forEach(function (h) {
      try { h(event, data, frame); } catch (e) { console.error(e); }
    });
  };

  TidingsSocket.prototype.setState = function (state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  };

  /* The socket is open and the server has said `connected` on it. */
  TidingsSocket.prototype.isOpen = function () {
    return !!(this.ws && this.ws.readyState === WebSocket.OPEN && this.ready);
  };

  /* Back to live on a socket that never closed: show it and send what waited. */
  TidingsSocket.prototype.markLive = function () {
    if (!this.isOpen() || this.state === "live") return;
    this.setState("live");
    this.flushQueue();
  };

  /* Send what waited for a live socket, in order. */
  TidingsSocket.prototype.flushQueue = function () {
    var self = this;
    var queued = this.queue;
    this.queue = [];
    queued.forEach(function (f) { self.rawSend(f); });
  };

  TidingsSocket.prototype.connect = function () {
    var self = this;
    var url = wsUrl(this.path);
    var query = [];
    this.retryAt = null;
    // `query` may be a function of this socket, read again on each (re)connect.
    var extra = typeof this.options.query === "function" ? this.options.query.call(this) : this.options.query;
    if (extra) query.push(extra);
    if (this.connectionId) query.push("resume=" + encodeURIComponent(this.connectionId));
    if (query.length) url += (url.indexOf("?") >= 0 ? "&" : "?") + query.join("&");
    var ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    var opened = false;
    ws.onopen = function () {
      opened = true;
      self.everOpened = true;
      self.failures = 0;
      self.backoff = BACKOFF_START;
      self.stopPolling();
      self.kickWatchdog();
    };
    ws.onmessage = function (msg) {
      self.kickWatchdog();
      // A frame on an open socket is the socket's real state: live.
      if (self.ws === ws && self.ready && self.state !== "live") self.markLive();
      var frame;
      try { frame = JSON.parse(msg.data); } catch (e) { return; }
      self.handleFrame(frame);
    };
    ws.onclose = function (ev) {
      if (self.ws !== ws) return;
      self.ws = null;
      self.ready = false;
      clearTimeout(self.watchdog);
      if (!opened) self.failures += 1;
      self.emit("close", { code: ev.code, reason: ev.reason });
      if (ev.code === 4401 || ev.code === 4403) {
        self.setState("offline");
        self.emit("denied", { code: ev.code });
        return;
      }
      self.scheduleReconnect();
    };
    ws.onerror = function () { /* onclose follows */ };
  };

  TidingsSocket.prototype.kickWatchdog = function () {
    var self = this;
    clearTimeout(this.watchdog);
    // A server that vanished without closing the TCP connection goes quiet:
    // after a heartbeat interval plus its timeout with no frame, reconnect.
    this.watchdog = setTimeout(function () {
      if (self.ws) { try { self.ws.close(); } catch (e) {} }
    }, this.heartbeatWindow + 5000);
  };

  TidingsSocket.prototype.scheduleReconnect = function () {
    var self = this;
    this.setState(this.failures >= OFFLINE_AFTER_FAILURES || !navigator.onLine ? "offline" : "reconnecting");
    if (!this.everOpened && this.failures >= POLL_AFTER_FAILURES && this.options.poll !== false) {
      this.startPolling();
    }
    var delay = this.polling ? WS_RETRY_WHILE_POLLING : this.backoff;
    delay = Math.round(delay * (0.8 + Math.random() * 0.4));
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(function () { self.connect(); }, delay);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    // `reconnecting {attempt, delay}`: the next attempt (1, 2, ...) starts in
    // `delay` ms; pages show the wait (see bindIndicator).
    this.emit("reconnecting", { attempt: this.attempt, delay: delay, polling: this.polling });
  };

  TidingsSocket.prototype.reconnectNow = function () {
    if (this.ws) return;
    clearTimeout(this.retryTimer);
    this.backoff = BACKOFF_START;
    this.attempt += 1;
    this.emit("reconnecting", { attempt: this.attempt, delay: 0, polling: this.polling });
    this.connect();
  };

  TidingsSocket.prototype.handleFrame = function (frame) {
    var event = frame.event, data = frame.data;
    if (event === "connected") {
      this.connectionId = data.connectionId;
      if (data.heartbeatInterval) {
        this.heartbeatWindow = data.heartbeatInterval + (data.heartbeatTimeout || 0);
        this.kickWatchdog();
      }
      this.onOpenReady();
      this.emit(event, data, frame);
      return;
    }
    if (event === "heartbeat") {
      this.rawSend({ event: "heartbeat_ack" });
      return;
    }
    if (frame.ref && this.pending[frame.ref]) {
      var p = this.pending[frame.ref];
      delete this.pending[frame.ref];
      clearTimeout(p.timer);
      if (event === "error") p.reject(data); else p.resolve(data);
    }
    if (frame.room && typeof frame.seq === "number") {
      var room = this.rooms[frame.room];
      if (room) {
        if (frame.seq <= room.lastSeq) return; // already seen (replay overlap)
        room.lastSeq = frame.seq;
      }
    }
    if (event === "resync_required" && this.rooms[data.room]) {
      this.rooms[data.room].lastSeq = data.seq;
    }
    if (event === "join_room_success" && this.rooms[data.room] && typeof data.seq === "number") {
      this.rooms[data.room].lastSeq = Math.max(this.rooms[data.room].lastSeq, data.seq);
    }
    this.emit(event, data, frame);
  };

  TidingsSocket.prototype.onOpenReady = function () {
    var self = this;
    var list = Object.keys(this.rooms).map(function (name) {
      var r = self.rooms[name];
      var entry = { roomType: r.roomType };
      Object.keys(r.ids).forEach(function (k) { entry[k] = r.ids[k]; });
      if (r.lastSeq !== null) entry.lastSeq = r.lastSeq;
      return entry;
    });
    if (list.length) this.rawSend({ event: "restore_rooms", data: { rooms: list } });
    this.attempt = 0;
    this.ready = true;
    this.setState("live");
    this.flushQueue();
    this.emit("open", {});
  };

  TidingsSocket.prototype.rawSend = function (frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.state === "live") {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    if (frame.event === "heartbeat_ack" || frame.event === "restore_rooms") {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify(frame));
        return true;
      }
      return false;
    }
    this.queue.push(frame);
    return false;
  };

  /* Send and wait for the reply with the same ref (queued while offline). */
  TidingsSocket.prototype.request = function (event, data, opts) {
    var self = this;
    var timeout = (opts && opts.timeout) || 10000;
    var ref = "c-" + (++this.refCounter);
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        delete self.pending[ref];
        self.queue = self.queue.filter(function (f) { return f.ref !== ref; });
        reject({ code: "TIMEOUT", message: "No reply within " + timeout + " ms" });
      }, timeout);
      self.pending[ref] = { resolve: resolve, reject: reject, timer: timer };
      self.rawSend({ event: event, data: data || {}, ref: ref });
    });
  };

  TidingsSocket.prototype.send = function (event, data) {
    this.rawSend({ event: event, data: data || {} });
  };

  /* Join a room and keep it joined across reconnects, resuming from lastSeq. */
  TidingsSocket.prototype.join = function (roomType, ids, lastSeq) {
    var name = roomName(roomType, ids);
    if (!this.rooms[name]) {
      this.rooms[name] = { roomType: roomType, ids: ids || {}, lastSeq: lastSeq == null ? null : lastSeq };
    }
    var data = { roomType: roomType };
    Object.keys(ids || {}).forEach(function (k) { data[k] = ids[k]; });
    if (this.rooms[name].lastSeq !== null) data.lastSeq = this.rooms[name].lastSeq;
    if (this.state !== "live") return Promise.resolve({ room: name, queued: true });
    return this.request("join_room", data);
  };

  TidingsSocket.prototype.leave = function (roomType, ids) {
    var name = roomName(roomType, ids);
    delete this.rooms[name];
    var data = { roomType: roomType };
    Object.keys(ids || {}).forEach(function (k) { data[k] = ids[k]; });
    if (this.state === "live") return this.request("leave_room", data);
    return Promise.resolve({});
  };

  /* Polling fallback: read each room's history over REST. */
  TidingsSocket.prototype.startPolling = function () {
    if (this.polling) return;
    this.polling = true;
    this.setState("polling");
    this.emit("polling", true);
    this.pollOnce();
  };

  TidingsSocket.prototype.stopPolling = function () {
    if (!this.polling) return;
    this.polling = false;
    clearTimeout(this.pollTimer);
    this.emit("polling", false);
  };

  TidingsSocket.prototype.pollOnce = function () {
    var self = this;
    if (!this.polling) return;
    var names = Object.keys(this.rooms);
    var jobs = names.map(function (name) {
      var room = self.rooms[name];
      var after = room.lastSeq === null ? null : room.lastSeq;
      var url = "/api/realtime/rooms/" + encodeURIComponent(name) + "/events/?limit=200";
      if (after !== null) url += "&after=" + after;
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) {
          if (res.status === 410) {
            return res.json().then(function (body) {
              var seq = body.details ? body.details.seq : 0;
              self.handleFrame({ event: "resync_required", data: { roomType: room.roomType, room: name, seq: seq } });
              return null;
            });
          }
          if (!res.ok) throw new Error("HTTP " + res.status);
          if (after === null) {
            // First poll of a room: start from its current seq, not from the start.
            room.lastSeq = parseInt(res.headers.get("X-Room-Seq") || "0", 10);
            return null;
          }
          return res.json();
        })
        .then(function (frames) {
          if (frames) frames.forEach(function (f) { self.handleFrame(f); });
        });
    });
    Promise.all(jobs).then(function () {
      self.setState("polling");
    }, function () {
      self.setState("offline");
    }).then(function () {
      self.pollTimer = setTimeout(function () { self.pollOnce(); }, POLL_INTERVAL);
    });
  };

  /*
   * The connection indicator of the base layout. While a reconnect waits, it
   * counts down to the next attempt ("Reconnecting in 3 s…"); the seconds sit
   * in their own aria-hidden span inside the label, so that screen readers
   * hear the state change once, not every second. `data-retry-in` on the
   * indicator holds the same seconds.
   */
  function bindIndicator(socket, el) {
    el = el || document.getElementById("conn-indicator");
    if (!el) return;
    el.hidden = false; // hidden in the markup until a socket stands behind it
    var labels = {
      connecting: "Connecting…",
      live: "Live",
      polling: "Live (polling)",
      reconnecting: "Reconnecting…",
      offline: "Offline",
    };
    var waiting = { reconnecting: ["Reconnecting", " in {s} s…"], offline: ["Offline", " · retrying in {s} s"] };
    var label = el.querySelector(".conn-label") || el;
    var wait = label.querySelector(".conn-wait"); // bound before: share its nodes
    if (!wait) {
      wait = document.createElement("span");
      wait.className = "conn-wait";
      wait.setAttribute("aria-hidden", "true");
      while (label.firstChild && label.firstChild.nodeType === 3) label.removeChild(label.firstChild);
      label.insertBefore(wait, label.firstChild);
    }
    var text = wait.previousSibling;
    if (!text || text.nodeType !== 3) text = label.insertBefore(document.createTextNode(""), wait);
    var retryAt = null;
    var ticker = null;
    function show() {
      var state = socket.state;
      var left = retryAt === null ? 0 : Math.ceil((retryAt - Date.now()) / 1000);
      var parts = left > 0 && !socket.ws ? waiting[state] : null;
      el.setAttribute("data-state", state);
      if (parts) {
        var tail = parts[1].replace("{s}", String(left));
        text.nodeValue = parts[0];
        wait.textContent = tail;
        el.setAttribute("data-retry-in", String(left));
        el.setAttribute("title", parts[0] + tail);
      } else {
        text.nodeValue = labels[state] || state;
        wait.textContent = "";
        el.removeAttribute("data-retry-in");
        el.setAttribute("title", labels[state] || state);
        retryAt = null;
        clearInterval(ticker);
        ticker = null;
      }
    }
    show();
    socket.on("state", show);
    socket.on("reconnecting", function (info) {
      retryAt = info.delay > 0 ? Date.now() + info.delay : null;
      if (retryAt !== null && ticker === null) ticker = setInterval(show, 250);
      show();
    });
  }

  window.Tidings = {
    connect: function (path, options) { return new TidingsSocket(path, options); },
    bindIndicator: bindIndicator,
    roomName: roomName,
  };
})();
