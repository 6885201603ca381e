/*
 * Kiosk: menu by category, options, cart, payment, confirmation with live status.
 *
 * Kiosk or phone. The same page serves the cafe's kiosk and a customer's own
 * phone. Only a kiosk goes back to the menu 90 s after an order (for the next
 * customer); a phone goes to the order's own page (/orders/<id>/) and stays
 * there. Which one it is, first match wins:
 *   1. `?mode=kiosk` or `?mode=phone` in the address;
 *   2. a browser paired as a Kiosk device (/pair/, its screen token kept in
 *      this browser): a kiosk;
 *   3. the screen: a phone when its shorter side is under 600 CSS px, else a
 *      kiosk (the cafe's tablet works without pairing).
 */
import { api, clear, el, cookie } from "../realtime/helpers.js";
import * as Cafe from "./common.js";
import * as Status from "./statuses.js";

var RESET_AFTER_MS = 90 * 1000;
// A kiosk forgets a cell's PIN (and hides its balance) after this long untouched.
var PIN_IDLE_MS = 60 * 1000;
var PHONE_MAX_SIDE = 600;
var TOKEN_STORE = "tidings.screenToken";
var cells = JSON.parse(document.getElementById("cells-data").textContent);
var state = {
  menu: {},        // menuId -> item
  options: {},     // optionId -> option (shared options: one entry, kept in step)
  cart: [],        // {key, item, options:[option], quantity}
  payType: "CARD",
  sheet: null,     // {item, quantity, opener}
  placed: null,    // the order just placed
  active: true,
  kiosk: null,     // true on a kiosk, false on a phone (decided at start)
  deviceToken: "", // a paired kiosk's screen token: wrong PINs count per device
  cell: null,      // {id, name, needsPin, pin, balance}: the chosen cell
  shownTotal: 0,   // the total the customer sees (sent as expectedTotal)
};
var $ = function (id) { return document.getElementById(id); };
var statusLine = $("kiosk-status");

// -- kiosk or phone ----------------------------------------------------------

function bySize() {
  var side = Math.min(window.screen.width || window.innerWidth, window.screen.height || window.innerHeight);
  return side >= PHONE_MAX_SIDE;
}

function storedToken() {
  try { return window.localStorage.getItem(TOKEN_STORE) || ""; } catch (e) { return ""; }
}

function decideMode() {
  var asked = new URLSearchParams(window.location.search).get("mode");
  var token = storedToken();
  var decided;
  if (!token) decided = Promise.resolve(asked ? asked === "kiosk" : bySize());
  else {
    decided = fetch("/api/devices/me/", { headers: { Accept: "application/json", Authorization: "Bearer " + token } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (body) {
        var paired = !!(body && body.device && body.device.role === "kiosk");
        if (paired) state.deviceToken = token;
        if (asked) return asked === "kiosk";
        return paired || bySize();
      }, function () { return asked ? asked === "kiosk" : bySize(); });
  }
  return decided.then(function (isKiosk) {
    state.kiosk = isKiosk;
    document.body.dataset.mode = isKiosk ? "kiosk" : "phone";
  });
}
var modeReady = decideMode();

/* POST as a paired kiosk when there is one (wrong PINs count per device). */
function post(url, body) {
  if (!state.deviceToken) return api("POST", url, body);
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      "Content-Type": "application/json",
      "X-CSRFToken": cookie("csrftoken"),
      Authorization: "Bearer " + state.deviceToken,
    },
    body: JSON.stringify(body),
  }).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (res.status === 401) {
        // Revoked since: carry on as an unpaired page.
        state.deviceToken = "";
        return api("POST", url, body);
      }
      if (!res.ok) {
        var err = data && data.code ? data : { code: "HTTP_" + res.status, message: "Request failed (" + res.status + ")" };
        err.status = res.status;
        throw err;
      }
      return data;
    });
  });
}

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
        onclick: function () { openSheet(item.id, card); },
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

function card(menuId) {
  return document.querySelector('.menu-item[data-menu-id="' + menuId + '"]');
}

function paintItem(menuId, node) {
  var item = state.menu[menuId];
  node = node || card(menuId);
  if (!item || !node) return;
  node.classList.toggle("sold-out", !!item.isSoldOut);
  node.setAttribute("aria-disabled", item.isSoldOut ? "true" : "false");
  node.querySelector(".badge").hidden = !item.isSoldOut;
  node.querySelector(".price").textContent = Cafe.won(item.price);
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

// -- item sheet (a modal dialog) ---------------------------------------------

function openSheet(menuId, opener) {
  var item = state.menu[menuId];
  if (!item || item.isSoldOut) return;
  var reopening = state.sheet && state.sheet.item.id === menuId;
  var quantity = reopening ? state.sheet.quantity : 1;
  var chosen = reopening ? sheetOptions().map(function (o) { return o.id; }) : null;
  state.sheet = { item: item, quantity: quantity, opener: reopening ? state.sheet.opener : (opener || card(menuId)) };
  $("sheet-title").textContent = item.name;
  $("sheet-desc").textContent = item.description || "";
  $("sheet-base").textContent = Cafe.won(item.price);
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
      if (chosen) input.checked = chosen.indexOf(option.id) !== -1 && !option.isSoldOut;
      else if (group.required && !option.isSoldOut && firstFree) { input.checked = true; firstFree = false; }
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
  $("sheet-qty").textContent = String(quantity);
  sheetPrice();
  if (!reopening) {
    $("item-sheet").hidden = false;
    $("order-screen").setAttribute("inert", "");
    $("sheet-add").focus();
  }
}

function sheetOptions() {
  var chosen = [];
  $("sheet-form").querySelectorAll("input:checked").forEach(function (input) {
    chosen.push(state.options[input.dataset.optionId]);
  });
  return chosen;
}

function unitPrice(item, options) {
  return options.reduce(function (sum, o) {
    var now = state.options[o.id];
    return sum + (now ? now.priceDelta : o.priceDelta);
  }, item.price);
}

function sheetPrice() {
  var s = state.sheet;
  if (!s) return;
  $("sheet-price").textContent = Cafe.won(unitPrice(s.item, sheetOptions()) * s.quantity);
}

/* Close the sheet; focus goes back to what opened it (or the cart). */
function closeSheet() {
  var s = state.sheet;
  state.sheet = null;
  if ($("item-sheet").hidden) return;
  $("item-sheet").hidden = true;
  $("order-screen").removeAttribute("inert");
  var back = s && s.opener && document.body.contains(s.opener) ? s.opener : (s && card(s.item.id));
  if (back && !back.closest("[hidden]")) back.focus();
}

function focusables() {
  return Array.prototype.filter.call(
    $("item-sheet").querySelectorAll("button, input, select, textarea, a[href], [tabindex]:not([tabindex='-1'])"),
    function (node) { return !node.disabled && node.offsetParent !== null; }
  );
}

$("item-sheet").addEventListener("keydown", function (e) {
  if (e.key === "Escape") {
    e.preventDefault();
    closeSheet();
    return;
  }
  if (e.key !== "Tab") return;
  var list = focusables();
  if (!list.length) return;
  var first = list[0], last = list[list.length - 1];
  if (e.shiftKey && (document.activeElement === first || !$("item-sheet").contains(document.activeElement))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (document.activeElement === last || !$("item-sheet").contains(document.activeElement))) {
    e.preventDefault();
    first.focus();
  }
});
/* Focus that leaves the open sheet (a click outside, a screen reader) comes back to it. */
document.addEventListener("focusin", function (e) {
  if (!state.sheet || $("item-sheet").hidden || $("item-sheet").contains(e.target)) return;
  $("sheet-add").focus();
});

$("sheet-minus").addEventListener("click", function () {
  if (!state.sheet) return;
  if (state.sheet.quantity > 1) state.sheet.quantity -= 1;
  $("sheet-qty").textContent = String(state.sheet.quantity);
  sheetPrice();
});
$("sheet-plus").addEventListener("click", function () {
  if (!state.sheet) return;
  if (state.sheet.quantity < 20) state.sheet.quantity += 1;
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
  added(s.item, s.quantity);
});

/* Feedback for "Add": the cart bar (phones: the cart is below the menu) and a toast. */
function added(item, quantity) {
  var count = state.cart.reduce(function (n, l) { return n + l.quantity; }, 0);
  var text = "Added " + quantity + " × " + item.name + ". " + count + (count === 1 ? " item" : " items") + " · " + Cafe.won(cartTotal());
  $("cart-bar-text").textContent = text;
  // Wide screens show the cart beside the menu; phones get the cart bar instead.
  if (!window.matchMedia("(max-width: 860px)").matches) Cafe.toast("Added " + item.name, "info");
}
$("cart-bar-view").addEventListener("click", function () {
  $("cart").scrollIntoView({ block: "start" });
  $("cart").focus({ preventScroll: true });
});

// -- cart ------------------------------------------------------------------

function lineLabel(line, item) {
  var opts = Cafe.optionText(line.options);
  return item.name + (opts ? " (" + opts + ")" : "");
}

function cartTotal() {
  return state.cart.reduce(function (sum, line) {
    var item = state.menu[line.item.id] || line.item;
    return sum + unitPrice(item, line.options) * line.quantity;
  }, 0);
}

/*
 * Paint the cart. `priceChange`: a price moved under it (an event, a menu
 * reload): when the total differs from what the customer saw, say so.
 */
function renderCart(priceChange) {
  var list = clear($("cart-lines"));
  state.cart.forEach(function (line, index) {
    var item = state.menu[line.item.id] || line.item;
    var price = unitPrice(item, line.options) * line.quantity;
    var soldOut = item.isSoldOut || line.options.some(function (o) { return state.options[o.id] && state.options[o.id].isSoldOut; });
    var name = lineLabel(line, item);
    list.appendChild(el("li", { className: "cart-line" + (soldOut ? " sold-out" : "") }, [
      el("div", {}, [
        el("div", { text: item.name }),
        el("div", { className: "opts", text: Cafe.optionText(line.options) }),
        soldOut ? el("span", { className: "badge soldout", text: "Sold out" }) : null,
      ]),
      el("div", { className: "cart-line-end" }, [
        el("div", { className: "line-price", text: Cafe.won(price) }),
        el("span", { className: "qty" }, [
          el("button", { type: "button", className: "btn", "aria-label": "One less " + name, text: "−", onclick: function () {
            line.quantity -= 1;
            if (line.quantity < 1) state.cart.splice(index, 1);
            renderCart();
            focusCartAfterChange(index);
          } }),
          el("strong", { text: String(line.quantity), "aria-label": line.quantity + " × " + name }),
          el("button", { type: "button", className: "btn", "aria-label": "One more " + name, text: "+", onclick: function () {
            line.quantity = Math.min(50, line.quantity + 1);
            renderCart();
            focusCartAfterChange(index, true);
          } }),
        ]),
      ]),
    ]));
  });
  var total = cartTotal();
  if (priceChange && state.cart.length && total !== state.shownTotal) {
    notice("Prices changed: your total is now " + Cafe.won(total) + " (was " + Cafe.won(state.shownTotal) + ").");
  }
  state.shownTotal = total;
  $("cart-empty").hidden = state.cart.length > 0;
  $("cart-total").textContent = Cafe.won(total);
  $("place-order").disabled = state.cart.length === 0;
  $("place-order").textContent = state.cart.length ? "Place order · " + Cafe.won(total) : "Place order";
  $("cart-bar").hidden = state.cart.length === 0;
  if (!state.cart.length) $("cart-bar-text").textContent = "";
}

/* Keep keyboard focus in the cart when its lines are painted again. */
function focusCartAfterChange(index, more) {
  var lines = $("cart-lines").querySelectorAll(".cart-line");
  var line = lines[Math.min(index, lines.length - 1)];
  if (!line) { $("cart").focus(); return; }
  var buttons = line.querySelectorAll(".qty .btn");
  buttons[more ? 1 : 0].focus();
}

function notice(message) {
  $("cart-notice").textContent = message;
  $("cart-notice").hidden = !message;
}

/* An error where the customer is looking: by "Place order", scrolled into view. */
function orderError(message) {
  var box = $("order-error");
  box.textContent = message || "";
  box.hidden = !message;
  if (message) box.scrollIntoView({ block: "center" });
}

function setPayType(payType) {
  state.payType = payType;
  document.querySelectorAll("[data-pay]").forEach(function (b) {
    b.setAttribute("aria-pressed", b.dataset.pay === payType ? "true" : "false");
  });
  $("cell-picker").hidden = payType !== "CELL";
  orderError("");
  if (payType === "CELL") chooseCell();
  else forgetCell();
}
document.querySelectorAll("[data-pay]").forEach(function (button) {
  button.addEventListener("click", function () { setPayType(button.dataset.pay); });
});

// -- cells: the balance only after the PIN ---------------------------------------

cells.forEach(function (cell) {
  $("cell-select").appendChild(el("option", { value: String(cell.id), text: cell.name }));
});
if (cells.length) $("cell-select").value = String(cells[0].id);
if (!cells.length) document.querySelector('[data-pay="CELL"]').hidden = true;

/*
 * On a kiosk the next person must not pay with the PIN someone typed and
 * walked away from: a minute without a touch or a key forgets it.
 */
function armPinForget() {
  clearTimeout(state.pinTimer);
  if (state.kiosk === false || !state.cell || !state.cell.pin) return;
  state.pinTimer = setTimeout(function () {
    forgetCell();
    if (state.payType === "CELL") chooseCell();
  }, PIN_IDLE_MS);
}
["pointerdown", "keydown"].forEach(function (name) {
  document.addEventListener(name, armPinForget, true);
});

function forgetCell() {
  clearTimeout(state.pinTimer);
  state.cell = null;
  $("cell-pin").value = "";
  $("cell-pin-form").hidden = true;
  $("cell-balance").textContent = "";
}

function cellAnswer(err) {
  if (err.code === "CELL_PIN_REQUIRED") return "Enter the PIN of this cell.";
  if (err.code === "CELL_PIN_WRONG") return "Wrong PIN. Try again.";
  if (err.code === "RATE_LIMITED") {
    var wait = err.details && err.details.retryAfter;
    return "Too many wrong PINs. Try again" + (wait ? " in " + Math.ceil(wait / 60) + " min" : " later") + ", or pay another way.";
  }
  return err.message || "Could not check the cell";
}

/* Ask for the chosen cell's balance: at once without a PIN, else after it. */
function chooseCell(pin) {
  var id = parseInt($("cell-select").value, 10);
  if (!id) { forgetCell(); return Promise.resolve(); }
  var name = $("cell-select").selectedOptions[0].textContent;
  if (!state.cell || state.cell.id !== id) {
    forgetCell();
    state.cell = { id: id, name: name, needsPin: false, pin: "", balance: null };
  }
  var body = pin ? { pin: pin } : {};
  return post("/api/cells/" + id + "/balance/", body).then(function (answer) {
    if (!state.cell || state.cell.id !== id) return;
    state.cell.balance = answer.balance;
    state.cell.pin = pin || "";
    armPinForget();
    $("cell-pin-form").hidden = !answer.hasPin;
    $("cell-balance").dataset.kind = "info";
    $("cell-balance").textContent = answer.name + " has " + Cafe.won(answer.balance) + " in points.";
  }, function (err) {
    if (!state.cell || state.cell.id !== id) return;
    state.cell.needsPin = err.code === "CELL_PIN_REQUIRED" || err.code === "CELL_PIN_WRONG" || err.code === "RATE_LIMITED";
    state.cell.pin = "";
    state.cell.balance = null;
    $("cell-pin-form").hidden = !state.cell.needsPin;
    $("cell-balance").dataset.kind = pin || err.code !== "CELL_PIN_REQUIRED" ? "error" : "info";
    $("cell-balance").textContent = cellAnswer(err);
    if (pin) { $("cell-pin").value = ""; $("cell-pin").focus(); }
  });
}

$("cell-select").addEventListener("change", function () { chooseCell(); });
$("cell-pin-form").addEventListener("submit", function (e) {
  e.preventDefault();
  var pin = $("cell-pin").value;
  if (!/^[0-9]{4,8}$/.test(pin)) {
    $("cell-balance").dataset.kind = "error";
    $("cell-balance").textContent = "A PIN is 4 to 8 digits.";
    $("cell-pin").focus();
    return;
  }
  chooseCell(pin);
});

// -- placing the order ------------------------------------------------------------

/* The server said some things are sold out: mark them from its details. */
function markSoldOut(details) {
  ((details && details.items) || []).forEach(function (found) {
    if (state.menu[found.menuId]) { state.menu[found.menuId].isSoldOut = true; paintItem(found.menuId); }
  });
  ((details && details.options) || []).forEach(function (found) {
    if (state.options[found.optionId]) state.options[found.optionId].isSoldOut = true;
  });
  renderCart();
}

function priceChanged(err) {
  var details = err.details || {};
  var was = state.shownTotal;
  // Read the menu again: the cart shows the server's prices, then asks again.
  return loadMenu().then(function () {
    renderCart();
  }, function () {}).then(function () {
    var now = typeof details.totalAmount === "number" ? details.totalAmount : cartTotal();
    var message = "Prices changed: your total is now " + Cafe.won(now) + " (was " + Cafe.won(was) + "). Check your order and tap Place order again.";
    notice(message);
    orderError(message);
  });
}

$("place-order").addEventListener("click", function () {
  var button = $("place-order");
  orderError("");
  Cafe.flash(statusLine, "");
  var body = {
    items: state.cart.map(function (line) {
      return { menuId: line.item.id, quantity: line.quantity, options: line.options.map(function (o) { return o.id; }) };
    }),
    payType: state.payType,
    expectedTotal: state.shownTotal,
  };
  if (state.payType === "CELL") {
    var id = parseInt($("cell-select").value, 10);
    if (!id) { orderError("Choose your cell."); $("cell-select").focus(); return; }
    body.cellId = id;
    if (state.cell && state.cell.id === id && state.cell.needsPin && !state.cell.pin) {
      orderError("Enter the PIN of " + state.cell.name + " first.");
      $("cell-pin").focus();
      return;
    }
    if (state.cell && state.cell.id === id && state.cell.pin) body.cellPin = state.cell.pin;
  }
  button.disabled = true;
  post("/api/orders/", body).then(function (order) {
    notice("");
    return modeReady.then(function () { showConfirmation(order); });
  }, function (err) {
    button.disabled = state.cart.length === 0;
    if (err.code === "KIOSK_INACTIVE") setActive(false, err.message);
    if (err.code === "SOLD_OUT") markSoldOut(err.details);
    if (err.code === "PRICE_CHANGED") { priceChanged(err); return; }
    if (err.code === "NOT_FOUND" && err.details && err.details.menuIds) {
      // Taken off the menu since it was added: name it, then read the menu again.
      var gone = state.cart.filter(function (line) { return err.details.menuIds.indexOf(line.item.id) !== -1; });
      orderError("No longer on the menu: " + gone.map(function (line) { return line.item.name; }).join(", ") + ". Remove it from your order (−) and place the order again.");
      loadMenu().then(function () { renderCart(); });
      return;
    }
    if (err.code === "CELL_PIN_REQUIRED" || err.code === "CELL_PIN_WRONG" || err.code === "RATE_LIMITED") {
      if (state.cell) { state.cell.needsPin = true; state.cell.pin = ""; }
      $("cell-pin-form").hidden = false;
      $("cell-balance").dataset.kind = "error";
      $("cell-balance").textContent = cellAnswer(err);
      orderError(cellAnswer(err));
      return;
    }
    orderError(err.message || "Could not place the order");
  });
});

// -- confirmation ------------------------------------------------------------

var PAY_NAMES = { CARD: "by card", CASH: "in cash" };

function paidText(order) {
  if (order.payType === "CELL") return "from " + (order.cellInfo ? order.cellInfo.name : "the cell") + "'s points";
  return PAY_NAMES[order.payType] || "";
}

function showConfirmation(order) {
  state.placed = order;
  state.cart = [];
  forgetCell();
  renderCart();
  var link = "/orders/" + encodeURIComponent(order.orderId) + "/";
  if (state.kiosk === false) {
    // A customer's own phone: the order's own page, which keeps the number.
    window.location.assign(link);
    return;
  }
  $("order-screen").hidden = true;
  $("confirm-screen").hidden = false;
  $("order-number").textContent = String(order.dailyNum);
  $("confirm-status").textContent = order.status;
  $("confirm-total").textContent = Cafe.won(order.totalAmount);
  $("confirm-pay").textContent = paidText(order);
  var items = clear($("confirm-items"));
  (order.items || []).forEach(function (item) {
    var opts = Cafe.optionText(item.options);
    items.appendChild(el("li", {}, [
      el("span", { text: item.quantity + " × " + item.menuName + (opts ? " (" + opts + ")" : "") }),
      el("span", { text: Cafe.won(item.totalPrice) }),
    ]));
  });
  $("confirm-link").setAttribute("href", link);
  $("confirm-reset").textContent = "This screen goes back to the menu in " + Math.round(RESET_AFTER_MS / 1000) + " seconds.";
  socket.join("order", { orderId: order.orderId });
  $("new-order").focus();
  // Back to the menu for the next customer after a while (kiosks only).
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
  setPayType("CARD");
  notice("");
}
$("new-order").addEventListener("click", newOrder);

// -- live ----------------------------------------------------------------------

var socket = Cafe.connect([{ type: "kiosk" }], function () {
  loadMenu().then(function () { renderCart(true); });
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
socket.on("menu:price_changed", function (data) {
  var item = state.menu[data.menuId];
  if (!item) return;
  item.price = data.price;
  paintItem(data.menuId);
  var inCart = state.cart.some(function (line) { return line.item.id === data.menuId; });
  if (inCart) Cafe.toast(data.menuName + " is now " + Cafe.won(data.price), "warning");
  renderCart(true);
  if (state.sheet && state.sheet.item.id === data.menuId) openSheet(data.menuId);
});
socket.on("option:price_changed", function (data) {
  if (!state.options[data.optionId]) return;
  Object.keys(state.menu).forEach(function (id) {
    state.menu[id].optionGroups.forEach(function (g) {
      g.options.forEach(function (o) { if (o.id === data.optionId) o.priceDelta = data.priceDelta; });
    });
  });
  state.options[data.optionId].priceDelta = data.priceDelta;
  renderCart(true);
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
loadMenu().then(function () { renderCart(); });
loadSettings();
