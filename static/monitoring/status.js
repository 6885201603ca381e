/* The public status page: times in the viewer's zone, durations in words, and
 * the day under the pointer (or tapped, or focused with the keyboard) of each
 * 90-day bar described below it. Text goes in through textContent only. */
import { formatDay, localizeTimes, zoneName } from "./time.js";

function duration(seconds) {
  var s = Number(seconds) || 0;
  var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  if (h) return h + " h " + m + " min";
  if (m) return m + " min";
  return s + " s";
}

var DAY_MS = 86400000;

/* A segment's day, uptime and incidents, from its bar's data attributes. */
function describe(bar, segment) {
  var row = segment.parentNode;
  var index = Array.prototype.indexOf.call(row.children, segment);
  var uptime = row.dataset.uptimes.split(",")[index];
  var incidents = Number(row.dataset.incidents.split(",")[index]) || 0;
  var day = new Date(Date.parse(bar.dataset.firstDay + "T12:00:00Z") + index * DAY_MS);
  var text = formatDay(day.toISOString()) + " (UTC day): ";
  text += uptime ? uptime + "% up" : "no data";
  if (incidents) text += " · " + incidents + (incidents === 1 ? " incident" : " incidents");
  return text;
}

function show(bar, segment) {
  var detail = bar.parentNode.querySelector(".status-day-detail");
  bar.querySelectorAll("i[data-selected]").forEach(function (i) { i.removeAttribute("data-selected"); });
  segment.setAttribute("data-selected", "");
  detail.textContent = describe(bar, segment);
  detail.hidden = false;
}

document.querySelectorAll(".status-bar").forEach(function (bar) {
  bar.tabIndex = 0;
  bar.addEventListener("pointerover", function (e) { if (e.target.tagName === "I") show(bar, e.target); });
  bar.addEventListener("click", function (e) { if (e.target.tagName === "I") show(bar, e.target); });
  bar.addEventListener("keydown", function (e) {
    var segments = Array.prototype.slice.call(bar.querySelectorAll("i"));
    var current = segments.indexOf(bar.querySelector("i[data-selected]"));
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      e.preventDefault();
      if (current < 0) current = segments.length;
      var next = Math.min(segments.length - 1, Math.max(0, current + (e.key === "ArrowLeft" ? -1 : 1)));
      show(bar, segments[next]);
    }
  });
  bar.addEventListener("focus", function () {
    var segments = bar.querySelectorAll("i");
    if (!bar.querySelector("i[data-selected]") && segments.length) show(bar, segments[segments.length - 1]);
  });
});
document.querySelectorAll(".duration[data-seconds]").forEach(function (node) {
  node.textContent = duration(node.dataset.seconds);
});
localizeTimes(document);
document.getElementById("viewer-zone").textContent = zoneName();

/* Fresh figures every minute: the page reloads itself, unless someone is
 * reading a day of a bar with the keyboard (then at the next minute). A
 * meta refresh would reload under them, and cannot be put off. */
setInterval(function () {
  var active = document.activeElement;
  if (active && active !== document.body && active.closest(".status-bar")) return;
  window.location.reload();
}, 60000);
