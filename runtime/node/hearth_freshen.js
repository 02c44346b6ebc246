// freshen for Node.js functions (docs/freshen.md; seed 004, Pseudocode 2-5): the hook the platform runs
// before a predicted invocation, and the wrappers that let the hook and the function share its work.
// The same contract as runtime/python/hearth_freshen.py:
//   a function may define `freshen(state)` (module.exports.freshen or a top-level function); the runtime
//   starts it on {"op":"freshen","timeout_ms":T} (T at most MAX_HOOK_MS) without waiting for it.
//   FrFetch(id, source, {ttl, ca})  a Promise of the Buffer at `source` (http(s) URL, absolute path or
//       file:// URL, or an async function returning the data), cached under `id` for ttl seconds (60)
//   FrWarm(id, opener, {ttl})        a Promise of what `await opener()` returns (an open connection)
//   frState                          the state both use (the hook's `state` argument)
// An id is idle, running or finished; a caller that finds it running waits for it (at most until the
// hook's deadline when the hook holds it, then does the work itself), one that finds it finished within
// its TTL takes the result, otherwise it runs the work and caches the result. Bounded: MAX_ENTRIES ids,
// MAX_FETCH_BYTES per fetch, network waits within the hook's remaining time.
'use strict';
const fs = require('fs');
const { AsyncLocalStorage } = require('async_hooks');

const MAX_ENTRIES = 64;
const MAX_FETCH_BYTES = 64 << 20;
const MAX_HOOK_MS = 30000;
const DEFAULT_TTL_S = 60;
const FETCH_TIMEOUT_MS = 30000;

function readSource(source, ca, timeoutMs) {
  if (typeof source !== 'string') return Promise.reject(new TypeError('FrFetch: source must be a URL, a file path or a function'));
  if (source.startsWith('http://') || source.startsWith('https://')) {
    // required here: a runtime whose function never fetches a URL starts without them
    const client = source.startsWith('https://') ? require('https') : require('http');
    return new Promise((resolve, reject) => {
      const req = client.get(source, { ca, timeout: Math.max(1, timeoutMs), agent: false }, (res) => {
        const chunks = [];
        let size = 0;
        res.on('data', (c) => {
          size += c.length;
          if (size > MAX_FETCH_BYTES) req.destroy(new Error(`FrFetch: ${source} is larger than ${MAX_FETCH_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`FrFetch: ${source} timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
    });
  }
  const path = source.startsWith('file://') ? source.slice(7) : source;
  if (!path.startsWith('/')) return Promise.reject(new Error(`FrFetch: ${source} is neither an http(s) URL nor an absolute path`));
  return fs.promises.stat(path).then((st) => {
    if (st.size > MAX_FETCH_BYTES) throw new Error(`FrFetch: ${source} is larger than ${MAX_FETCH_BYTES} bytes`);
    return fs.promises.readFile(path);
  });
}

class FrState {
  constructor(clock = () => performance.now()) {
    this.clock = clock;  // ms
    this.entries = new Map();
    this.hookContext = new AsyncLocalStorage();  // {deadline} inside the hook
    this.hookRunning = false;
    this.counts = {};
    this.lastHook = null;
  }

  fetch(id, source, opts = {}) {
    const ttl = opts.ttl ?? DEFAULT_TTL_S;
    if (typeof source === 'function') return this.use(id, source, ttl);
    return this.use(id, () => readSource(source, opts.ca, this.timeLeft()), ttl);
  }

  warm(id, opener, opts = {}) {
    if (typeof opener !== 'function') return Promise.reject(new TypeError('FrWarm: the resource must be a function that opens it'));
    return this.use(id, opener, opts.ttl ?? DEFAULT_TTL_S);
  }

  state(id) {
    const e = this.entries.get(id);
    if (!e || (e.state === 'finished' && this.clock() >= e.expires)) return 'idle';
    return e.state;
  }

  // Starts hook(this) with timeoutMs; false if the previous one still runs.
  startHook(hook, timeoutMs) {
    if (this.hookRunning) return false;
    this.hookRunning = true;
    const started = this.clock();
    const deadline = started + timeoutMs;
    this.hookContext.run({ deadline }, () => {
      Promise.resolve()
        .then(() => hook(this))
        .then(() => null, (e) => String(e && e.message || e).slice(0, 500))
        .then((error) => {
          this.hookRunning = false;
          this.lastHook = { ms: Math.round((this.clock() - started) * 1000) / 1000, late: this.clock() > deadline };
          if (error) this.lastHook.error = error;
        });
    });
    return true;
  }

  takeCounts() {
    const counts = this.counts;
    this.counts = {};
    if (this.lastHook) {
      counts.hook = this.lastHook;
      this.lastHook = null;
    }
    return counts;
  }

  timeLeft() {
    const ctx = this.hookContext.getStore();
    return ctx ? ctx.deadline - this.clock() : FETCH_TIMEOUT_MS;
  }

  count(key, by = 1) { this.counts[key] = (this.counts[key] || 0) + by; }

  async use(id, work, ttl) {
    const ctx = this.hookContext.getStore();
    let e = this.entries.get(id);
    if (e && e.state === 'finished' && this.clock() < e.expires) {
      if (!ctx) this.count('hits');
      return e.result;
    }
    if (e && e.state === 'running') {
      const started = this.clock();
      let timer;
      const limit = e.deadline === null ? null : new Promise((r) => { timer = setTimeout(r, Math.max(0, e.deadline - started)); });
      await (limit ? Promise.race([e.done, limit]) : e.done);
      clearTimeout(timer);
      if (e.state === 'finished') {
        this.count('waits');
        this.count('wait_ms', Math.round((this.clock() - started) * 1000) / 1000);
        return e.result;
      }
      this.count('misses');  // the hook failed or is late: do it here, uncached
      return work();
    }
    if (!e && this.entries.size >= MAX_ENTRIES) throw new Error(`frState holds ${this.entries.size} ids already (at most ${MAX_ENTRIES})`);
    let finish;
    e = { state: 'running', result: undefined, expires: 0, deadline: ctx ? ctx.deadline : null, done: new Promise((r) => { finish = r; }) };
    this.entries.set(id, e);
    try {
      e.result = await work();
    } catch (err) {
      if (this.entries.get(id) === e) this.entries.delete(id);
      e.state = 'idle';
      finish();
      throw err;
    }
    e.state = 'finished';
    e.expires = this.clock() + ttl * 1000;
    this.count(ctx ? 'hook_fetches' : 'misses');
    finish();
    return e.result;
  }
}

const frState = new FrState();
module.exports = {
  FrState,
  frState,
  FrFetch: (id, source, opts) => frState.fetch(id, source, opts),
  FrWarm: (id, opener, opts) => frState.warm(id, opener, opts),
  MAX_HOOK_MS,
  readSource,
};
