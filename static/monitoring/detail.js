/* /monitoring/endpoints/<id>/: response-time chart (uPlot), history, incidents. */
import { api, el } from "../realtime/helpers.js";
import * as M from "./common.js";
import { formatTime, localizeTimes } from "./time.js";

var root = document.getElementById("endpoint-detail");
var id = root.getAttribute("data-endpoint-id");
var chartBox = document.getElementById("rt-chart");
var rows = document.getElementById("check-rows");
var pill = document.getElementById("endpoint-status");
var xs = [], ys = [];
var chart = null;
var MAX_POINTS = 500;

function drawChart() {
  var width = Math.max(chartBox.clientWidth, 280);
  if (!chart) {
    chart = new uPlot({
      width: width,
      height: 260,
      scales: { x: { time: true } },
      series: [{}, { label: "Response time (ms)", stroke: "#2563eb", width: 2, fill: "rgba(37,99,235,.08)", points: { show: true, size: 5 } }],
      axes: [{}, { label: "ms" }],
    }, [xs, ys], chartBox);
    window.addEventListener("resize", function () {
      chart.setSize({ width: Math.max(chartBox.clientWidth, 280), height: 260 });
    });
  } else {
    chart.setData([xs, ys]);
  }
  chartBox.setAttribute("data-points", String(ys.filter(function (v) { return v !== null; }).length));
}

function addRow(c, atTop) {
  var tr = el("tr", { "data-status": c.status });
  tr.appendChild(el("td", {}, [el("time", { datetime: c.checkedAt }, formatTime(c.checkedAt))]));
  var td = el("td");
  td.appendChild(el("span", { className: "pill", "data-status": c.status }, c.status));
  tr.appendChild(td);
  tr.appendChild(el("td", { className: "num" }, c.statusCode === null ? "–" : c.statusCode));
  tr.appendChild(el("td", { className: "num" }, c.responseTime === null ? "–" : c.responseTime));
  tr.appendChild(el("td", {}, c.errorMessage || ""));
  if (atTop && rows.firstChild) rows.insertBefore(tr, rows.firstChild); else rows.appendChild(tr);
  while (rows.children.length > 200) rows.removeChild(rows.lastChild);
}

function addPoint(c) {
  xs.push(Date.parse(c.checkedAt) / 1000);
  ys.push(c.responseTime === null ? null : c.responseTime);
  if (xs.length > MAX_POINTS) { xs.shift(); ys.shift(); }
}

function setStatus(status) {
  pill.textContent = status;
  pill.setAttribute("data-status", status);
}

function setStats(d) {
  var s = d.stats || {};
  function put(key, text) { document.querySelector("[data-stat=" + key + "]").textContent = text; }
  put("uptime24h", M.pct(s.uptime && s.uptime["24h"]));
  put("uptime7d", M.pct(s.uptime && s.uptime["7d"]));
  put("uptime30d", M.pct(s.uptime && s.uptime["30d"]));
  put("avg", M.ms(s.avgResponseTime));
  put("p95", M.ms(s.p95ResponseTime));
  put("last", M.ms(d.lastResponseTime));
}

var socket = Tidings.connect("/ws/monitoring/");
Tidings.bindIndicator(socket);
socket.on("check:completed", function (c) {
  if (String(c.endpointId) !== id) return;
  addPoint(c);
  drawChart();
  addRow(c, true);
  document.querySelector("[data-stat=last]").textContent = M.ms(c.responseTime);
});
socket.on("endpoint:status-changed", function (d) {
  if (String(d.endpointId) !== id) return;
  setStatus(d.currentStatus);
  M.statusToast(d);
});
socket.on("incident:started", function (d) {
  M.toast("down", "Incident opened after " + d.failureCount + " failed checks", M.URGENT_TOAST_MS);
});
socket.on("incident:resolved", function (d) {
  M.toast("up", "Incident resolved after " + d.durationSeconds + " s");
});
socket.on("endpoint:deleted", function () { window.location.href = "/monitoring/"; });

Promise.all([
  api("GET", "/api/endpoints/" + id + "/"),
  api("GET", "/api/endpoints/" + id + "/checks/?limit=" + MAX_POINTS),
]).then(function (res) {
  var detail = res[0], checks = res[1];
  setStatus(detail.status);
  setStats(detail);
  checks.forEach(function (c) { addRow(c, false); });
  checks.slice().reverse().forEach(addPoint);
  drawChart();
  M.subscribe(socket, "endpoint", { endpointId: id }, detail.seq);
});

document.getElementById("check-now").addEventListener("click", function (ev) {
  var button = ev.currentTarget;
  button.disabled = true;
  api("POST", "/api/endpoints/" + id + "/check-now/").then(function (r) {
    M.toast("info", "Checked: " + r.check.status + " in " + M.ms(r.check.responseTime));
  }, function (err) {
    M.toast("error", (err && err.message) || "Check failed");
  }).then(function () { button.disabled = false; });
});

document.getElementById("toggle-active").addEventListener("click", function (ev) {
  var button = ev.currentTarget;
  var active = button.getAttribute("data-active") === "true";
  api("POST", "/api/endpoints/" + id + (active ? "/pause/" : "/resume/")).then(function (e) {
    button.setAttribute("data-active", e.isActive ? "true" : "false");
    button.textContent = e.isActive ? "Pause" : "Resume";
    M.toast("info", e.isActive ? "Checking resumed" : "Checking paused");
  });
});

Array.prototype.forEach.call(document.querySelectorAll(".save-notes"), function (button) {
  button.addEventListener("click", function () {
    var incident = button.getAttribute("data-incident-id");
    var notes = document.getElementById("notes-" + incident).value;
    api("PATCH", "/api/incidents/" + incident + "/", { notes: notes }).then(function () {
      M.toast("info", "Notes saved");
    }, function (err) { M.toast("error", (err && err.message) || "Could not save"); });
  });
});

// Server-rendered times (incidents, certificate expiry) in the viewer's zone too.
localizeTimes(document);
