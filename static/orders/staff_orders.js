/* Staff: the orders of a business day, filtered by status, kept live. */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";
import * as Status from "./statuses.js";

var $ = function (id) { return document.getElementById(id); };
var pending = null;
$("zone-name").textContent = Cafe.zoneName();
// After the 04:00 rollover the page follows the new business day.
var today = Cafe.showBusinessDay($("business-day"), function (day) {
  $("filter-day").value = day;
  load();
});

function problem(err) { Cafe.flash($("staff-status"), Cafe.problem(err), "error"); }

function url(o, tail) { return "/api/orders/" + encodeURIComponent(o.orderId) + "/" + tail; }

/*
 * Cancel asks for a reason, then confirms: the order is refunded and the
 * customer told. The table is rebuilt on every order event: an open form and
 * what was typed in it stay (`editing`).
 */
var editing = {}; // orderId -> the reason typed so far

function cancelForm(o) {
  var reason = el("input", { type: "text", placeholder: "Reason (the customer sees it)", maxlength: "200", required: true, "aria-label": "Reason", id: "reason-" + o.orderId });
  reason.value = editing[o.orderId] || "";
  reason.addEventListener("input", function () { editing[o.orderId] = reason.value; });
  var hint = el("span", { className: "form-hint", role: "alert" });
  var keep = el("button", { type: "button", className: "btn", text: "Keep" });
  var form = el("form", { className: "inline-form", novalidate: true }, [reason, el("button", { className: "btn danger", text: "Confirm cancel" }), keep, hint]);
  keep.addEventListener("click", function () {
    delete editing[o.orderId];
    var button = cancelButton(o);
    form.replaceWith(button);
    button.focus();
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = Cafe.cancelReason(reason, hint, "Say why it is cancelled.");
    if (!text) return;
    api("POST", url(o, "cancel/"), { reason: text }).then(function () {
      delete editing[o.orderId];
      return load();
    }, problem);
  });
  return form;
}

function cancelButton(o) {
  return el("button", { type: "button", className: "btn", dataset: { action: "cancel" }, text: "Cancel", onclick: function () {
    editing[o.orderId] = "";
    var form = cancelForm(o);
    this.replaceWith(form);
    form.querySelector("input").focus();
  } });
}

function row(o) {
  var actions = [];
  if (Status.inProgress(o.status)) actions.push(o.orderId in editing ? cancelForm(o) : cancelButton(o));
  if (o.status === Status.cancelled && o.cancelledFrom) {
    actions.push(el("button", { type: "button", className: "btn", dataset: { action: "recall" }, text: "Recall", onclick: function () {
      api("PATCH", url(o, "status/"), { status: o.cancelledFrom }).then(load, problem);
    } }));
  }
  // An order still open from an earlier business day (before the 04:00 rollover).
  var earlier = Status.open.indexOf(o.status) !== -1 && o.businessDay && o.businessDay < today();
  return el("tr", { dataset: { orderId: o.orderId, status: o.status } }, [
    el("td", { className: "num", text: "#" + o.dailyNum }),
    el("td", {}, [
      el("time", { datetime: o.createdAt, text: Cafe.clock(o.createdAt) }),
      earlier ? el("div", { className: "earlier-tag", text: "From " + Cafe.dayLabel(o.businessDay) }) : null,
    ]),
    el("td", {}, o.items.map(function (i) {
      return el("div", { text: i.quantity + " × " + i.menuName + (i.options.length ? " (" + Cafe.optionText(i.options) + ")" : "") });
    })),
    el("td", { text: o.payType + (o.cellInfo ? " · " + o.cellInfo.name : "") }),
    el("td", { className: "num", text: Cafe.won(o.totalAmount) }),
    el("td", {}, [el("span", { className: "badge", text: o.status }), o.cancelReason ? el("div", { className: "muted", text: o.cancelReason }) : null]),
    el("td", {}, actions),
  ]);
}

function load() {
  var url = "/api/orders/?date=" + encodeURIComponent($("filter-day").value || "");
  var status = $("filter-status").value;
  if (status) url += "&status=" + encodeURIComponent(status);
  return api("GET", url).then(function (list) {
    var focused = document.activeElement && document.activeElement.id;
    var body = clear($("orders-body"));
    var total = 0;
    list.forEach(function (o) {
      body.appendChild(row(o));
      if (o.status !== Status.cancelled) total += o.totalAmount;
    });
    $("orders-summary").textContent = list.length + " orders · " + Cafe.won(total);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    Cafe.flash($("staff-status"), "");
  }, problem);
}

function soon() {
  clearTimeout(pending);
  pending = setTimeout(load, 150);
}

$("filter-day").addEventListener("change", load);
$("filter-status").addEventListener("change", load);
var socket = Cafe.connect([{ type: "admin" }], load);
["order:created", "order:status_changed", "order:cancelled"].forEach(function (event) {
  socket.on(event, soon);
});
load();
