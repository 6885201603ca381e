/* Pickup board: numbers being made and numbers ready (ready ones leave after 10 minutes). */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";
import * as Status from "./statuses.js";

var READY_FOR_MS = 10 * 60 * 1000;
var orders = {}; // orderId -> {dailyNum, status, updatedAt, createdAt}

function render() {
  var now = Date.now();
  var list = Object.keys(orders).map(function (id) { return orders[id]; });
  list.sort(function (a, b) { return a.dailyNum - b.dailyNum; });
  var making = clear(document.getElementById("making"));
  var ready = clear(document.getElementById("ready"));
  list.forEach(function (o) {
    var item = el("li", { dataset: { num: String(o.dailyNum) }, text: String(o.dailyNum) });
    if (Status.inProgress(o.status)) making.appendChild(item);
    else if (Status.awaitingPickup(o.status) && now - new Date(o.updatedAt).getTime() < READY_FOR_MS) ready.appendChild(item);
  });
}
setInterval(render, 5000);

function upsert(data) {
  var known = orders[data.orderId] || {};
  Object.keys(data).forEach(function (k) { known[k] = data[k]; });
  orders[data.orderId] = known;
  render();
}

function load() {
  return api("GET", "/api/orders/?status=" + Status.open.join(",")).then(function (list) {
    orders = {};
    list.forEach(function (o) {
      orders[o.orderId] = { orderId: o.orderId, dailyNum: o.dailyNum, status: o.status, updatedAt: o.updatedAt };
    });
    render();
  });
}

var socket = Cafe.connect([{ type: "kitchen" }], load);
socket.on("order:created", function (data) {
  upsert({ orderId: data.orderId, dailyNum: data.dailyNum, status: data.status, updatedAt: data.createdAt });
});
socket.on("order:status_changed", function (data) {
  upsert({ orderId: data.orderId, dailyNum: data.dailyNum, status: data.status, updatedAt: data.updatedAt });
});
socket.on("order:cancelled", function (data) {
  upsert({ orderId: data.orderId, dailyNum: data.dailyNum, status: Status.cancelled, updatedAt: data.cancelledAt });
});
load();
