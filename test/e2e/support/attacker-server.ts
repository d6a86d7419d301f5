import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What an attack page is told to go after (all on the engine it names). */
export interface AttackTargets {
  /** The engine's origin as the page names it, e.g. http://127.0.0.1:8002 or http://evil.test:8002. */
  engine: string;
  /** A model that is not loaded: switching to it (or chatting with it) would start it. */
  switchTo: string;
  /** A loaded model: unloading or stopping would end it. */
  unload: string;
  /** A real GPU UUID, for the power-limit write. */
  gpuUuid: string;
}

export interface AttackerServer {
  port: number;
  /** The attack page's URL under `host` (127.0.0.1, or a name the browser maps to it). */
  attackUrl(host: string, targets: AttackTargets): string;
  close(): Promise<void>;
}

/**
 * A web page of another origin, as a malicious site would serve it, on its own port: at load it
 * fires every request a page may send to another origin without CORS (no-cors fetches with a
 * text/plain body, form posts, WebSockets, a cross-origin read of /api/session) at the engine, and
 * records in `window.attack` what it could observe. The engine's real state is what tells success.
 */
export async function startAttackerServer(): Promise<AttackerServer> {
  const server: Server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/attack') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(ATTACK_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    attackUrl: (host, targets) => `http://${host}:${port}/attack?${new URLSearchParams({ ...targets })}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const ATTACK_PAGE = `<!doctype html>
<meta charset="utf-8"><title>cheap GPUs, click here</title>
<body>
<script>
const q = new URLSearchParams(location.search);
const engine = q.get('engine');
const results = {};
window.attack = { done: false, results };
const modelPath = (id, action) => '/api/models/' + encodeURIComponent(id) + '/' + action;

// A no-cors POST: the browser sends it without asking (text/plain is a "simple" type); the page cannot read the answer.
const noCors = (label, path, body) =>
  fetch(engine + path, { mode: 'no-cors', method: 'POST', headers: { 'content-type': 'text/plain' }, body })
    .then((r) => (results[label] = 'answered:' + r.type), (e) => (results[label] = 'failed:' + e.message));

// A form posted into a hidden frame (the classic CSRF); done when the frame loads the answer.
const form = (label, enctype, fields) => new Promise((resolve) => {
  const sink = document.createElement('iframe');
  sink.name = label;
  document.body.append(sink);
  const f = document.createElement('form');
  Object.assign(f, { method: 'POST', action: engine + modelPath(q.get('switchTo'), 'switch'), enctype, target: label });
  for (const [name, value] of fields) f.append(Object.assign(document.createElement('input'), { type: 'hidden', name, value }));
  document.body.append(f);
  sink.addEventListener('load', () => { results[label] = 'frame loaded'; resolve(); }, { once: true });
  f.submit();
});

// Cross-site WebSocket hijacking: a WebSocket is not bound by CORS at all.
const socket = (label, protocols) => new Promise((resolve) => {
  const events = (results[label] = []);
  const url = engine.replace(/^http/, 'ws') + '/api/ws';
  let ws;
  try { ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols); } catch (e) { events.push('threw:' + e.message); return resolve(); }
  ws.onopen = () => { events.push('open'); ws.send(JSON.stringify({ type: 'call', id: 1, method: 'models.stop', params: {} })); };
  ws.onmessage = (m) => events.push('message:' + String(m.data).slice(0, 60));
  ws.onerror = () => events.push('error');
  ws.onclose = (e) => { events.push('close:' + e.code); resolve(); };
});

Promise.all([
  noCors('switch', modelPath(q.get('switchTo'), 'switch'), '{}'),
  noCors('unload', modelPath(q.get('unload'), 'unload'), '{}'),
  noCors('stop', '/api/stop', '{}'),
  noCors('powerLimit', '/api/gpu/power-limit', JSON.stringify({ gpu: q.get('gpuUuid'), watts: 150, revertAfterS: 600 })),
  noCors('preset', '/api/gpu/preset', JSON.stringify({ watts: 150 })),
  noCors('chat', '/v1/chat/completions', JSON.stringify({ model: q.get('switchTo'), messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 })),
  // text/plain form: the body reads {"cause":"manual","x":"="}, valid JSON.
  form('formTextPlain', 'text/plain', [['{"cause":"manual","x":"', '"}']]),
  form('formUrlencoded', 'application/x-www-form-urlencoded', [['model', q.get('switchTo')]]),
  socket('ws'),
  socket('wsV1', ['switchboard.v1']),
  // Reading the token: a cross-origin read needs CORS headers the engine never sends.
  fetch(engine + '/api/session').then((r) => r.text().then((t) => (results.session = 'read:' + r.status + ':' + t)), (e) => (results.session = 'failed:' + e.message)),
]).then(() => { window.attack.done = true; });
</script>
`;
