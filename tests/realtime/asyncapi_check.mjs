// Parses an AsyncAPI document with @asyncapi/parser and reports what it found.
// stdin: the document (YAML). stdout: one JSON object {errors, channels}:
// the diagnostics of severity error, and channel id -> [[action, message name]].
import { createRequire } from "node:module";

const require = createRequire(process.env.ASYNCAPI_PARSER_DIR + "/");
const { Parser } = require("@asyncapi/parser");

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;

const { document, diagnostics } = await new Parser().parse(text);
const errors = diagnostics
  .filter((d) => d.severity === 0)
  .map((d) => ({ code: d.code, message: d.message, path: d.path }));
const channels = {};
if (document) {
  for (const operation of document.operations()) {
    for (const channel of operation.channels()) {
      const list = (channels[channel.id()] = channels[channel.id()] || []);
      for (const message of operation.messages()) list.push([operation.action(), message.name()]);
    }
  }
}
process.stdout.write(JSON.stringify({ version: document ? document.version() : null, errors, channels }) + "\n");
