// Steady HTTP traffic for the multi-cluster failover check: one request every INTERVAL ms (each
// on its own, so a slow one does not delay the next: no socket limit, no queue), over keep-alive
// connections, until SIGTERM. A request that takes more than 2 s counts as failed (`timeout`).
// Every answer is one JSON line on stdout: {t: ms since epoch, ok, status, pod, ms, error}.
// The echo backend answers with its Pod's name, which says which cluster served the request.
// Usage: node load.mjs URL HOST INTERVAL_MS
import http from 'node:http';

const [url, host, intervalArg] = process.argv.slice(2);
if (!url || !host) {
  console.error('usage: node load.mjs URL HOST [INTERVAL_MS]');
  process.exit(2);
}
const interval = Number(intervalArg ?? 20);
const agent = new http.Agent({ keepAlive: true });
let stopping = false;
let inFlight = 0;

function once() {
  const t = Date.now();
  inFlight++;
  let finished = false;
  const finish = (r) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(r);
  };
  const req = http.request(url, { agent, headers: { Host: host } }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c) => { body += c; });
    res.on('end', () => {
      const pod = /"pod":\s*"([^"]*)"/.exec(body)?.[1] ?? '';
      finish({ t, ok: res.statusCode === 200 && pod !== '', status: res.statusCode, pod, ms: Date.now() - t });
    });
  });
  // From the start of the request, whatever it waits on.
  const timer = setTimeout(() => req.destroy(new Error('timeout')), 2000);
  req.on('error', (e) => finish({ t, ok: false, status: 0, pod: '', ms: Date.now() - t, error: e.message }));
  req.end();
}

function done(r) {
  inFlight--;
  process.stdout.write(`${JSON.stringify(r)}\n`);
  if (stopping && inFlight === 0) process.exit(0);
}

const timer = setInterval(once, interval);
process.on('SIGTERM', () => {
  stopping = true;
  clearInterval(timer);
  if (inFlight === 0) process.exit(0);
  setTimeout(() => process.exit(0), 3000).unref();
});
