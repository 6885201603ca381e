/* Customer: follow one order by its id; a loud, clear "ready" with sound and vibration. */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";
import * as Status from "./statuses.js";

var orderId = JSON.parse(document.getElementById("order-id").textContent);
var $ = function (id) { return document.getElementById(id); };
var STEPS = Status.steps.map(function (step) { return step.status; });
var order = null;
var announced = false;

function paint() {
  if (!order) return;
  $("order-number").textContent = "#" + order.dailyNum;
  $("order-status").textContent = order.status;
  var at = STEPS.indexOf(order.status);
  document.querySelectorAll("#steps li").forEach(function (li) {
    var i = STEPS.indexOf(li.dataset.step);
    li.className = i < at ? "done" : i === at ? "current" : "";
  });
  var ready = Status.awaitingPickup(order.status);
  $("ready-banner").hidden = !ready;
  $("ready-banner").textContent = ready ? "Order #" + order.dailyNum + " is ready" : "";
  var cancelled = order.status === Status.cancelled;
  $("cancelled-banner").hidden = !cancelled;
  $("cancelled-banner").textContent = cancelled
    ? "Order #" + order.dailyNum + " was cancelled" + (order.cancelReason ? ": " + order.cancelReason : "")
    : "";
  document.title = (ready ? order.status + " · " : "") + "Order #" + order.dailyNum + " · Tidings";
}

function paintItems() {
  var list = clear($("order-items"));
  (order.items || []).forEach(function (item) {
    list.appendChild(el("li", { className: "feed-item" }, [
      el("strong", { text: item.quantity + " × " + item.menuName }),
      el("span", { className: "muted", text: Cafe.optionText(item.options) }),
      el("span", { style: "margin-left:auto", text: Cafe.won(item.totalPrice) }),
    ]));
  });
  $("order-total").textContent = Cafe.won(order.totalAmount);
  $("order-paid").textContent = paidText(order);
}

function paidText(order) {
  if (order.payType === "CELL") return "Paid from " + (order.cellInfo ? order.cellInfo.name : "a cell") + "'s points";
  if (order.payType === "CARD") return "Paying by card";
  if (order.payType === "CASH") return "Paying in cash";
  return "";
}

function announceReady() {
  if (announced) return;
  announced = true;
  Cafe.sound.beep([880, 1175, 880, 1175]);
  Cafe.vibrate([300, 150, 300, 150, 300]);
}

function load() {
  return api("GET", "/api/orders/" + encodeURIComponent(orderId) + "/").then(function (data) {
    order = data;
    paint();
    paintItems();
  });
}

$("sound-prompt").addEventListener("click", function () {
  var ok = Cafe.sound.enable();
  Cafe.vibrate(50);
  $("sound-prompt").textContent = ok ? "Sound is on" : "Sound is not available here";
  $("sound-prompt").disabled = true;
  if (ok) Cafe.sound.beep([660]);
});

var socket = Cafe.connect([{ type: "order", ids: { orderId: orderId } }], load);
socket.on("order:status_changed", function (data) {
  if (!order || data.orderId !== orderId) return;
  order.status = data.status;
  order.updatedAt = data.updatedAt;
  if (!Status.awaitingPickup(data.status)) announced = false;
  paint();
});
socket.on("order:ready", function (data) {
  if (!order || data.orderId !== orderId) return;
  order.status = data.status;
  paint();
  announceReady();
});
socket.on("order:cancelled", function (data) {
  if (!order || data.orderId !== orderId) return;
  order.status = Status.cancelled;
  order.cancelReason = data.reason;
  paint();
  Cafe.vibrate([500]);
});
load();
