/* Staff: cell balances, charging, and the ledger, kept live. */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";

var $ = function (id) { return document.getElementById(id); };
var selected = null;
var status = $("staff-status");

function loadCells() {
  return api("GET", "/api/cells/").then(function (cells) {
    var body = clear($("cells-body"));
    cells.forEach(function (cell) {
      var amount = el("input", { type: "number", min: "1", step: "1", placeholder: "Points", "aria-label": "Points to add" });
      var form = el("form", { className: "inline-form" }, [amount, el("button", { className: "btn primary", text: "Charge" })]);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        api("POST", "/api/cells/" + cell.id + "/charge/", { amount: parseInt(amount.value, 10) })
          .then(function () { amount.value = ""; Cafe.flash(status, "Charged " + cell.name, "info"); },
                function (err) { Cafe.flash(status, err.message, "error"); });
      });
      body.appendChild(el("tr", { dataset: { cellId: String(cell.id) } }, [
        el("td", { text: cell.name + (cell.isActive ? "" : " (inactive)") }),
        el("td", { className: "num balance", text: Cafe.won(cell.balance) }),
        el("td", {}, [form]),
        el("td", {}, [el("button", { type: "button", className: "btn", text: "Ledger", onclick: function () {
          selected = cell;
          loadLedger();
        } })]),
      ]));
    });
    if (!selected && cells.length) { selected = cells[0]; loadLedger(); }
  });
}

function loadLedger() {
  if (!selected) return;
  $("ledger-cell").textContent = selected.name;
  api("GET", "/api/cells/" + selected.id + "/ledger/").then(function (entries) {
    var body = clear($("ledger-body"));
    entries.forEach(function (e) {
      body.appendChild(el("tr", {}, [
        el("td", { text: new Date(e.createdAt).toLocaleString() }),
        el("td", { text: e.type }),
        el("td", { className: "num", text: (e.amount > 0 ? "+" : "") + e.amount.toLocaleString("en-US") }),
        el("td", { className: "num", text: Cafe.won(e.balanceBefore) }),
        el("td", { className: "num", text: Cafe.won(e.balanceAfter) }),
        el("td", { text: e.dailyNum ? "#" + e.dailyNum : "" }),
        el("td", { text: e.actor ? e.actor.name : (e.note || "") }),
      ]));
    });
  });
}

function load() { loadCells(); loadLedger(); }

var socket = Cafe.connect([{ type: "admin" }], load);
socket.on("cell:balance_changed", function (data) {
  var cell = document.querySelector('tr[data-cell-id="' + data.cellId + '"] .balance');
  if (cell) cell.textContent = Cafe.won(data.balanceAfter);
  else loadCells();
  if (selected && selected.id === data.cellId) loadLedger();
});
loadCells();
