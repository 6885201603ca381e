/*
 * The /chat/ page: session list with unread counts, history with older pages
 * on scroll up, optimistic sends (pending, sent, failed + retry with the same
 * clientId), typing, online list, "seen by". Every user text goes through
 * textContent, never innerHTML.
 */
import { api, cookie, el } from "../realtime/helpers.js";

var TYPING_SEND_EVERY = 3000; // ms between "typing" frames while typing
var TYPING_IDLE = 4000; // ms without a key before "stopped typing"
var TYPING_EXPIRE = 8000; // ms a received "typing" lasts without news
var SEEN_BY_MAX_MEMBERS = 10;
var SEND_TIMEOUT = 24 * 3600 * 1000; // a queued send waits for the reconnect

var root = document.getElementById("chat");
var me = parseInt(root.getAttribute("data-user-id"), 10);
var staff = root.getAttribute("data-staff") === "1";
var listEl = document.getElementById("message-list");
var scroller = document.getElementById("messages");
var olderEl = document.getElementById("older");
var typingEl = document.getElementById("typing");
var onlineEl = document.getElementById("online");
var errorEl = document.getElementById("chat-error");
var input = document.getElementById("composer-input");
var form = document.getElementById("composer");

var sessions = {}; // id -> session payload (with unreadCount)
var order = [];
var current = null; // session payload
var room = null;
var socket = null;
var byId = {}; // message id -> bubble
var byClientId = {}; // clientId -> bubble
var oldestId = null;
var hasMore = false;
var loadingOlder = false;
var typists = {}; // userId -> {name, timer}
var lastTypingSent = 0;
var typingIdleTimer = null;
var lastReadSent = 0;
var members = {}; // userId -> {id, name, lastReadMessageId}

function showError(message) {
  errorEl.textContent = message || "";
  errorEl.hidden = !message;
}

function newClientId() {
  if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
  return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}

function timeLabel(iso) {
  var d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// -- session list -------------------------------------------------------------

function renderSessions() {
  var ul = document.getElementById("session-list");
  ul.textContent = "";
  document.getElementById("no-sessions").hidden = order.length > 0;
  order.forEach(function (id) {
    var s = sessions[id];
    var li = el("li");
    var a = el("a");
    a.href = "/chat/?session=" + encodeURIComponent(id);
    a.setAttribute("data-session-id", id);
    if (current && current.id === s.id) a.setAttribute("aria-current", "page");
    a.appendChild(el("span", { className: "session-title" }, s.title));
    var at = el("span", { className: "mention-count" }, "@" + (s.mentionCount || 0));
    at.hidden = !s.mentionCount;
    at.setAttribute("aria-label", (s.mentionCount || 0) + " mentions");
    a.appendChild(at);
    var badge = el("span", { className: "unread" }, String(s.unreadCount || 0));
    badge.hidden = !s.unreadCount;
    badge.setAttribute("aria-label", (s.unreadCount || 0) + " unread");
    a.appendChild(badge);
    li.appendChild(a);
    ul.appendChild(li);
  });
}

// -- bubbles --------------------------------------------------------------------

function bubble(message, mine) {
  var li = el("li", { className: "msg" + (mine ? " mine" : "") });
  if (!mine) li.appendChild(el("div", { className: "author" }, message.author ? message.author.name : ""));
  li.appendChild(el("div", { className: "text" }));
  var meta = el("div", { className: "meta" });
  meta.appendChild(el("span", { className: "edited" }));
  meta.appendChild(el("time", { className: "time" }, message.createdAt ? timeLabel(message.createdAt) : ""));
  meta.appendChild(el("span", { className: "status" }));
  li.appendChild(meta);
  if (message.id) {
    li.setAttribute("data-id", message.id);
    byId[message.id] = li;
  }
  if (message.clientId) {
    li.setAttribute("data-client-id", message.clientId);
    byClientId[message.clientId] = li;
  }
  fill(li, message);
  setState(li, message.id ? "sent" : "pending");
  return li;
}

// @username of a member: the same rule as the server's (chat.services.MENTION).
var MENTION = /(?<![\p{L}\p{N}_@.+-])@([\p{L}\p{N}_.@+-]+)/gu;

function mentionsMe(message) {
  return (message.mentions || []).some(function (m) { return m.id === me; });
}

/* The text with its mentions highlighted: text nodes and spans, never HTML. */
function renderText(node, message) {
  node.textContent = "";
  var names = {};
  (message.mentions || []).forEach(function (m) { names[m.username.toLowerCase()] = m; });
  var content = message.content || "";
  var at = 0;
  content.replace(MENTION, function (whole, raw, offset) {
    var name = raw.replace(/\.+$/, "");
    var who = names[name.toLowerCase()];
    if (!who) return whole;
    if (offset > at) node.appendChild(document.createTextNode(content.slice(at, offset)));
    node.appendChild(el("span", { className: "mention" + (who.id === me ? " me" : ""), "data-user-id": who.id }, "@" + name));
    at = offset + 1 + name.length;
    return whole;
  });
  if (at < content.length) node.appendChild(document.createTextNode(content.slice(at)));
}

/* (Re)draw a bubble's text, its "edited" mark and its actions from a payload. */
function fill(li, message) {
  var text = li.querySelector(".text");
  var edited = li.querySelector(".edited");
  var actions = li.querySelector(".actions");
  if (actions) actions.remove();
  if (message.deletedAt) {
    li.setAttribute("data-deleted", "");
    li.removeAttribute("data-content");
    text.textContent = "message deleted";
    edited.textContent = "";
    renderFiles(li, []);
    return;
  }
  renderText(text, message);
  text.hidden = !message.content;
  if (message.attachments) renderFiles(li, message.attachments);
  edited.textContent = message.editedAt ? "edited" : "";
  if (message.editedAt) edited.title = "Edited " + new Date(message.editedAt).toLocaleString();
  var mine = li.classList.contains("mine");
  if (!message.id || (!mine && !staff)) return;
  actions = el("span", { className: "actions" });
  if (mine) {
    actions.appendChild(el("button", { type: "button", className: "link edit", onclick: function () { startEdit(li); } }, "Edit"));
  }
  actions.appendChild(el("button", { type: "button", className: "link delete", onclick: function () { askDelete(li, this); } }, "Delete"));
  li.querySelector(".meta").insertBefore(actions, li.querySelector(".meta").firstChild);
}

function startEdit(li) {
  if (li.querySelector(".edit-form")) return;
  var text = li.querySelector(".text");
  var box = el("textarea", { className: "edit-input", rows: "2", maxlength: "4000", "aria-label": "Edit message" });
  box.value = text.textContent;
  var form = el("form", { className: "edit-form" }, [
    box,
    el("button", { type: "submit", className: "btn primary small" }, "Save"),
    el("button", { type: "button", className: "btn small cancel", onclick: function () { endEdit(); } }, "Cancel"),
  ]);
  function endEdit() { form.remove(); text.hidden = false; }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var content = box.value;
    if (!content.trim()) return;
    socket.request("edit_message", { messageId: parseInt(li.getAttribute("data-id"), 10), content: content })
      .then(function (message) { endEdit(); fill(li, message); showError(""); })
      .catch(function (err) { showError((err && err.message) || "Could not edit the message."); });
  });
  box.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { ev.preventDefault(); endEdit(); }
    else if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  text.hidden = true;
  li.insertBefore(form, text.nextSibling);
  box.focus();
}

function askDelete(li, button) {
  // Two steps: the first click asks, the second deletes.
  if (button.getAttribute("data-confirm") !== "1") {
    button.setAttribute("data-confirm", "1");
    button.textContent = "Delete for everyone?";
    setTimeout(function () {
      button.removeAttribute("data-confirm");
      button.textContent = "Delete";
    }, 5000);
    return;
  }
  socket.request("delete_message", { messageId: parseInt(li.getAttribute("data-id"), 10) })
    .then(function (message) { fill(li, message); showError(""); })
    .catch(function (err) { showError((err && err.message) || "Could not delete the message."); });
}

function setState(li, state) {
  li.setAttribute("data-state", state);
  var status = li.querySelector(".status");
  var retry = li.querySelector(".retry");
  if (retry) retry.remove();
  if (!li.classList.contains("mine")) { status.textContent = ""; return; }
  status.textContent = { pending: "Sending…", sent: "Sent", failed: "Not sent" }[state] || "";
  if (state === "failed") {
    var button = el("button", { className: "retry" }, "Retry");
    button.type = "button";
    button.addEventListener("click", function () { deliver(li); });
    li.querySelector(".meta").appendChild(button);
  }
}

function markSent(li, message) {
  if (message.id && !li.getAttribute("data-id")) {
    li.setAttribute("data-id", message.id);
    byId[message.id] = li;
    fill(li, message);
  }
  var time = li.querySelector("time");
  if (time && message.createdAt) time.textContent = timeLabel(message.createdAt);
  if (message.clientId) outboxDrop(message.clientId);
  setState(li, "sent");
  renderSeen();
}

function nearBottom() {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

function scrollToBottom() { scroller.scrollTop = scroller.scrollHeight; }

function append(message) {
  var stick = nearBottom() || (message.author && message.author.id === me);
  listEl.appendChild(bubble(message, message.author && message.author.id === me));
  if (stick) scrollToBottom();
}

// -- sending --------------------------------------------------------------------

/*
 * The outbox: every send waits in localStorage until the server acknowledges
 * it, so a send made offline survives a reload and goes out (once, by its
 * clientId) when the page is back.
 */
var OUTBOX_KEY = "tidings.chat.outbox." + me;

function outboxRead() {
  try {
    var list = JSON.parse(window.localStorage.getItem(OUTBOX_KEY) || "[]");
    return Array.isArray(list) ? list.filter(function (e) { return e && typeof e.clientId === "string"; }) : [];
  } catch (e) { return []; }
}

function outboxWrite(list) {
  try {
    if (list.length) window.localStorage.setItem(OUTBOX_KEY, JSON.stringify(list));
    else window.localStorage.removeItem(OUTBOX_KEY);
  } catch (e) { /* storage full or disabled: the send still goes out live */ }
}

function outboxAdd(entry) {
  var list = outboxRead().filter(function (e) { return e.clientId !== entry.clientId; });
  list.push(entry);
  outboxWrite(list);
}

function outboxDrop(clientId) {
  var list = outboxRead();
  var rest = list.filter(function (e) { return e.clientId !== clientId; });
  if (rest.length !== list.length) outboxWrite(rest);
}

/* A refusal (bad content, not a member) will not change by sending again. */
function permanent(err) {
  return !!(err && err.code && ["TIMEOUT", "CONNECTION_FAILED", "INTERNAL_ERROR", "RATE_LIMITED"].indexOf(err.code) < 0 &&
    !(err.status >= 500) && err.status !== 0);
}

function deliver(li) {
  var clientId = li.getAttribute("data-client-id");
  var content = li.getAttribute("data-content");
  var files = li.attachments || [];
  setState(li, "pending");
  showError("");
  if (current) outboxAdd({ clientId: clientId, sessionId: current.id, content: content, attachments: files, at: Date.now() });
  var data = { content: content, clientId: clientId };
  if (files.length) data.attachmentIds = files.map(function (a) { return a.id; });
  // Which connection carried it: one queued while offline goes out with the
  // reconnect; one sent on a connection that died is sent again.
  li.setAttribute("data-sent-on", socket.state === "live" ? socket.connectionId : "queued");
  socket.request("message", data, { timeout: SEND_TIMEOUT })
    .then(function (message) { markSent(li, message); })
    .catch(function (err) {
      if (li.getAttribute("data-state") === "sent") return;
      if (permanent(err)) outboxDrop(clientId);
      setState(li, "failed");
      if (err && err.message) showError(err.message);
    });
}

function send(content, files) {
  var clientId = newClientId();
  var li = bubble({ content: content, clientId: clientId, author: { id: me }, attachments: files }, true);
  li.setAttribute("data-content", content);
  li.attachments = files;
  listEl.appendChild(li);
  scrollToBottom();
  stopTyping();
  deliver(li);
}

form.addEventListener("submit", function (ev) {
  ev.preventDefault();
  var content = input.value;
  var files = readyFiles();
  if (uploading()) { showError("Wait for the files to finish uploading."); return; }
  if ((!content.trim() && !files.length) || !current) return;
  input.value = "";
  clearFiles();
  send(content, files);
});

// -- @mention autocomplete ------------------------------------------------------------

var mentionList = document.getElementById("mention-list");
var mentionChoices = [];
var mentionActive = 0;

function mentionPrefix() {
  var before = input.value.slice(0, input.selectionStart);
  var match = before.match(/(?:^|[^\p{L}\p{N}_@.+-])@([\p{L}\p{N}_.+-]*)$/u);
  return match ? match[1] : null;
}

function closeMentions() {
  mentionChoices = [];
  mentionList.textContent = "";
  mentionList.hidden = true;
  input.removeAttribute("aria-activedescendant");
}

function showMentions() {
  var prefix = mentionPrefix();
  if (prefix === null || !current) { closeMentions(); return; }
  var p = prefix.toLowerCase();
  mentionChoices = current.members.filter(function (m) {
    return m.id !== me && m.username && (m.username.toLowerCase().indexOf(p) === 0 || m.name.toLowerCase().indexOf(p) === 0);
  }).slice(0, 8);
  if (!mentionChoices.length) { closeMentions(); return; }
  mentionActive = Math.min(mentionActive, mentionChoices.length - 1);
  mentionList.textContent = "";
  mentionChoices.forEach(function (m, i) {
    var li = el("li", { role: "option", id: "mention-" + m.id, "aria-selected": i === mentionActive ? "true" : "false",
      "data-username": m.username }, [m.name, el("span", { className: "username" }, "@" + m.username)]);
    li.addEventListener("mousedown", function (ev) { ev.preventDefault(); chooseMention(m); });
    mentionList.appendChild(li);
  });
  mentionList.hidden = false;
  input.setAttribute("aria-activedescendant", "mention-" + mentionChoices[mentionActive].id);
}

function chooseMention(m) {
  var caret = input.selectionStart;
  var before = input.value.slice(0, caret);
  var start = before.lastIndexOf("@");
  var insert = "@" + m.username + " ";
  input.value = input.value.slice(0, start) + insert + input.value.slice(caret);
  var at = start + insert.length;
  input.setSelectionRange(at, at);
  closeMentions();
  input.focus();
}

input.setAttribute("aria-autocomplete", "list");
input.setAttribute("aria-controls", "mention-list");
input.addEventListener("input", function () { mentionActive = 0; showMentions(); });
input.addEventListener("click", showMentions);
input.addEventListener("blur", function () { setTimeout(closeMentions, 150); });
// Capture: runs before the composer's own Enter handler, which it may stop.
input.addEventListener("keydown", function (ev) {
  if (mentionList.hidden || !mentionChoices.length) return;
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ev.preventDefault();
    var n = mentionChoices.length;
    mentionActive = (mentionActive + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
    showMentions();
  } else if (ev.key === "Enter" || ev.key === "Tab") {
    ev.preventDefault();
    ev.stopImmediatePropagation();
    chooseMention(mentionChoices[mentionActive]);
  } else if (ev.key === "Escape") {
    ev.preventDefault();
    closeMentions();
  }
}, true);

// -- attachments ------------------------------------------------------------------

var fileInput = document.getElementById("attach-input");
var pendingFiles = document.getElementById("pending-files");
var uploads = []; // {file, state: "uploading"|"ready"|"failed", attachment, li}

function readyFiles() {
  return uploads.filter(function (u) { return u.state === "ready"; }).map(function (u) { return u.attachment; });
}

function uploading() {
  return uploads.some(function (u) { return u.state === "uploading"; });
}

function clearFiles() {
  uploads = [];
  pendingFiles.textContent = "";
}

function sizeLabel(bytes) {
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
  return (bytes / (1024 * 1024)).toFixed(1) + " MB";
}

function uploadFile(file) {
  var entry = { file: file, state: "uploading", attachment: null };
  var status = el("span", { className: "file-state" }, "Uploading…");
  entry.li = el("li", { "data-state": "uploading" }, [
    el("span", null, file.name),
    status,
    el("button", { type: "button", "aria-label": "Remove " + file.name, onclick: function () {
      uploads = uploads.filter(function (u) { return u !== entry; });
      entry.li.remove();
    } }, "×"),
  ]);
  uploads.push(entry);
  pendingFiles.appendChild(entry.li);
  var body = new FormData();
  body.append("file", file);
  fetch("/api/chat/sessions/" + encodeURIComponent(current.id) + "/attachments/", {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": cookie("csrftoken") },
    body: body,
  }).then(function (res) {
    return res.json().catch(function () { return null; }).then(function (data) {
      if (!res.ok) throw (data && data.message ? data : { message: "Upload failed (" + res.status + ")" });
      return data;
    });
  }).then(function (attachment) {
    entry.state = "ready";
    entry.attachment = attachment;
    entry.li.setAttribute("data-state", "ready");
    status.textContent = sizeLabel(attachment.size);
  }).catch(function (err) {
    entry.state = "failed";
    entry.li.setAttribute("data-state", "failed");
    status.textContent = (err && err.message) || "Upload failed";
    uploads = uploads.filter(function (u) { return u !== entry; });
  });
}

fileInput.addEventListener("change", function () {
  Array.prototype.forEach.call(fileInput.files, uploadFile);
  fileInput.value = "";
});

/* The files of a message: images as thumbnails, anything else as a link. */
function renderFiles(li, files) {
  var old = li.querySelector(".files");
  if (old) old.remove();
  if (!files || !files.length) return;
  var box = el("div", { className: "files" });
  files.forEach(function (a) {
    if (a.thumbnailUrl) {
      box.appendChild(el("a", { href: a.url, target: "_blank", rel: "noopener", className: "file-image" }, [
        el("img", { src: a.thumbnailUrl, alt: a.name, loading: "lazy", width: a.width && a.height ? String(Math.min(320, Math.round(a.width * Math.min(1, 320 / Math.max(a.width, a.height))))) : null }),
      ]));
    } else {
      box.appendChild(el("a", { href: a.url, className: "file-link", download: a.name }, a.name + " (" + sizeLabel(a.size) + ")"));
    }
  });
  li.insertBefore(box, li.querySelector(".meta"));
}

input.addEventListener("keydown", function (ev) {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
  }
});

// -- typing ---------------------------------------------------------------------

function stopTyping() {
  clearTimeout(typingIdleTimer);
  if (lastTypingSent && socket && socket.state === "live") {
    socket.send("typing", { isTyping: false });
  }
  lastTypingSent = 0;
}

input.addEventListener("input", function () {
  if (!socket || socket.state !== "live") return;
  if (!input.value.trim()) { stopTyping(); return; }
  var now = Date.now();
  if (now - lastTypingSent >= TYPING_SEND_EVERY) {
    socket.send("typing", { isTyping: true });
    lastTypingSent = now;
  }
  clearTimeout(typingIdleTimer);
  typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE);
});

function renderTyping() {
  var names = Object.keys(typists).map(function (id) { return typists[id].name; });
  if (!names.length) typingEl.textContent = "";
  else if (names.length === 1) typingEl.textContent = names[0] + " is typing…";
  else typingEl.textContent = names.join(", ") + " are typing…";
}

function setTyping(user, isTyping) {
  if (!user || user.id === me) return;
  var entry = typists[user.id];
  if (entry) clearTimeout(entry.timer);
  if (isTyping) {
    typists[user.id] = {
      name: user.name,
      timer: setTimeout(function () { delete typists[user.id]; renderTyping(); }, TYPING_EXPIRE),
    };
  } else {
    delete typists[user.id];
  }
  renderTyping();
}

// -- presence and read state ----------------------------------------------------

function renderOnline(online) {
  onlineEl.textContent = "";
  (online || []).forEach(function (user) {
    var li = el("li", null, user.name);
    li.setAttribute("data-user-id", user.id);
    onlineEl.appendChild(li);
  });
}

function renderSeen() {
  Array.prototype.forEach.call(listEl.querySelectorAll(".seen"), function (n) { n.remove(); });
  if (!current || current.members.length > SEEN_BY_MAX_MEMBERS) return;
  var mine = listEl.querySelectorAll(".msg.mine[data-id]");
  if (!mine.length) return;
  var last = mine[mine.length - 1];
  var id = parseInt(last.getAttribute("data-id"), 10);
  var names = Object.keys(members).map(function (k) { return members[k]; })
    .filter(function (m) { return m.id !== me && m.lastReadMessageId && m.lastReadMessageId >= id; })
    .map(function (m) { return m.name; });
  if (!names.length) return;
  last.appendChild(el("div", { className: "seen" }, "Seen by " + names.join(", ")));
}

function latestId() {
  var all = listEl.querySelectorAll(".msg[data-id]");
  return all.length ? parseInt(all[all.length - 1].getAttribute("data-id"), 10) : 0;
}

function markRead() {
  var id = latestId();
  if (!id || id <= lastReadSent || document.hidden || !socket || socket.state !== "live") return;
  lastReadSent = id;
  socket.send("read", { messageId: id });
  if (current) {
    current.unreadCount = 0;
    current.mentionCount = 0;
    renderSessions();
  }
}

document.addEventListener("visibilitychange", markRead);

// -- history --------------------------------------------------------------------

function messagesUrl(params) {
  var url = "/api/chat/sessions/" + encodeURIComponent(current.id) + "/messages/";
  var query = Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); });
  return query.length ? url + "?" + query.join("&") : url;
}

var olderPromise = null;

/* The next older page; a promise, the same one while a page is loading. */
function loadOlder() {
  if (loadingOlder) return olderPromise;
  if (!hasMore || !oldestId) return Promise.resolve();
  loadingOlder = true;
  olderEl.hidden = false;
  olderPromise = api("GET", messagesUrl({ before: oldestId })).then(function (page) {
    var before = scroller.scrollHeight;
    var first = listEl.firstChild;
    page.messages.forEach(function (m) {
      if (byId[m.id]) return;
      listEl.insertBefore(bubble(m, m.author.id === me), first);
    });
    if (page.messages.length) oldestId = page.messages[0].id;
    hasMore = page.hasMore;
    scroller.scrollTop += scroller.scrollHeight - before;
    renderSeen();
  }).catch(function () {}).then(function () {
    loadingOlder = false;
    olderEl.hidden = true;
  });
  return olderPromise;
}

// -- search ------------------------------------------------------------------------

var JUMP_MAX_PAGES = 40;

/* Scroll to a message of this session (loading older pages as needed) and mark it. */
function jumpTo(messageId, pages) {
  var li = byId[messageId];
  if (li) {
    Array.prototype.forEach.call(listEl.querySelectorAll(".msg.found"), function (n) { n.classList.remove("found"); });
    li.classList.add("found");
    li.setAttribute("tabindex", "-1");
    li.scrollIntoView({ block: "center" });
    li.focus({ preventScroll: true });
    return;
  }
  pages = pages || 0;
  if (!hasMore || pages >= JUMP_MAX_PAGES) {
    showError("That message is no longer here.");
    return;
  }
  loadOlder().then(function () { jumpTo(messageId, pages + 1); });
}

var searchForm = document.getElementById("search-form");
var searchInput = document.getElementById("search-input");
var searchResults = document.getElementById("search-results");

searchForm.addEventListener("submit", function (ev) {
  ev.preventDefault();
  var q = searchInput.value.trim();
  searchResults.textContent = "";
  if (!q) return;
  api("GET", "/api/chat/search/?q=" + encodeURIComponent(q)).then(function (answer) {
    searchResults.textContent = "";
    if (!answer.results.length) {
      searchResults.appendChild(el("li", { className: "muted" }, "Nothing found"));
      return;
    }
    answer.results.forEach(function (r) {
      var m = r.message;
      var title = sessions[r.sessionId] ? sessions[r.sessionId].title : r.sessionTitle;
      var button = el("button", { type: "button", "data-message-id": m.id, onclick: function () {
        if (current && current.id === r.sessionId) jumpTo(m.id);
        else window.location.assign("/chat/?session=" + encodeURIComponent(r.sessionId) + "&message=" + encodeURIComponent(m.id));
      } }, [
        el("span", { className: "result-where" }, title + " · " + m.author.name),
        el("span", { className: "result-text" }, m.content.length > 140 ? m.content.slice(0, 140) + "…" : m.content),
      ]);
      searchResults.appendChild(el("li", null, [button]));
    });
  }).catch(function (err) {
    searchResults.appendChild(el("li", { className: "error" }, (err && err.message) || "Search failed"));
  });
});

scroller.addEventListener("scroll", function () {
  if (scroller.scrollTop < 60) loadOlder();
});

// -- starting and managing chats --------------------------------------------------

/*
 * A people picker: typing in `inputEl` lists matching users (by name) in
 * `resultsEl`; choosing one calls onPick(user). `skip()` is the set of ids
 * not to offer.
 */
function picker(inputEl, resultsEl, onPick, skip) {
  var timer = null;
  var asked = 0;
  function search() {
    var q = inputEl.value.trim();
    var ticket = ++asked;
    if (!q) { resultsEl.textContent = ""; return; }
    api("GET", "/api/chat/users/?q=" + encodeURIComponent(q)).then(function (users) {
      if (ticket !== asked) return; // an answer to an older query
      resultsEl.textContent = "";
      var hide = skip();
      users.filter(function (u) { return !hide[u.id]; }).forEach(function (u) {
        var button = el("button", { type: "button", "data-user-id": u.id, onclick: function () {
          onPick(u);
          inputEl.value = "";
          resultsEl.textContent = "";
          inputEl.focus();
        } }, [u.name, el("span", { className: "username" }, "@" + u.username)]);
        resultsEl.appendChild(el("li", null, [button]));
      });
      if (!resultsEl.childNodes.length) resultsEl.appendChild(el("li", { className: "muted" }, "Nobody found"));
    }).catch(function () {});
  }
  inputEl.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
}

function setPanelError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}

var newChat = document.getElementById("new-chat");
var newChatToggle = document.getElementById("new-chat-toggle");
var chosen = {}; // userId -> user

function renderChosen() {
  var ul = document.getElementById("people-chosen");
  ul.textContent = "";
  var ids = Object.keys(chosen);
  ids.forEach(function (id) {
    var user = chosen[id];
    ul.appendChild(el("li", null, [
      user.name,
      el("button", { type: "button", "aria-label": "Remove " + user.name, onclick: function () {
        delete chosen[id];
        renderChosen();
      } }, "×"),
    ]));
  });
  // Two people or more make a group, which has a name.
  document.getElementById("new-chat-title-wrap").hidden = ids.length < 2;
  document.getElementById("new-chat-start").disabled = ids.length === 0;
}

newChatToggle.addEventListener("click", function () {
  newChat.hidden = !newChat.hidden;
  newChatToggle.setAttribute("aria-expanded", String(!newChat.hidden));
  if (!newChat.hidden) document.getElementById("people-search").focus();
});

picker(document.getElementById("people-search"), document.getElementById("people-results"),
  function (user) { chosen[user.id] = user; renderChosen(); },
  function () { return chosen; });

newChat.addEventListener("submit", function (ev) {
  ev.preventDefault();
  var ids = Object.keys(chosen).map(function (id) { return parseInt(id, 10); });
  if (!ids.length) return;
  var request;
  if (ids.length === 1) {
    request = api("POST", "/api/chat/direct/", { userId: ids[0] });
  } else {
    var title = document.getElementById("new-chat-title").value.trim() ||
      Object.keys(chosen).map(function (id) { return chosen[id].name; }).join(", ").slice(0, 200);
    request = api("POST", "/api/chat/sessions/", { title: title, memberIds: ids });
  }
  request.then(function (session) {
    if (current && current.id === session.id) {
      // The direct chat already open here.
      newChat.hidden = true;
      newChatToggle.setAttribute("aria-expanded", "false");
      chosen = {};
      renderChosen();
      input.focus();
      return;
    }
    window.location.assign("/chat/?session=" + encodeURIComponent(session.id));
  }).catch(function (err) {
    setPanelError(document.getElementById("new-chat-error"), (err && err.message) || "Could not start the chat.");
  });
});

var manage = document.getElementById("manage");
var manageToggle = document.getElementById("manage-toggle");
var manageError = document.getElementById("manage-error");

manageToggle.addEventListener("click", function () {
  manage.hidden = !manage.hidden;
  manageToggle.setAttribute("aria-expanded", String(!manage.hidden));
});

function renderManage() {
  if (!current) return;
  var creator = current.creatorId === me && !current.isDirect;
  manageToggle.hidden = !!current.isDirect;
  manageToggle.textContent = "Members (" + current.members.length + ")";
  document.getElementById("rename").hidden = !creator;
  document.getElementById("add-member").hidden = !creator;
  var ul = document.getElementById("member-list");
  ul.textContent = "";
  current.members.forEach(function (m) {
    var li = el("li", { "data-user-id": m.id }, [
      el("span", null, [m.name, m.username ? el("span", { className: "username" }, "@" + m.username) : null]),
    ]);
    var label = m.id === me ? "Leave" : "Remove";
    if (!current.isDirect && (m.id === me ? current.creatorId !== me : creator)) {
      li.appendChild(el("button", { type: "button", className: "remove", onclick: function () { removeMember(m); } }, label));
    }
    ul.appendChild(li);
  });
}

function removeMember(m) {
  api("DELETE", "/api/chat/sessions/" + encodeURIComponent(current.id) + "/members/" + encodeURIComponent(m.id) + "/")
    .then(function () { setPanelError(manageError, ""); })
    .catch(function (err) { setPanelError(manageError, (err && err.message) || "Could not remove."); });
}

document.getElementById("rename").addEventListener("submit", function (ev) {
  ev.preventDefault();
  var title = document.getElementById("rename-input").value.trim();
  if (!title) return;
  api("PATCH", "/api/chat/sessions/" + encodeURIComponent(current.id) + "/", { title: title })
    .then(function (session) { applySessionUpdate({ sessionId: session.id, title: session.title, members: session.members }); setPanelError(manageError, ""); })
    .catch(function (err) { setPanelError(manageError, (err && err.message) || "Could not rename."); });
});

picker(document.getElementById("add-search"), document.getElementById("add-results"), function (user) {
  api("POST", "/api/chat/sessions/" + encodeURIComponent(current.id) + "/members/", { userIds: [user.id] })
    .then(function (session) { applySessionUpdate({ sessionId: session.id, title: session.title, members: session.members }); setPanelError(manageError, ""); })
    .catch(function (err) { setPanelError(manageError, (err && err.message) || "Could not add."); });
}, function () {
  var skip = {};
  (current ? current.members : []).forEach(function (m) { skip[m.id] = true; });
  return skip;
});

function applySessionUpdate(data) {
  var s = sessions[data.sessionId];
  if (!s) return;
  if (!s.isDirect) s.title = data.title;
  var before = {};
  s.members.forEach(function (m) { before[m.id] = m; });
  s.members = data.members.map(function (m) {
    var old = before[m.id] || {};
    return { id: m.id, name: m.name, username: m.username || old.username, lastReadMessageId: old.lastReadMessageId || null };
  });
  if (current && current.id === s.id) {
    current = s;
    document.getElementById("session-title").textContent = s.title;
    document.getElementById("rename-input").value = s.title;
    s.members.forEach(function (m) { if (!members[m.id]) members[m.id] = m; });
    renderManage();
  }
  renderSessions();
}

function onSessionAdded(data) {
  if (sessions[data.id]) return;
  sessions[data.id] = data;
  order.unshift(data.id);
  if (socket) socket.join("chat", { sessionId: String(data.id) });
  renderSessions();
}

function onSessionRemoved(data) {
  if (!sessions[data.sessionId]) return;
  delete sessions[data.sessionId];
  order = order.filter(function (id) { return id !== data.sessionId; });
  if (current && current.id === data.sessionId) {
    showError("You are no longer a member of this chat.");
    form.hidden = true;
    manageToggle.hidden = true;
    manage.hidden = true;
  } else if (socket) {
    socket.leave("chat", { sessionId: String(data.sessionId) });
  }
  renderSessions();
}

// -- socket ---------------------------------------------------------------------

function onMessageCreated(data, frame) {
  if (frame.room !== room) {
    var other = sessions[data.sessionId];
    if (other && data.author.id !== me) {
      other.unreadCount = (other.unreadCount || 0) + 1;
      if (mentionsMe(data)) other.mentionCount = (other.mentionCount || 0) + 1;
      renderSessions();
    }
    return;
  }
  if (byId[data.id]) return;
  var pending = data.clientId && byClientId[data.clientId];
  if (pending) { markSent(pending, data); return; }
  append(data);
  setTyping(data.author, false);
  if (members[data.author.id]) members[data.author.id].lastReadMessageId = data.id;
  renderSeen();
  markRead();
}

function connect(seq) {
  var sid = String(current.id);
  // Every (re)connect starts from where this page is, so only the missed
  // events come back.
  var here = "chat:" + sid;
  socket = Tidings.connect("/ws/chat/", { query: function () {
    var r = this.rooms[here];
    var last = r ? r.lastSeq : seq;
    return "sessionId=" + encodeURIComponent(sid) + (last !== null ? "&lastSeq=" + last : "");
  } });
  Tidings.bindIndicator(socket);
  socket.join("chat", { sessionId: sid }, seq);
  socket.join("chatuser", { userId: String(me) });
  order.forEach(function (id) {
    if (String(id) !== sid) socket.join("chat", { sessionId: String(id) });
  });
  socket.on("message:created", onMessageCreated);
  socket.on("session:added", onSessionAdded);
  socket.on("session:updated", applySessionUpdate);
  socket.on("session:removed", onSessionRemoved);
  socket.on("message:updated", function (data, frame) {
    if (frame.room === room && byId[data.id]) fill(byId[data.id], data);
  });
  socket.on("message:deleted", function (data, frame) {
    if (frame.room === room && byId[data.id]) fill(byId[data.id], data);
  });
  socket.on("presence:joined", function (data, frame) {
    if (!frame.room || frame.room === room) renderOnline(data.online);
  });
  socket.on("presence:left", function (data, frame) {
    if (frame.room === room) { renderOnline(data.online); setTyping(data.user, false); }
  });
  socket.on("typing", function (data, frame) {
    if (frame.room === room) setTyping(data.user, data.isTyping);
  });
  socket.on("message:read", function (data, frame) {
    if (frame.room !== room) return;
    var m = members[data.user.id];
    if (m) m.lastReadMessageId = Math.max(m.lastReadMessageId || 0, data.lastReadMessageId || 0);
    renderSeen();
  });
  socket.on("resync_required", function (data) {
    if (data.room === room) reloadNewest();
  });
  socket.on("open", function () {
    showError("");
    // A send may have gone out on a socket that died before its reply:
    // send it again (same clientId, so the server keeps one message).
    Array.prototype.forEach.call(listEl.querySelectorAll('.msg.mine[data-state="pending"]'), function (li) {
      var on = li.getAttribute("data-sent-on");
      if (on === "queued") li.setAttribute("data-sent-on", socket.connectionId);
      else if (on !== socket.connectionId) deliver(li);
    });
    markRead();
  });
  socket.on("denied", function (info) {
    showError(info.code === 4403 ? "You are not a member of this chat." : "Please log in again.");
  });
}

function reloadNewest() {
  api("GET", messagesUrl({})).then(function (page) {
    page.messages.forEach(function (m) {
      if (byId[m.id]) return;
      var pending = m.clientId && byClientId[m.clientId];
      if (pending) markSent(pending, m); else append(m);
    });
    markRead();
  });
}

/*
 * Sends left in the outbox by an earlier page: this session's come back as
 * "Sending…" bubbles (returned, to deliver once the socket exists); other
 * sessions' go out over REST. Ones the history already holds are done.
 */
function restoreOutbox(history) {
  var stored = {};
  history.forEach(function (m) { if (m.clientId) stored[m.clientId] = true; });
  var waiting = [];
  outboxRead().forEach(function (entry) {
    if (stored[entry.clientId] || byClientId[entry.clientId]) {
      if (stored[entry.clientId]) outboxDrop(entry.clientId);
      return;
    }
    if (entry.sessionId === current.id) {
      var files = Array.isArray(entry.attachments) ? entry.attachments : [];
      var li = bubble({ content: entry.content, clientId: entry.clientId, author: { id: me }, attachments: files }, true);
      li.setAttribute("data-content", entry.content);
      li.attachments = files;
      listEl.appendChild(li);
      waiting.push(li);
    } else if (sessions[entry.sessionId]) {
      api("POST", "/api/chat/sessions/" + encodeURIComponent(entry.sessionId) + "/messages/",
        { content: entry.content, clientId: entry.clientId,
          attachmentIds: (entry.attachments || []).map(function (a) { return a.id; }) })
        .then(function () { outboxDrop(entry.clientId); })
        .catch(function (err) { if (permanent(err)) outboxDrop(entry.clientId); });
    } else {
      outboxDrop(entry.clientId); // a session this user is no longer in
    }
  });
  return waiting;
}

function openSession(session) {
  current = session;
  room = "chat:" + session.id;
  current.unreadCount = 0;
  current.mentionCount = 0;
  document.getElementById("session-title").textContent = session.title;
  document.getElementById("rename-input").value = session.title;
  session.members.forEach(function (m) { members[m.id] = m; });
  renderSessions();
  renderManage();
  return api("GET", messagesUrl({})).then(function (page) {
    page.messages.forEach(function (m) { listEl.appendChild(bubble(m, m.author.id === me)); });
    oldestId = page.messages.length ? page.messages[0].id : null;
    hasMore = page.hasMore;
    var waiting = restoreOutbox(page.messages);
    scrollToBottom();
    renderSeen();
    connect(page.seq);
    waiting.forEach(deliver);
    var wanted = parseInt(new URLSearchParams(window.location.search).get("message"), 10);
    if (wanted > 0) jumpTo(wanted); else input.focus();
  });
}

/* The socket belongs to an open chat: with none yet, a chat someone else
 * starts is looked for every 5 s and shown in the list (the page's own
 * "New chat" opens its chat itself). */
function waitForFirstSession() {
  var timer = setInterval(function () {
    if (current) { clearInterval(timer); return; }
    api("GET", "/api/chat/sessions/").then(function (list) {
      if (current || !list.length) return;
      clearInterval(timer);
      list.forEach(function (s) {
        if (!sessions[s.id]) { sessions[s.id] = s; order.push(s.id); }
      });
      renderSessions();
    }).catch(function () {});
  }, 5000);
}

api("GET", "/api/chat/sessions/").then(function (list) {
  list.forEach(function (s) { sessions[s.id] = s; order.push(s.id); });
  var wanted = new URLSearchParams(window.location.search).get("session");
  var chosen = (wanted && sessions[wanted]) || sessions[order[0]];
  renderSessions();
  if (!chosen) {
    form.hidden = true;
    waitForFirstSession();
    return;
  }
  return openSession(chosen);
}).catch(function (err) {
  showError((err && err.message) || "Could not load the chat.");
});
