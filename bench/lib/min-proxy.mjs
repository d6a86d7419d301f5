// The floor for any Node router: a pass-through proxy with no logic (node:http in, undici out),
// so the benchmark can show what one extra process on loopback costs on this machine.
// usage: node bench/lib/min-proxy.mjs PORT UPSTREAM_URL
import { createServer } from 'node:http';
import { Agent } from 'undici';

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const agent = new Agent({ keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, connections: null });
createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const up = await agent.request({ origin: upstream, path: req.url, method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
  res.writeHead(up.statusCode, { 'content-type': up.headers['content-type'] });
  for await (const chunk of up.body) res.write(chunk);
  res.end();
}).listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
