/* What the monitoring pages share besides static/realtime/helpers.js: toasts and number formats. */
import { el } from "../realtime/helpers.js";

export function toast(kind, text) {
  var box = document.getElementById("toasts");
  if (!box) return;
  var node = el("div", { className: "toast toast-" + kind, role: "status" }, text);
  box.appendChild(node);
  while (box.children.length > 5) box.removeChild(box.firstChild);
  setTimeout(function () { if (node.parentNode) node.parentNode.removeChild(node); }, 8000);
}

var KIND = { UP: "up", DOWN: "down", DEGRADED: "degraded" };

export function statusToast(d) {
  var text = d.endpointName + " is " + d.currentStatus + " (was " + d.previousStatus + ")";
  if (d.currentStatus !== "UP" && d.errorMessage) text += ": " + d.errorMessage;
  toast(KIND[d.currentStatus] || "info", text);
}

export function ago(iso) {
  if (!iso) return "never checked";
  var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return "updated " + s + " s ago";
  if (s < 5400) return "updated " + Math.round(s / 60) + " min ago";
  return "updated " + Math.round(s / 3600) + " h ago";
}

export function ms(v) { return v === null || v === undefined ? "–" : Math.round(v) + " ms"; }
export function pct(v) { return v === null || v === undefined ? "–" : v.toFixed(2) + "%"; }
