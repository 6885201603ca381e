// A socket.io-client 4.x session driven over stdin/stdout by a test.
// argv[2]: {"url", "options"}. Each stdin line: {"id", "emit", "data", "ack"}.
// Each stdout line: {"type": "connect"|"connect_error"|"disconnect"|"event"|"ack", ...}.
// {"drop": true} closes the transport under the client (socket.io.engine.close()),
// as a network drop does; with reconnection on, the client comes back by itself.
import { createRequire } from "node:module";
import readline from "node:readline";

const require = createRequire(process.env.SOCKETIO_CLIENT_DIR + "/");
const { io } = require("socket.io-client");
const { url, options } = JSON.parse(process.argv[2]);
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const socket = io(url, { reconnection: false, ...options });
socket.io.on("open", () => {
  out({ type: "open", transport: socket.io.engine.transport.name });
  socket.io.engine.on("upgrade", (t) => out({ type: "upgrade", transport: t.name }));
});
socket.on("connect", () =>
  out({ type: "connect", transport: socket.io.engine.transport.name, recovered: socket.recovered }),
);
socket.io.on("reconnect_attempt", (attempt) => out({ type: "reconnect_attempt", attempt }));
socket.on("connect_error", (err) => out({ type: "connect_error", message: err.message, data: err.data }));
socket.on("disconnect", (reason) => out({ type: "disconnect", reason, active: socket.active }));
socket.onAny((event, ...args) => out({ type: "event", event, args }));

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const cmd = JSON.parse(line);
  if (cmd.close) { socket.close(); setTimeout(() => process.exit(0), 50); return; }
  if (cmd.drop) { socket.io.engine.close(); return; }
  if (cmd.pid) { out({ type: "pid", pid: socket._pid }); return; }
  if (cmd.ack) {
    socket.emit(cmd.emit, cmd.data, (...args) => out({ type: "ack", id: cmd.id, args }));
  } else {
    socket.emit(cmd.emit, cmd.data);
  }
});
