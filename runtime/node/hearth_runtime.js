// Hearth's Node.js runtime: one persistent process per container (OpenWhisk init/run semantics).
// Protocol (docs/runtimes.md): 4-byte little-endian length + UTF-8 JSON frames; requests on fd 3,
// responses on fd 4. `main(params)` may return an object or a Promise of one. console.* output during a
// run is captured into the activation's logs (64 KB bound).
'use strict';
const fs = require('fs');

const LOG_LIMIT = 64 * 1024;
let entry = null;
let buffer = Buffer.alloc(0);
let busy = Promise.resolve();

function writeFrame(obj) {
  const data = Buffer.from(JSON.stringify(obj));
  const header = Buffer.alloc(4);
  header.writeUInt32LE(data.length, 0);
  const frame = Buffer.concat([header, data]);
  let off = 0;
  while (off < frame.length) off += fs.writeSync(4, frame, off, frame.length - off);
}

function boundedLogs(lines) {
  let text = lines.join('\n');
  if (text.length > LOG_LIMIT) text = text.slice(0, LOG_LIMIT) + `\n[hearth: logs truncated at ${LOG_LIMIT} bytes]`;
  return text.split('\n').filter((l) => l.length > 0);
}

async function handle(request) {
  if (request.op === 'init') {
    try {
      const mod = { exports: {} };
      const code = request.code !== undefined ? request.code : fs.readFileSync(request.path, 'utf8');
      const fn = new Function('module', 'exports', 'require', code + '\n;return typeof main !== "undefined" ? main : undefined;');
      const local = fn(mod, mod.exports, require);
      const name = request.main || 'main';
      entry = (typeof mod.exports === 'function' ? mod.exports : mod.exports[name]) || (name === 'main' ? local : undefined);
      if (typeof entry !== 'function') throw new Error(`the code defines no function '${name}'`);
      writeFrame({ ok: true });
    } catch (e) {
      writeFrame({ ok: false, error: String(e && e.stack || e) });
    }
    return;
  }
  if (request.op === 'run') {
    const lines = [];
    const saved = { log: console.log, error: console.error, warn: console.warn, info: console.info };
    const capture = (...args) => lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    console.log = console.error = console.warn = console.info = capture;
    let reply;
    try {
      let result = await entry(request.args || {});
      if (result === undefined || result === null) result = {};
      if (typeof result !== 'object' || Array.isArray(result)) throw new TypeError('main must return an object');
      reply = { ok: true, result };
    } catch (e) {
      reply = { ok: false, error: String(e && e.stack || e) };
    } finally {
      Object.assign(console, saved);
    }
    reply.logs = boundedLogs(lines);
    writeFrame(reply);
    return;
  }
  writeFrame({ ok: false, error: `unknown op ${request.op}` });
}

const input = fs.createReadStream(null, { fd: 3, highWaterMark: 1 << 20 });
input.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  while (buffer.length >= 4) {
    const length = buffer.readUInt32LE(0);
    if (buffer.length < 4 + length) break;
    const request = JSON.parse(buffer.subarray(4, 4 + length).toString('utf8'));
    buffer = buffer.subarray(4 + length);
    busy = busy.then(() => handle(request));  // one request at a time, in order
  }
});
input.on('end', () => process.exit(0));
