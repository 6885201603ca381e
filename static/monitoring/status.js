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

function describe(segment) {
  var d = segment.dataset;
  var text = formatDay(d.date + "T12:00:00Z") + " (UTC day): ";
  text += d.uptime ? d.uptime + "% up" : "no data";
  var n = Number(d.incidents);
  if (n) text += " · " + n + (n === 1 ? " incident" : " incidents");
  return text;
}

function show(bar, segment) {
  var detail = bar.parentNode.querySelector(".status-day-detail");
  bar.querySelectorAll("i[data-selected]").forEach(function (i) { i.removeAttribute("data-selected"); });
  segment.setAttribute("data-selected", "");
  detail.textContent = describe(segment);
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
