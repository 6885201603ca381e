/*
 * Pickup board: a public TV by the counter. Numbers being made, and numbers
 * ready, which stay until they are picked up. It hears only the `pickup`
 * room and reads `GET /api/pickup/`: numbers and statuses, never an orderId.
 */
import { api, clear, el } from "../realtime/helpers.js";
import * as Cafe from "./common.js";
import * as Status from "./statuses.js";

var FRESH_MS = 60 * 1000;   // a number just called stands out this long
var SMALL_SCREEN = window.matchMedia("(max-width: 700px)");
var day = null;             // the business day on the board
var board = {};             // dailyNum -> {dailyNum, status, updatedAt, readyAt}

function shown(status) { return Status.inProgress(status) || Status.awaitingPickup(status); }

function byNumber(a, b) { return a.dailyNum - b.dailyNum; }

function fill(id, list, fresh) {
  var box = clear(document.getElementById(id));
  list.forEach(function (o) {
    var item = el("li", { dataset: { num: String(o.dailyNum) }, text: String(o.dailyNum) });
    if (fresh && o.readyAt && Date.now() - o.readyAt < FRESH_MS) item.className = "fresh";
    box.appendChild(item);
  });
  document.getElementById(id + "-empty").hidden = list.length > 0;
  fit(box);
}

/* A TV cannot scroll: shrink the numbers until they fit, then say how many are left out. */
function fit(box) {
  box.style.removeProperty("--num");
  if (SMALL_SCREEN.matches || !box.children.length) return;
  var size = Math.min(160, window.innerHeight * 0.12), least = 28;
  box.style.setProperty("--num", size + "px");
  while (box.scrollHeight > box.clientHeight + 1 && size > least) {
    size = Math.max(least, size * 0.88);
    box.style.setProperty("--num", size + "px");
  }
  var left = 0;
  while (box.scrollHeight > box.clientHeight + 1 && box.children.length > 1) {
    var last = box.lastChild;
    if (last.classList.contains("more")) box.removeChild(last);
    box.removeChild(box.lastChild);
    left += 1;
    box.appendChild(el("li", { className: "more", text: "+" + left }));
  }
}

function render() {
  var list = Object.keys(board).map(function (n) { return board[n]; }).sort(byNumber);
  fill("making", list.filter(function (o) { return Status.inProgress(o.status); }), false);
  fill("ready", list.filter(function (o) { return Status.awaitingPickup(o.status); }), true);
}
setInterval(render, 5000);
window.addEventListener("resize", render);

/* One number's new status: on the board while being made or ready, else off it. */
function update(data, live) {
  if (day && data.businessDay < day) return;        // last night's order
  if (data.businessDay !== day) { day = data.businessDay; board = {}; }
  var known = board[data.dailyNum];
  if (!shown(data.status)) {
    delete board[data.dailyNum];
  } else {
    var called = live && Status.awaitingPickup(data.status) && !(known && Status.awaitingPickup(known.status));
    board[data.dailyNum] = {
      dailyNum: data.dailyNum,
      status: data.status,
      updatedAt: data.updatedAt,
      readyAt: called ? Date.now() : known && known.readyAt,
    };
  }
  render();
}

// Numbers that change while the board is read are applied after the read.
var held = Cafe.holdDuring();

function load() {
  return held.read(api("GET", "/api/pickup/").then(function (data) {
    day = data.businessDay;
    board = {};
    data.orders.forEach(function (o) { update(o, false); });
    render();
  })).then(null, function () {});
}

var socket = Cafe.connect([{ type: "pickup" }], load);
socket.on("pickup:status_changed", held.wrap(function (data) { update(data, true); }));
load();
