/* Barista display: tickets by status, one-tap moves, timers, chime, recall, sold-out toggles. */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";
import * as Status from "./statuses.js";

var $ = function (id) { return document.getElementById(id); };
var RECALL_MS = 15 * 60 * 1000;
var orders = {};          // orderId -> order payload
var cancelling = {};      // orderId -> true while the reason form is open
var settings = { ticket_warn_minutes: 5, ticket_late_minutes: 8 };
var menu = { items: [], options: {} };
var statusLine = $("barista-status");

function fail(err) {
  Cafe.flash(statusLine, (err && err.message) || "Something went wrong", "error");
}

// -- tickets ---------------------------------------------------------------

function ticket(order) {
  var actions = [];
  var next = Status.nextMove(order.status);
  if (next) {
    actions.push(el("button", {
      type: "button",
      className: "btn primary",
      dataset: { action: next.status },
      text: next.label,
      onclick: function () { move(order, next.status); },
    }));
  }
  if (Status.inProgress(order.status)) {
    actions.push(el("button", {
      type: "button",
      className: "btn",
      dataset: { action: "cancel" },
      text: "Cancel",
      onclick: function () { cancelling[order.orderId] = !cancelling[order.orderId]; render(); },
    }));
  }
  var form = null;
  if (cancelling[order.orderId]) {
    var reason = el("input", { type: "text", placeholder: "Reason", maxlength: "200", "aria-label": "Reason" });
    form = el("form", { className: "cancel-form" }, [
      reason,
      el("button", { className: "btn danger", text: "Confirm cancel" }),
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      api("POST", "/api/orders/" + encodeURIComponent(order.orderId) + "/cancel/", { reason: reason.value })
        .then(function (data) { delete cancelling[order.orderId]; upsert(data); }, fail);
    });
  }
  return el("article", { className: "ticket", dataset: { orderId: order.orderId, created: order.createdAt } }, [
    el("div", { className: "ticket-head" }, [
      el("span", { className: "num", text: "#" + order.dailyNum }),
      el("span", { className: "timer", text: Cafe.elapsed(order.createdAt) }),
    ]),
    el("div", { className: "muted", text: order.payType + (order.cellInfo ? " · " + order.cellInfo.name : "") + " · " + Cafe.clock(order.createdAt) }),
    el("ul", {}, order.items.map(function (item) {
      return el("li", {}, [
        el("strong", { text: item.quantity + " × " + item.menuName }),
        item.options.length ? el("div", { className: "opts", text: Cafe.optionText(item.options) }) : null,
      ]);
    })),
    el("div", { className: "actions" }, actions),
    form,
  ]);
}

function render() {
  var list = Object.keys(orders).map(function (id) { return orders[id]; });
  list.sort(function (a, b) { return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.dailyNum - b.dailyNum; });
  document.querySelectorAll(".column").forEach(function (column) {
    var status = column.dataset.column;
    var box = clear(column.querySelector(".tickets"));
    var mine = list.filter(function (o) { return o.status === status; });
    mine.forEach(function (o) { box.appendChild(ticket(o)); });
    column.querySelector(".count").textContent = String(mine.length);
  });
  renderRecent(list);
  renderCounts(list);
  tick();
}

function renderRecent(list) {
  var now = Date.now();
  var box = clear($("recent"));
  list.filter(function (o) {
    return Status.isDone(o.status) && now - new Date(o.updatedAt).getTime() < RECALL_MS;
  }).reverse().slice(0, 12).forEach(function (o) {
    box.appendChild(el("li", { dataset: { orderId: o.orderId } }, [
      el("span", { className: "label", text: "#" + o.dailyNum + " " + o.status.toLowerCase() + " " + Cafe.clock(o.updatedAt) }),
      o.status !== Status.cancelled ? el("button", {
        type: "button",
        className: "btn",
        text: "Recall",
        onclick: function () {
          api("POST", "/api/orders/" + encodeURIComponent(o.orderId) + "/undo/").then(upsert, fail);
        },
      }) : null,
    ]));
  });
}

function renderCounts(list) {
  var counts = {};
  list.forEach(function (o) {
    if (!Status.inProgress(o.status)) return;
    o.items.forEach(function (item) { counts[item.menuName] = (counts[item.menuName] || 0) + item.quantity; });
  });
  var box = clear($("all-day"));
  Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; }).forEach(function (name) {
    box.appendChild(el("li", {}, [el("span", { text: name }), el("strong", { text: String(counts[name]) })]));
  });
  if (!box.firstChild) box.appendChild(el("li", { className: "muted", text: "Nothing in progress" }));
}

function tick() {
  var warn = settings.ticket_warn_minutes * 60000, late = settings.ticket_late_minutes * 60000;
  var now = Date.now();
  document.querySelectorAll(".ticket").forEach(function (node) {
    var age = now - new Date(node.dataset.created).getTime();
    var order = orders[node.dataset.orderId];
    var running = order && !Status.awaitingPickup(order.status);
    node.querySelector(".timer").textContent = Cafe.elapsed(node.dataset.created, now);
    node.classList.toggle("late", running && age >= late);
    node.classList.toggle("warn", running && age >= warn && age < late);
  });
}
setInterval(tick, 1000);
setInterval(function () { renderRecent(Object.keys(orders).map(function (id) { return orders[id]; })); }, 30000);

function upsert(data) {
  var known = orders[data.orderId] || {};
  Object.keys(data).forEach(function (k) { known[k] = data[k]; });
  orders[data.orderId] = known;
  render();
}

function move(order, status) {
  api("PATCH", "/api/orders/" + encodeURIComponent(order.orderId) + "/status/", { status: status })
    .then(upsert, fail);
}

// -- sold out --------------------------------------------------------------

function renderSoldOut() {
  var items = clear($("soldout-items"));
  menu.items.forEach(function (item) {
    items.appendChild(toggleRow(item.name, item.isSoldOut, "/api/menus/" + item.id + "/", { menuId: String(item.id) }));
  });
  var options = clear($("soldout-options"));
  Object.keys(menu.options).forEach(function (id) {
    var o = menu.options[id];
    options.appendChild(toggleRow(o.groupName + ": " + o.name, o.isSoldOut, "/api/menus/options/" + o.id + "/", { optionId: String(o.id) }));
  });
}

function toggleRow(label, soldOut, url, data) {
  return el("li", { className: soldOut ? "sold-out" : "", dataset: data }, [
    el("span", { className: "label", text: label }),
    el("button", {
      type: "button",
      className: "btn" + (soldOut ? " danger" : ""),
      "aria-pressed": soldOut ? "true" : "false",
      text: soldOut ? "Sold out" : "Available",
      onclick: function () { api("PATCH", url, { isSoldOut: !soldOut }).then(null, fail); },
    }),
  ]);
}

function loadMenu() {
  return api("GET", "/api/menus/").then(function (catalogue) {
    menu.items = [];
    menu.options = {};
    catalogue.categories.forEach(function (c) {
      c.items.forEach(function (item) {
        menu.items.push(item);
        item.optionGroups.forEach(function (g) {
          g.options.forEach(function (o) { o.groupName = g.name; menu.options[o.id] = o; });
        });
      });
    });
    renderSoldOut();
  });
}

// -- live --------------------------------------------------------------------

function load() {
  api("GET", "/api/settings/").then(function (s) { settings = s; tick(); });
  loadMenu();
  return api("GET", "/api/orders/").then(function (list) {
    orders = {};
    list.forEach(function (o) { orders[o.orderId] = o; });
    render();
  }, fail);
}

$("sound-prompt").addEventListener("click", function () {
  var ok = Cafe.sound.enable();
  $("sound-prompt").textContent = ok ? "Chime is on" : "Sound is not available here";
  $("sound-prompt").disabled = true;
  if (ok) Cafe.sound.beep([660, 880]);
});

// The kiosk room carries settings changes (timer thresholds) to everyone.
var socket = Cafe.connect([{ type: "kitchen" }, { type: "kiosk" }], load);
socket.on("settings:changed", function (data) {
  // Values come as strings ("8"), as the original app sends them.
  if (/_minutes$/.test(data.key)) settings[data.key] = Cafe.minutes(data.value);
  tick();
});
socket.on("order:created", function (data) {
  var known = !!orders[data.orderId];
  upsert(data);
  if (known) return;
  Cafe.sound.beep([988, 1319]);
  Cafe.toast("New order: #" + data.dailyNum);
});
socket.on("order:status_changed", function (data) {
  if (!orders[data.orderId]) {
    api("GET", "/api/orders/" + encodeURIComponent(data.orderId) + "/").then(upsert);
    return;
  }
  upsert({ orderId: data.orderId, status: data.status, updatedAt: data.updatedAt });
});
socket.on("order:cancelled", function (data) {
  Cafe.toast("Order #" + data.dailyNum + " was cancelled", "error");
  delete cancelling[data.orderId];
  if (orders[data.orderId]) {
    upsert({ orderId: data.orderId, status: Status.cancelled, cancelReason: data.reason, updatedAt: data.cancelledAt });
  }
});
socket.on("menu:sold_out_changed", function (data) {
  menu.items.forEach(function (item) { if (item.id === data.menuId) item.isSoldOut = data.isSoldOut; });
  renderSoldOut();
});
socket.on("option:sold_out_changed", function (data) {
  if (menu.options[data.optionId]) menu.options[data.optionId].isSoldOut = data.isSoldOut;
  renderSoldOut();
});
load();
