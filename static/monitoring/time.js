/* One way to show times on the monitoring pages: the viewer's zone, from the
 * ISO timestamps of the server, with the zone named (e.g. "14:05 CET"). */
var FORMAT = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric",
  hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
});
var DAY = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric" });

export function formatTime(iso) {
  if (!iso) return "–";
  var date = new Date(iso);
  return isNaN(date) ? String(iso) : FORMAT.format(date);
}

export function formatDay(iso) {
  var date = new Date(iso);
  return isNaN(date) ? String(iso) : DAY.format(date);
}

export function zoneName() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone"; } catch (e) { return "your time zone"; }
}

/* Every <time datetime="..."> under `root` shows its time in the viewer's zone;
 * data-format="day" shows the date only. The server's text stays as a fallback. */
export function localizeTimes(root) {
  (root || document).querySelectorAll("time[datetime]").forEach(function (node) {
    var iso = node.getAttribute("datetime");
    if (!iso) return;
    node.textContent = node.dataset.format === "day" ? formatDay(iso) : formatTime(iso);
    node.title = iso;
  });
}
