/* /monitoring/: one card per endpoint, live over /ws/monitoring/ (or polling). */
import { api, el } from "../realtime/helpers.js";
import * as M from "./common.js";
import { formatTime } from "./time.js";

var grid = document.getElementById("endpoint-grid");
var endpoints = {}; // id -> summary data
var cards = {}; // id -> {root, parts}
var BAR = 30;

function buildCard(id) {
  var root = el("article", { className: "mon-card", "data-endpoint-id": id });
  var top = el("div", { className: "mon-card-top" });
  var name = el("a", { className: "mon-card-name", href: "/monitoring/endpoints/" + id + "/" });
  var pill = el("span", { className: "pill mon-status" });
  top.appendChild(name); top.appendChild(pill);
  var url = el("div", { className: "mon-card-url" });
  var stats = el("div", { className: "mon-stats" });
  function stat(label) {
    var box = el("div");
    var value = el("b", {}, "–");
    box.appendChild(value); box.appendChild(el("span", {}, label));
    stats.appendChild(box);
    return value;
  }
  var uptime = stat("Uptime 24h");
  var last = stat("Last");
  var p95 = stat("p95 24h");
  var bar = el("div", { className: "mon-bar", role: "img", "aria-label": "Recent checks" });
  var agoNode = el("div", { className: "mon-ago" });
  [top, url, stats, bar, agoNode].forEach(function (n) { root.appendChild(n); });
  return { root: root, name: name, pill: pill, url: url, uptime: uptime, last: last, p95: p95, bar: bar, ago: agoNode };
}

function render(id) {
  var e = endpoints[id];
  var c = cards[id];
  if (!c) {
    c = cards[id] = buildCard(id);
    grid.appendChild(c.root);
  }
  c.root.setAttribute("data-status", e.status);
  c.root.setAttribute("data-active", e.isActive ? "true" : "false");
  c.name.textContent = e.name;
  c.pill.textContent = e.isActive ? e.status : "PAUSED";
  c.pill.setAttribute("data-status", e.status);
  c.url.textContent = e.method + " " + e.url;
  var stats = e.stats || {};
  c.uptime.textContent = M.pct(stats.uptime ? stats.uptime["24h"] : null);
  c.last.textContent = M.ms(e.lastResponseTime);
  c.p95.textContent = M.ms(stats.p95ResponseTime);
  while (c.bar.firstChild) c.bar.removeChild(c.bar.firstChild);
  (e.recentChecks || []).slice(-BAR).forEach(function (check) {
    var tick = el("i", { "data-status": check.status });
    tick.title = check.status + " · " + M.ms(check.responseTime) + " · " + check.checkedAt;
    c.bar.appendChild(tick);
  });
  c.ago.textContent = M.ago(e.lastCheckedAt);
  c.ago.setAttribute("data-checked-at", e.lastCheckedAt || "");
}

function renderCounts() {
  var counts = { UP: 0, DEGRADED: 0, DOWN: 0, PENDING: 0 };
  Object.keys(endpoints).forEach(function (id) { counts[endpoints[id].status] += 1; });
  var box = document.getElementById("mon-counts");
  while (box.firstChild) box.removeChild(box.firstChild);
  Object.keys(counts).forEach(function (s) {
    if (counts[s]) box.appendChild(el("span", { className: "pill", "data-status": s }, counts[s] + " " + s));
  });
  document.getElementById("mon-empty").hidden = Object.keys(endpoints).length > 0;
}

function renderIncidents(list) {
  var section = document.getElementById("open-incidents");
  var box = document.getElementById("open-incident-list");
  while (box.firstChild) box.removeChild(box.firstChild);
  list.forEach(function (i) {
    var row = el("div", { className: "mon-incident", "data-incident-id": i.id });
    var link = el("a", { href: "/monitoring/endpoints/" + i.endpointId + "/" }, i.endpointName);
    row.appendChild(link);
    row.appendChild(el("span", { className: "muted" }, " down since " + formatTime(i.startedAt) +
      (i.firstError ? " · " + i.firstError : "")));
    box.appendChild(row);
  });
  section.hidden = list.length === 0;
}

function removeCard(id) {
  delete endpoints[id];
  if (cards[id]) { grid.removeChild(cards[id].root); delete cards[id]; }
}

function applySummary(data) {
  var seen = {};
  data.endpoints.forEach(function (e) { seen[e.id] = true; endpoints[e.id] = e; render(e.id); });
  Object.keys(endpoints).forEach(function (id) { if (!seen[id]) removeCard(id); });
  renderCounts();
  renderIncidents(data.openIncidents);
}

function refresh() {
  return api("GET", "/api/monitoring/summary/").then(function (data) {
    applySummary(data);
    return data;
  });
}

var socket = Tidings.connect("/ws/monitoring/");
Tidings.bindIndicator(socket);

socket.on("check:completed", function (d) {
  var e = endpoints[d.endpointId];
  if (!e) return;
  e.lastCheckedAt = d.checkedAt;
  e.lastResponseTime = d.responseTime;
  e.lastStatusCode = d.statusCode;
  e.lastError = d.errorMessage;
  e.recentChecks = (e.recentChecks || []).concat([{ status: d.status, responseTime: d.responseTime, checkedAt: d.checkedAt }]).slice(-BAR);
  render(d.endpointId);
});
var refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 1500);
}
socket.on("endpoint:status-changed", function (d) {
  var e = endpoints[d.endpointId];
  if (e) { e.status = d.currentStatus; render(d.endpointId); renderCounts(); }
  M.statusToast(d);
  refreshSoon(); // uptime figures moved too
});
socket.on("incident:started", function (d) {
  M.toast("down", "Incident: " + d.endpointName + " failed " + d.failureCount + " checks in a row", M.URGENT_TOAST_MS);
  refreshSoon();
});
socket.on("incident:resolved", function (d) {
  M.toast("up", "Resolved: " + d.endpointName + " after " + d.durationSeconds + " s");
  refreshSoon();
});
socket.on("endpoint:created", function (d) {
  endpoints[d.endpoint.id] = Object.assign({ recentChecks: [], stats: null }, d.endpoint);
  render(d.endpoint.id); renderCounts();
});
socket.on("endpoint:updated", function (d) {
  var old = endpoints[d.endpoint.id] || {};
  endpoints[d.endpoint.id] = Object.assign({}, old, d.endpoint);
  render(d.endpoint.id); renderCounts();
});
socket.on("endpoint:deleted", function (d) { removeCard(d.endpointId); renderCounts(); });
socket.on("resync_required", function () { refresh(); });

// State first, then the room from that seq: replay fills any gap between the two.
refresh().then(function (data) {
  M.subscribe(socket, "endpoints", {}, data.seq);
}, function () {
  M.subscribe(socket, "endpoints", {});
});
setInterval(function () {
  Object.keys(cards).forEach(function (id) {
    cards[id].ago.textContent = M.ago(cards[id].ago.getAttribute("data-checked-at"));
  });
}, 1000);
// Uptime and percentiles move slowly: refresh them now and then.
setInterval(refresh, 60000);
