/*
 * Barista display, a kitchen display (KDS) on a tablet: tickets in columns by
 * status, each column scrolling on its own inside one screen; one-tap moves,
 * timers, chime, undo (Ready back to Making), recall (completed and cancelled
 * orders), sold-out toggles. Side panels open in a drawer.
 */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";
import * as Status from "./statuses.js";

var $ = function (id) { return document.getElementById(id); };
var RECALL_MS = 15 * 60 * 1000;
var FRESH_MS = 10 * 1000;  // a new ticket stands out this long
var orders = {};          // orderId -> order payload
var cancelling = {};      // orderId -> the reason typed so far, while its form is open
var arrived = {};         // orderId -> when it arrived live (ms)
var settings = { ticket_warn_minutes: 5, ticket_late_minutes: 8 };
var menu = { items: [], options: {} };
var statusLine = $("barista-status");
var networkTrouble = false;
var today = Cafe.showBusinessDay($("business-day"), function () { render(); });

/*
 * A failure in words: "Can't reach the server…" for the network, cleared by
 * itself once the board is live again; the server's message for a refusal.
 */
function fail(err) {
  networkTrouble = Cafe.isNetworkProblem(err);
  Cafe.flash(statusLine, Cafe.problem(err), "error");
}

function recovered() {
  if (networkTrouble) {
    networkTrouble = false;
    Cafe.flash(statusLine, "");
  }
}

function url(order, tail) {
  return "/api/orders/" + encodeURIComponent(order.orderId) + "/" + tail;
}

// -- tickets ---------------------------------------------------------------

/* When a ticket's timer starts: a Ready ticket counts from the moment it became ready. */
function timerStart(order) {
  if (Status.awaitingPickup(order.status) && order.readyAt) return order.readyAt;
  return order.createdAt;
}

function button(label, action, handler, className) {
  return el("button", {
    type: "button",
    className: "btn" + (className ? " " + className : ""),
    dataset: { action: action },
    text: label,
    onclick: handler,
  });
}

function cancelForm(order) {
  var reason = el("input", {
    type: "text",
    placeholder: "Why? (the customer sees it)",
    maxlength: "200",
    required: true,
    "aria-label": "Reason",
    id: "reason-" + order.orderId,
  });
  // Tickets are rebuilt on every change: what was typed stays.
  reason.value = cancelling[order.orderId] || "";
  reason.addEventListener("input", function () { cancelling[order.orderId] = reason.value; });
  var hint = el("p", { className: "form-hint", role: "alert" });
  var form = el("form", { className: "cancel-form", novalidate: true }, [
    reason,
    el("div", { className: "cancel-actions" }, [
      el("button", { className: "btn danger", text: "Confirm cancel" }),
      button("Keep", "keep", function () { delete cancelling[order.orderId]; render(); }),
    ]),
    hint,
  ]);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = Cafe.cancelReason(reason, hint, "Say why it is cancelled: the customer sees the reason.");
    if (!text) return;
    api("POST", url(order, "cancel/"), { reason: text })
      .then(function (data) { delete cancelling[order.orderId]; recovered(); upsert(data); }, fail);
  });
  return form;
}

function ticket(order) {
  var actions = [];
  var next = Status.nextMove(order.status);
  if (next) {
    actions.push(button(next.label, next.status, function () { move(order, next.status); }, "primary"));
  }
  if (Status.inProgress(order.status)) {
    actions.push(button("Cancel", "cancel", function () {
      if (order.orderId in cancelling) delete cancelling[order.orderId];
      else cancelling[order.orderId] = "";
      render();
      var input = document.getElementById("reason-" + order.orderId);
      if (input) input.focus();
    }));
  }
  if (Status.awaitingPickup(order.status)) {
    // Made ready by mistake: back to Making (undo).
    actions.push(button("Not ready", "undo", function () {
      api("POST", url(order, "undo/")).then(function (data) { recovered(); upsert(data); }, fail);
    }));
  }
  var day = order.businessDay;
  var earlier = day && day < today();
  var fresh = arrived[order.orderId] && Date.now() - arrived[order.orderId] < FRESH_MS;
  var classes = "ticket" + (earlier ? " earlier" : "") + (fresh ? " fresh" : "");
  return el("article", {
    className: classes,
    dataset: { orderId: order.orderId, created: order.createdAt, since: timerStart(order) },
    "aria-label": "Order " + order.dailyNum,
  }, [
    el("div", { className: "ticket-head" }, [
      el("span", { className: "num", text: "#" + order.dailyNum }),
      el("span", { className: "timer", title: Status.awaitingPickup(order.status) ? "Waiting since ready" : "Since ordered", text: Cafe.elapsed(timerStart(order)) }),
    ]),
    earlier ? el("div", { className: "earlier-tag", text: "From " + Cafe.dayLabel(day) }) : null,
    el("div", { className: "ticket-meta", text: order.payType + (order.cellInfo ? " · " + order.cellInfo.name : "") + " · " + Cafe.clock(order.createdAt) }),
    el("ul", { className: "items" }, order.items.map(function (item) {
      return el("li", {}, [
        el("strong", { text: item.quantity + " × " + item.menuName }),
        item.options.length ? el("div", { className: "opts", text: Cafe.optionText(item.options) }) : null,
      ]);
    })),
    el("div", { className: "actions" }, actions),
    order.orderId in cancelling ? cancelForm(order) : null,
  ]);
}

function byTime(a, b) {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.dailyNum - b.dailyNum;
}

function render() {
  var list = Object.keys(orders).map(function (id) { return orders[id]; });
  list.sort(byTime);
  document.querySelectorAll(".column").forEach(function (column) {
    var status = column.dataset.column;
    var box = column.querySelector(".tickets");
    var keep = box.scrollTop;
    var focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement : null;
    var focusId = focused && focused.id;
    clear(box);
    var mine = list.filter(function (o) { return o.status === status; });
    // The first column shows the newest first, where the eye is; later
    // columns keep the order that has waited longest on top.
    if (status === Status.open[0]) mine.reverse();
    mine.forEach(function (o) { box.appendChild(ticket(o)); });
    box.scrollTop = keep;
    if (focusId && document.getElementById(focusId)) document.getElementById(focusId).focus();
    column.querySelector(".count").textContent = String(mine.length);
  });
  renderRecent(list);
  renderCounts(list);
  tick();
}

function recall(o) {
  // A cancelled order goes back to the status it was cancelled from.
  if (o.status === Status.cancelled) {
    return api("PATCH", url(o, "status/"), { status: o.cancelledFrom });
  }
  return api("POST", url(o, "undo/"));
}

function renderRecent(list) {
  var now = Date.now();
  var box = clear($("recent"));
  list.filter(function (o) {
    return Status.isDone(o.status) && now - new Date(o.updatedAt).getTime() < RECALL_MS;
  }).sort(function (a, b) { return a.updatedAt < b.updatedAt ? 1 : -1; }).slice(0, 12).forEach(function (o) {
    var canRecall = o.status !== Status.cancelled || !!o.cancelledFrom;
    box.appendChild(el("li", { dataset: { orderId: o.orderId, status: o.status } }, [
      el("span", { className: "label", text: "#" + o.dailyNum + " " + o.status.toLowerCase() + " " + Cafe.clock(o.updatedAt) }),
      canRecall ? el("button", {
        type: "button",
        className: "btn",
        text: "Recall",
        "aria-label": "Recall order #" + o.dailyNum,
        onclick: function () {
          recall(o).then(function (data) { recovered(); upsert(data); }, fail);
        },
      }) : null,
    ]));
  });
  if (!box.firstChild) box.appendChild(el("li", { className: "muted", text: "Nothing to recall" }));
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
    node.querySelector(".timer").textContent = Cafe.elapsed(node.dataset.since, now);
    node.classList.toggle("late", running && age >= late);
    node.classList.toggle("warn", running && age >= warn && age < late);
    if (node.classList.contains("fresh") && !(arrived[node.dataset.orderId] && now - arrived[node.dataset.orderId] < FRESH_MS)) {
      node.classList.remove("fresh");
    }
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
  api("PATCH", url(order, "status/"), { status: status })
    .then(function (data) { recovered(); upsert(data); }, fail);
}

// -- drawer ----------------------------------------------------------------

var drawer = $("drawer");
var opener = null;
function openPanel(id, from) {
  var already = !drawer.hidden && !$(id).hidden;
  closeDrawer(!already);
  if (already) return;
  opener = from;
  drawer.querySelectorAll(".panel").forEach(function (p) { p.hidden = p.id !== id; });
  $("drawer-title").textContent = from.textContent;
  drawer.hidden = false;
  from.setAttribute("aria-expanded", "true");
  $("drawer-close").focus();
}
function closeDrawer(keepFocus) {
  var was = opener;
  drawer.hidden = true;
  document.querySelectorAll("[data-panel]").forEach(function (b) { b.setAttribute("aria-expanded", "false"); });
  opener = null;
  if (was && !keepFocus) was.focus();
}
document.querySelectorAll("[data-panel]").forEach(function (b) {
  b.addEventListener("click", function () { openPanel(b.dataset.panel, b); });
});
$("drawer-close").addEventListener("click", function () { closeDrawer(false); });
document.addEventListener("keydown", function (e) {
  if (e.key === "Escape" && !drawer.hidden) closeDrawer(false);
});

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

function toggleRow(label, soldOut, path, data) {
  return el("li", { className: soldOut ? "sold-out" : "", dataset: data }, [
    el("span", { className: "label", text: label }),
    el("button", {
      type: "button",
      className: "btn" + (soldOut ? " danger" : ""),
      "aria-pressed": soldOut ? "true" : "false",
      "aria-label": label + ": sold out",
      text: soldOut ? "Sold out" : "Available",
      onclick: function () { api("PATCH", path, { isSoldOut: !soldOut }).then(recovered, fail); },
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
  api("GET", "/api/settings/").then(function (s) { settings = s; tick(); }, function () {});
  loadMenu().then(null, function () {});
  return held.read(api("GET", "/api/orders/").then(function (list) {
    orders = {};
    list.forEach(function (o) { orders[o.orderId] = o; });
    recovered();
    render();
  })).then(null, fail);
}

$("sound-prompt").addEventListener("click", function () {
  var ok = Cafe.sound.enable();
  $("sound-prompt").textContent = ok ? "Chime is on" : "Sound is not available here";
  $("sound-prompt").disabled = true;
  if (ok) Cafe.sound.beep([660, 880]);
});

// The kiosk room carries settings changes (timer thresholds) to everyone.
// Order events that arrive while the board is read are applied after the read.
var held = Cafe.holdDuring();
var socket = Cafe.connect([{ type: "kitchen" }, { type: "kiosk" }], load);
socket.on("state", function (state) { if (state === "live") recovered(); });
socket.on("settings:changed", function (data) {
  // Values come as strings ("8"), as the original app sends them.
  if (/_minutes$/.test(data.key)) settings[data.key] = Cafe.minutes(data.value);
  tick();
});
socket.on("order:created", held.wrap(function (data) {
  var known = !!orders[data.orderId];
  if (!known) {
    arrived[data.orderId] = Date.now();
    data.businessDay = data.businessDay || today();
  }
  upsert(data);
  if (known) return;
  // The newest ticket is on top of its column: bring it into view.
  var column = document.querySelector(".column[data-column='" + data.status + "'] .tickets");
  if (column) column.scrollTop = 0;
  Cafe.sound.beep([988, 1319]);
  Cafe.toast("New order: #" + data.dailyNum);
}));
socket.on("order:status_changed", held.wrap(function (data) {
  if (!orders[data.orderId] || data.previousStatus === Status.cancelled) {
    // Unknown here, or recalled: read it whole (readyAt, cancelledFrom).
    api("GET", url(data, "")).then(upsert, function () {});
    return;
  }
  var change = { orderId: data.orderId, status: data.status, updatedAt: data.updatedAt };
  // The Ready timer starts at the status change.
  if (Status.awaitingPickup(data.status)) change.readyAt = data.updatedAt;
  upsert(change);
}));
socket.on("order:cancelled", held.wrap(function (data) {
  Cafe.toast("Order #" + data.dailyNum + " was cancelled", "error");
  delete cancelling[data.orderId];
  if (orders[data.orderId]) {
    var from = orders[data.orderId].status;
    upsert({ orderId: data.orderId, status: Status.cancelled, cancelReason: data.reason, cancelledFrom: from, updatedAt: data.cancelledAt });
  }
}));
socket.on("menu:sold_out_changed", function (data) {
  menu.items.forEach(function (item) { if (item.id === data.menuId) item.isSoldOut = data.isSoldOut; });
  renderSoldOut();
});
socket.on("option:sold_out_changed", function (data) {
  if (menu.options[data.optionId]) menu.options[data.optionId].isSoldOut = data.isSoldOut;
  renderSoldOut();
});
load();
