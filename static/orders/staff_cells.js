/* Staff: cell balances, charging, PINs, and the ledger, kept live. */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";

var MAX_CHARGE = 10000000;
var $ = function (id) { return document.getElementById(id); };
var selected = null;
var cellsById = {};
var status = $("staff-status");

/* What is wrong with a charge amount, in words; "" when it is fine. */
function amountProblem(input) {
  var text = input.value.trim();
  if (input.validity && input.validity.badInput) return "Points are a whole number, like 5000.";
  if (text === "") return "Enter the points to add.";
  if (!/^-?[0-9]+$/.test(text)) return "Points are a whole number, like 5000.";
  var amount = Number(text);
  if (amount < 1) return "Points to add must be at least 1 (a charge cannot take points).";
  if (amount > MAX_CHARGE) return "At most 10,000,000 points can be added at a time.";
  return "";
}

function fieldError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

function pinText(cell) { return cell.hasPin ? "Set" : "None"; }

function loadCells() {
  return api("GET", "/api/cells/").then(function (cells) {
    var body = clear($("cells-body"));
    var pinCell = $("pin-cell").value;
    var picker = clear($("pin-cell"));
    cellsById = {};
    cells.forEach(function (cell) {
      cellsById[cell.id] = cell;
      picker.appendChild(el("option", { value: String(cell.id), text: cell.name }));
      var errorId = "charge-error-" + cell.id;
      var amount = el("input", {
        type: "number", min: "1", max: String(MAX_CHARGE), step: "1", inputmode: "numeric",
        placeholder: "Points", "aria-label": "Points to add to " + cell.name, "aria-describedby": errorId,
      });
      var error = el("p", { id: errorId, className: "field-error", role: "alert", hidden: true });
      var form = el("form", { className: "inline-form", novalidate: true }, [amount, el("button", { className: "btn primary", text: "Charge" })]);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var problem = amountProblem(amount);
        fieldError(error, problem);
        amount.setAttribute("aria-invalid", problem ? "true" : "false");
        if (problem) { amount.focus(); return; }
        api("POST", "/api/cells/" + cell.id + "/charge/", { amount: Number(amount.value.trim()) })
          .then(function (answer) {
            amount.value = "";
            Cafe.flash(status, "Charged " + cell.name + ": balance " + Cafe.won(answer.balance), "info");
          }, function (err) {
            fieldError(error, err.message);
            amount.setAttribute("aria-invalid", "true");
            Cafe.flash(status, cell.name + ": " + err.message, "error");
          });
      });
      body.appendChild(el("tr", { dataset: { cellId: String(cell.id) } }, [
        el("td", { text: cell.name + (cell.isActive ? "" : " (inactive)") }),
        el("td", { className: "num balance", text: Cafe.won(cell.balance) }),
        el("td", { className: "pin", text: pinText(cell) }),
        el("td", {}, [form, error]),
        el("td", {}, [el("button", { type: "button", className: "btn", text: "Ledger", "aria-label": "Ledger of " + cell.name, onclick: function () {
          selected = cell;
          loadLedger();
        } })]),
      ]));
    });
    if (pinCell && cellsById[pinCell]) picker.value = pinCell;
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

// -- PINs ----------------------------------------------------------------------

function paintPin(cellId, hasPin) {
  if (cellsById[cellId]) cellsById[cellId].hasPin = hasPin;
  var cellNode = document.querySelector('tr[data-cell-id="' + cellId + '"] .pin');
  if (cellNode) cellNode.textContent = hasPin ? "Set" : "None";
}

function savePin(pin) {
  var cellId = $("pin-cell").value;
  var cell = cellsById[cellId];
  if (!cell) { fieldError($("pin-error"), "Choose a cell."); return; }
  if (pin !== null && !/^[0-9]{4,8}$/.test(pin)) {
    fieldError($("pin-error"), pin === "" ? "Enter a PIN of 4 to 8 digits." : "A PIN is 4 to 8 digits (0-9).");
    $("pin-value").setAttribute("aria-invalid", "true");
    $("pin-value").focus();
    return;
  }
  fieldError($("pin-error"), "");
  $("pin-value").setAttribute("aria-invalid", "false");
  api("PATCH", "/api/cells/" + cell.id + "/", { pin: pin }).then(function (answer) {
    $("pin-value").value = "";
    paintPin(answer.id, answer.hasPin);
    Cafe.flash(status, answer.hasPin ? "PIN set for " + answer.name : "PIN removed for " + answer.name, "info");
  }, function (err) {
    fieldError($("pin-error"), err.message);
    Cafe.flash(status, cell.name + ": " + err.message, "error");
  });
}

$("pin-form").addEventListener("submit", function (e) {
  e.preventDefault();
  savePin($("pin-value").value);
});
$("pin-remove").addEventListener("click", function () { savePin(null); });

function load() { loadCells(); loadLedger(); }

var socket = Cafe.connect([{ type: "admin" }], load);
socket.on("cell:balance_changed", function (data) {
  var cell = document.querySelector('tr[data-cell-id="' + data.cellId + '"] .balance');
  if (cell) cell.textContent = Cafe.won(data.balanceAfter);
  else loadCells();
  if (selected && selected.id === data.cellId) loadLedger();
});
socket.on("cell:pin_changed", function (data) { paintPin(data.cellId, data.hasPin); });
loadCells();
