// Hearth's Node.js runtime: one persistent process per container (OpenWhisk init/run semantics).
// Protocol (docs/runtimes.md): 4-byte little-endian length + UTF-8 JSON frames; requests on fd 3,
// responses on fd 4. `main(params)` may return an object or a Promise of one. console.* output during a
// run is captured into the activation's logs (64 KB bound), attributed to its run by AsyncLocalStorage.
// Workers: {"op":"workers","count":k} on channel 0 (after init) starts serving channels 1..k (fds 3+2i /
// 4+2i) in this process with the code already loaded: each channel takes one request at a time, and
// channels run concurrently on the event loop (overlapping I/O-bound functions; CPU-bound ones share
// the one thread). Channel 0 then only answers control requests.
// freshen (docs/freshen.md, hearth_freshen.js): {"op":"freshen","timeout_ms":T} after init starts the
// function's freshen(state) hook and answers at once {"ok":true,"started":bool[,"reason"]}; FrFetch,
// FrWarm and frState are in scope for the code; a run's reply carries "freshen" (what the wrappers did
// since the last run) when anything happened.
'use strict';
const fs = require('fs');
const { AsyncLocalStorage } = require('async_hooks');
const freshen = require('./hearth_freshen.js');

const LOG_LIMIT = 64 * 1024;
const runLogs = new AsyncLocalStorage();
const original = { log: console.log, error: console.error, warn: console.warn, info: console.info };
for (const level of Object.keys(original)) {
  console[level] = (...args) => {
    const lines = runLogs.getStore();
    if (!lines) return original[level](...args);
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
}

function writeFrame(fd, obj) {
  writeData(fd, Buffer.from(JSON.stringify(obj)));
}

function writeData(fd, data) {
  const header = Buffer.alloc(4);
  header.writeUInt32LE(data.length, 0);
  const frame = Buffer.concat([header, data]);
  let off = 0;
  while (off < frame.length) off += fs.writeSync(fd, frame, off, frame.length - off);
}

function boundedLogs(lines) {
  let text = lines.join('\n');
  if (text.length > LOG_LIMIT) text = text.slice(0, LOG_LIMIT) + `\n[hearth: logs truncated at ${LOG_LIMIT} bytes]`;
  return text.split('\n').filter((l) => l.length > 0);
}

function load(request) {
  const mod = { exports: {} };
  const code = request.code !== undefined ? request.code : fs.readFileSync(request.path, 'utf8');
  const fn = new Function('module', 'exports', 'require', 'FrFetch', 'FrWarm', 'frState', code +
    '\n;return [typeof main !== "undefined" ? main : undefined, typeof freshen !== "undefined" ? freshen : undefined];');
  const [local, localHook] = fn(mod, mod.exports, require, freshen.FrFetch, freshen.FrWarm, freshen.frState);
  const name = request.main || 'main';
  const entry = (typeof mod.exports === 'function' ? mod.exports : mod.exports[name]) || (name === 'main' ? local : undefined);
  if (typeof entry !== 'function') throw new Error(`the code defines no function '${name}'`);
  const hook = (mod.exports && typeof mod.exports.freshen === 'function') ? mod.exports.freshen : localHook;
  entry.hearthFreshen = typeof hook === 'function' ? hook : null;
  return entry;
}

function startFreshen(request, entry) {
  const t = request.timeout_ms;
  if (!entry) return { ok: false, error: 'freshen before a successful init' };
  if (!Number.isInteger(t) || t < 1 || t > freshen.MAX_HOOK_MS) return { ok: false, error: `freshen: timeout_ms must be an integer in [1, ${freshen.MAX_HOOK_MS}]` };
  if (!entry.hearthFreshen) return { ok: true, started: false, reason: 'the function defines no freshen hook' };
  if (!freshen.frState.startHook(entry.hearthFreshen, t)) return { ok: true, started: false, reason: 'the previous freshen is still running' };
  return { ok: true, started: true };
}

// One channel: its own frame buffer, its own loaded function, one request at a time in order.
function serve(fdIn, fdOut, entry) {
  const channel = { entry, workers: 0 };
  let buffer = Buffer.alloc(0);
  let busy = Promise.resolve();

  async function handle(request) {
    if (request.op === 'init') {
      try {
        channel.entry = load(request);
        writeFrame(fdOut, { ok: true });
      } catch (e) {
        writeFrame(fdOut, { ok: false, error: String(e && e.stack || e) });
      }
      return;
    }
    if (request.op === 'freshen') {
      writeFrame(fdOut, startFreshen(request, channel.entry));
      return;
    }
    if (request.op === 'workers' && fdIn === 3) {
      const count = request.count;
      if (!channel.entry || !Number.isInteger(count) || count < 1) {
        writeFrame(fdOut, { ok: false, error: 'workers needs a successful init and a count >= 1' });
        return;
      }
      try {
        for (let i = channel.workers + 1; i <= count; i++, channel.workers++) serve(3 + 2 * i, 4 + 2 * i, channel.entry);
        writeFrame(fdOut, { ok: true, workers: channel.workers });
      } catch (e) {
        writeFrame(fdOut, { ok: false, error: `cannot start workers: ${e}` });
      }
      return;
    }
    if (request.op === 'run' && channel.entry) {
      const lines = [];
      let reply;
      try {
        let result = await runLogs.run(lines, () => channel.entry(request.args || {}));
        if (result === undefined || result === null) result = {};
        if (typeof result !== 'object' || Array.isArray(result)) throw new TypeError('main must return an object');
        reply = { ok: true, result };
      } catch (e) {
        reply = { ok: false, error: String(e && e.stack || e) };
      }
      reply.logs = boundedLogs(lines);
      const counts = freshen.frState.takeCounts();
      if (Object.keys(counts).length > 0) reply.freshen = counts;
      let data;
      try {
        data = Buffer.from(JSON.stringify(reply));
      } catch (e) {  // a result JSON cannot encode (a BigInt, a cycle): this run's error, as in Python
        data = Buffer.from(JSON.stringify({ ok: false, error: `result is not JSON: ${e}`, logs: reply.logs }));
      }
      writeData(fdOut, data);
      return;
    }
    writeFrame(fdOut, { ok: false, error: channel.entry ? `unknown op ${request.op}` : 'run before a successful init' });
  }

  const input = fs.createReadStream(null, { fd: fdIn, highWaterMark: 1 << 20 });
  input.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4) {
      const length = buffer.readUInt32LE(0);
      if (buffer.length < 4 + length) break;
      const request = JSON.parse(buffer.subarray(4, 4 + length).toString('utf8'));
      buffer = buffer.subarray(4 + length);
      busy = busy.then(() => handle(request));  // one request at a time per channel, in order
    }
  });
  if (fdIn === 3) input.on('end', () => process.exit(0));
  input.on('error', () => {});  // a worker channel the platform never opened
}

serve(3, 4, null);
