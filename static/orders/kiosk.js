/* Kiosk: menu by category, options, cart, payment, confirmation with live status. */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";
import * as Status from "./statuses.js";

var RESET_AFTER_MS = 90 * 1000;
var cells = JSON.parse(document.getElementById("cells-data").textContent);
var state = {
  menu: {},        // menuId -> item
  options: {},     // optionId -> option
  cart: [],        // {key, item, options:[option], quantity}
  payType: "CARD",
  sheet: null,     // {item, quantity}
  placed: null,    // the order just placed
  active: true,
};
var $ = function (id) { return document.getElementById(id); };
var statusLine = $("kiosk-status");

// -- menu ------------------------------------------------------------------

function renderMenu(catalogue) {
  state.menu = {};
  state.options = {};
  var root = clear($("menu"));
  catalogue.categories.forEach(function (category) {
    var grid = el("div", { className: "menu-grid" });
    category.items.forEach(function (item) {
      state.menu[item.id] = item;
      item.optionGroups.forEach(function (g) {
        g.options.forEach(function (o) { o.groupName = g.name; state.options[o.id] = o; });
      });
      var card = el("button", {
        type: "button",
        className: "menu-item",
        dataset: { menuId: String(item.id) },
        onclick: function () { openSheet(item.id); },
      }, [
        item.imageUrl ? el("img", { src: item.imageUrl, alt: "" }) : null,
        el("span", { className: "name", text: item.name }),
        el("span", { className: "price", text: Cafe.won(item.price) }),
        el("span", { className: "badge soldout", text: "Sold out" }),
      ]);
      grid.appendChild(card);
      paintItem(item.id, card);
    });
    root.appendChild(el("section", { className: "kiosk-cat" }, [el("h2", { text: category.name }), grid]));
  });
}

function paintItem(menuId, card) {
  var item = state.menu[menuId];
  card = card || document.querySelector('.menu-item[data-menu-id="' + menuId + '"]');
  if (!item || !card) return;
  card.classList.toggle("sold-out", !!item.isSoldOut);
  card.setAttribute("aria-disabled", item.isSoldOut ? "true" : "false");
  card.querySelector(".badge").hidden = !item.isSoldOut;
}

function loadMenu() {
  return api("GET", "/api/menus/").then(renderMenu);
}

function loadSettings() {
  return api("GET", "/api/settings/").then(function (s) {
    setActive(s.is_kiosk_active, s.kiosk_message);
  });
}

/* `active`: true/false from REST, "true"/"false" from `settings:changed`. */
function setActive(active, message) {
  state.active = !Cafe.isOff(active);
  $("maintenance").hidden = state.active;
  if (!state.active) closeSheet();
  if (message !== undefined) $("maintenance-message").textContent = message;
}

// -- item sheet ------------------------------------------------------------

function openSheet(menuId) {
  var item = state.menu[menuId];
  if (!item || item.isSoldOut) return;
  state.sheet = { item: item, quantity: 1 };
  $("sheet-title").textContent = item.name;
  $("sheet-desc").textContent = item.description || "";
  var form = clear($("sheet-form"));
  item.optionGroups.forEach(function (group) {
    var fieldset = el("fieldset", { className: "opt-group" }, [el("legend", { text: group.name + (group.required ? "" : " (optional)") })]);
    var firstFree = true;
    group.options.forEach(function (option) {
      var input = el("input", {
        type: group.multiple || !group.required ? "checkbox" : "radio",
        name: "group-" + group.id,
        value: String(option.id),
        disabled: option.isSoldOut,
        dataset: { optionId: String(option.id), groupId: String(group.id), single: group.multiple ? "" : "1" },
      });
      if (group.required && !option.isSoldOut && firstFree) { input.checked = true; firstFree = false; }
      input.addEventListener("change", function () {
        // A single-choice optional group behaves like a radio that can be cleared.
        if (input.checked && input.type === "checkbox" && input.dataset.single) {
          form.querySelectorAll('input[name="group-' + group.id + '"]').forEach(function (other) {
            if (other !== input) other.checked = false;
          });
        }
        sheetPrice();
      });
      var label = el("label", { className: option.isSoldOut ? "sold-out" : "" }, [
        input,
        el("span", { text: option.name }),
        el("span", { className: "muted", text: option.priceDelta ? "+" + Cafe.won(option.priceDelta) : "" }),
        option.isSoldOut ? el("span", { className: "badge soldout", text: "Sold out" }) : null,
      ]);
      fieldset.appendChild(label);
    });
    form.appendChild(fieldset);
  });
  $("sheet-qty").textContent = "1";
  sheetPrice();
  $("item-sheet").hidden = false;
  $("sheet-add").focus();
}

function sheetOptions() {
  var chosen = [];
  $("sheet-form").querySelectorAll("input:checked").forEach(function (input) {
    chosen.push(state.options[input.dataset.optionId]);
  });
  return chosen;
}

function unitPrice(item, options) {
  return options.reduce(function (sum, o) { return sum + o.priceDelta; }, item.price);
}

function sheetPrice() {
  var s = state.sheet;
  if (!s) return;
  $("sheet-price").textContent = Cafe.won(unitPrice(s.item, sheetOptions()) * s.quantity);
}

function closeSheet() {
  state.sheet = null;
  $("item-sheet").hidden = true;
}

$("sheet-minus").addEventListener("click", function () {
  if (state.sheet && state.sheet.quantity > 1) state.sheet.quantity -= 1;
  $("sheet-qty").textContent = String(state.sheet.quantity);
  sheetPrice();
});
$("sheet-plus").addEventListener("click", function () {
  if (state.sheet && state.sheet.quantity < 20) state.sheet.quantity += 1;
  $("sheet-qty").textContent = String(state.sheet.quantity);
  sheetPrice();
});
$("sheet-cancel").addEventListener("click", closeSheet);
$("item-sheet").addEventListener("click", function (e) { if (e.target === $("item-sheet")) closeSheet(); });
$("sheet-add").addEventListener("click", function () {
  var s = state.sheet;
  if (!s) return;
  var options = sheetOptions();
  var key = s.item.id + ":" + options.map(function (o) { return o.id; }).sort().join(",");
  var line = state.cart.filter(function (l) { return l.key === key; })[0];
  if (line) line.quantity = Math.min(50, line.quantity + s.quantity);
  else state.cart.push({ key: key, item: s.item, options: options, quantity: s.quantity });
  closeSheet();
  renderCart();
});

// -- cart ------------------------------------------------------------------

function renderCart() {
  var list = clear($("cart-lines"));
  var total = 0;
  state.cart.forEach(function (line, index) {
    var item = state.menu[line.item.id] || line.item;
    var price = unitPrice(item, line.options) * line.quantity;
    total += price;
    var soldOut = item.isSoldOut || line.options.some(function (o) { return state.options[o.id] && state.options[o.id].isSoldOut; });
    list.appendChild(el("li", { className: "cart-line" }, [
      el("div", {}, [
        el("div", { text: item.name }),
        el("div", { className: "opts", text: Cafe.optionText(line.options) }),
        soldOut ? el("span", { className: "badge soldout", text: "Sold out" }) : null,
      ]),
      el("div", { style: "text-align:right" }, [
        el("div", { text: Cafe.won(price) }),
        el("span", { className: "qty" }, [
          el("button", { type: "button", className: "btn", "aria-label": "Less", text: "−", onclick: function () {
            line.quantity -= 1;
            if (line.quantity < 1) state.cart.splice(index, 1);
            renderCart();
          } }),
          el("strong", { text: String(line.quantity) }),
          el("button", { type: "button", className: "btn", "aria-label": "More", text: "+", onclick: function () {
            line.quantity = Math.min(50, line.quantity + 1);
            renderCart();
          } }),
        ]),
      ]),
    ]));
  });
  $("cart-empty").hidden = state.cart.length > 0;
  $("cart-total").textContent = Cafe.won(total);
  $("place-order").disabled = state.cart.length === 0;
}

document.querySelectorAll("[data-pay]").forEach(function (button) {
  button.addEventListener("click", function () {
    state.payType = button.dataset.pay;
    document.querySelectorAll("[data-pay]").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    $("cell-picker").hidden = state.payType !== "CELL";
  });
});
cells.forEach(function (cell) {
  $("cell-select").appendChild(el("option", { value: String(cell.id), text: cell.name }));
});
if (!cells.length) document.querySelector('[data-pay="CELL"]').hidden = true;

$("place-order").addEventListener("click", function () {
  var button = $("place-order");
  button.disabled = true;
  Cafe.flash(statusLine, "");
  var body = {
    items: state.cart.map(function (line) {
      return { menuId: line.item.id, quantity: line.quantity, options: line.options.map(function (o) { return o.id; }) };
    }),
    payType: state.payType,
  };
  if (state.payType === "CELL") body.cellId = parseInt($("cell-select").value, 10);
  api("POST", "/api/orders/", body).then(function (order) {
    showConfirmation(order);
  }, function (err) {
    if (err.code === "KIOSK_INACTIVE") {
      setActive(false, err.message);
    }
    Cafe.flash(statusLine, err.message || "Could not place the order", "error");
    button.disabled = false;
  });
});

// -- confirmation ------------------------------------------------------------

function showConfirmation(order) {
  state.placed = order;
  state.cart = [];
  renderCart();
  $("order-screen").hidden = true;
  $("confirm-screen").hidden = false;
  $("order-number").textContent = String(order.dailyNum);
  $("confirm-status").textContent = order.status;
  $("confirm-link").setAttribute("href", "/orders/" + encodeURIComponent(order.orderId) + "/");
  socket.join("order", { orderId: order.orderId });
  // Back to the menu for the next customer after a while.
  clearTimeout(state.resetTimer);
  state.resetTimer = setTimeout(newOrder, RESET_AFTER_MS);
}

function orderEvent(data) {
  if (!state.placed || data.orderId !== state.placed.orderId) return false;
  $("confirm-status").textContent = data.status || Status.cancelled;
  return true;
}

function newOrder() {
  clearTimeout(state.resetTimer);
  if (state.placed) socket.leave("order", { orderId: state.placed.orderId });
  state.placed = null;
  $("confirm-screen").hidden = true;
  $("order-screen").hidden = false;
}
$("new-order").addEventListener("click", newOrder);

// -- live ----------------------------------------------------------------------

var socket = Cafe.connect([{ type: "kiosk" }], function () {
  loadMenu().then(renderCart);
  loadSettings();
});
socket.on("menu:sold_out_changed", function (data) {
  var item = state.menu[data.menuId];
  if (!item) return;
  if (data.isSoldOut && !item.isSoldOut) Cafe.toast(data.menuName + " is sold out", "warning");
  item.isSoldOut = data.isSoldOut;
  paintItem(data.menuId);
  renderCart();
  if (state.sheet && state.sheet.item.id === data.menuId && data.isSoldOut) closeSheet();
});
socket.on("option:sold_out_changed", function (data) {
  if (!state.options[data.optionId]) return;
  // Each item carries its own copy of a shared option: update them all.
  Object.keys(state.menu).forEach(function (id) {
    state.menu[id].optionGroups.forEach(function (g) {
      g.options.forEach(function (o) { if (o.id === data.optionId) o.isSoldOut = data.isSoldOut; });
    });
  });
  state.options[data.optionId].isSoldOut = data.isSoldOut;
  renderCart();
  if (state.sheet) openSheet(state.sheet.item.id);
});
socket.on("settings:changed", function (data) {
  if (data.key === "is_kiosk_active") setActive(data.value);
  if (data.key === "kiosk_message") $("maintenance-message").textContent = data.value;
});
socket.on("order:status_changed", orderEvent);
socket.on("order:cancelled", function (data) {
  if (orderEvent(data)) Cafe.toast("Order #" + data.dailyNum + " was cancelled", "error");
});
// Until the socket is up, show the menu from REST.
loadMenu().then(renderCart);
loadSettings();
