/* Staff: the orders of a business day, filtered by status, kept live. */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";
import * as Status from "./statuses.js";

var $ = function (id) { return document.getElementById(id); };
var pending = null;

function row(o) {
  var actions = [];
  if (Status.inProgress(o.status)) {
    actions.push(el("button", { type: "button", className: "btn", text: "Cancel", onclick: function () {
      var reason = el("input", { type: "text", placeholder: "Reason", maxlength: "200", "aria-label": "Reason" });
      var form = el("form", { className: "inline-form" }, [reason, el("button", { className: "btn danger", text: "Confirm" })]);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        api("POST", "/api/orders/" + encodeURIComponent(o.orderId) + "/cancel/", { reason: reason.value })
          .then(load, function (err) { Cafe.flash($("staff-status"), err.message, "error"); });
      });
      this.replaceWith(form);
      reason.focus();
    } }));
  }
  return el("tr", { dataset: { orderId: o.orderId, status: o.status } }, [
    el("td", { className: "num", text: "#" + o.dailyNum }),
    el("td", { text: Cafe.clock(o.createdAt) }),
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
    var body = clear($("orders-body"));
    var total = 0;
    list.forEach(function (o) {
      body.appendChild(row(o));
      if (o.status !== Status.cancelled) total += o.totalAmount;
    });
    $("orders-summary").textContent = list.length + " orders · " + Cafe.won(total);
  }, function (err) { Cafe.flash($("staff-status"), err.message, "error"); });
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
