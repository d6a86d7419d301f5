// The warmup thread (`_wait_and_warmup`): polls GET /get_model_info (/model_info with
// SGLANG_SIM_INFO_ROUTES=0.5.6) on --host:--port, then
// POST /generate; on success the server becomes Up, on failure it SIGKILLs its own tree.
import { request } from 'node:http';
import { pyStrRepr } from './python-repr.js';
import type { SimApp } from './sim-context.js';
import { sleepSim } from './sim-env.js';
import { warmupTraceback } from './tracebacks.js';

interface HttpResult {
  status: number;
  text: string;
}

class WarmupRequestError extends Error {
  constructor(readonly pythonError: string) {
    super(pythonError);
  }
}

/** `server_args.url()` */
export function serverUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

function send(app: SimApp, method: string, path: string, body: string | undefined, timeoutS: number | undefined): Promise<HttpResult> {
  const host = app.args.str('host') ?? '127.0.0.1';
  const port = app.args.num('port') ?? 30000;
  const apiKey = app.args.str('api_key');
  const headers: Record<string, string> = {};
  if (apiKey !== null) headers.Authorization = `Bearer ${apiKey}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const pyUrl = `HTTPConnectionPool(host=${pyStrRepr(host)}, port=${port})`;
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => reject(new WarmupRequestError(`requests.exceptions.ChunkedEncodingError: ('Connection broken')`)));
    });
    if (timeoutS !== undefined) {
      req.setTimeout(Math.max(1, timeoutS * app.env.timeScale * 1000), () => {
        req.destroy(new WarmupRequestError(`requests.exceptions.ReadTimeout: ${pyUrl}: Read timed out. (read timeout=${timeoutS})`));
      });
    }
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof WarmupRequestError) return reject(error);
      const reason = error.code === 'ECONNREFUSED' ? '[Errno 111] Connection refused' : `[Errno 104] ${error.message}`;
      reject(
        new WarmupRequestError(
          `requests.exceptions.ConnectionError: ${pyUrl}: Max retries exceeded with url: ${path} (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a2c1b5e50>: Failed to establish a new connection: ${reason}'))`,
        ),
      );
    });
    req.end(body);
  });
}

function reportFailure(app: SimApp, traceback: string): never {
  app.log.main(`Initialization failed. warmup error: ${traceback}`, 'error');
  return app.tree.killTreeIncludingSelf();
}

async function waitForModelInfo(app: SimApp): Promise<void> {
  // 0.5.3.post1 polls `/get_model_info`; after the 0.5.6 rename the warmup polls `/model_info` (see README.md).
  const path = app.env.infoRoutes === '0.5.3.post1' ? '/get_model_info' : '/model_info';
  let lastTraceback = '';
  for (let attempt = 0; attempt < 120; attempt += 1) {
    await sleepSim(app.env, 1);
    try {
      const res = await send(app, 'GET', path, undefined, 5);
      if (res.status === 200) return;
      lastTraceback = warmupTraceback(`AssertionError: res=<Response [${res.status}]>, res.text=${pyStrRepr(res.text)}`, 'assert res.status_code == 200, f"{res=}, {res.text=}"');
    } catch (error) {
      const pythonError = error instanceof WarmupRequestError ? error.pythonError : String(error);
      lastTraceback = warmupTraceback(pythonError, `res = requests.get(url + "${path}", timeout=5, headers=headers)`);
    }
  }
  reportFailure(app, lastTraceback);
}

/** Runs the warmup; resolves once the server is Up (the failure paths never return). */
export async function runWarmup(app: SimApp): Promise<void> {
  if (app.args.bool('skip_server_warmup')) {
    app.status = 'Up';
    app.log.main('The server is fired up and ready to roll!');
    return;
  }
  await waitForModelInfo(app);
  const body = JSON.stringify({ text: 'The capital city of France is', sampling_params: { temperature: 0, max_new_tokens: 8 } });
  const timeoutS = app.env.fails.has('never-ready') ? undefined : 600;
  try {
    const res = await send(app, 'POST', '/generate', body, timeoutS);
    if (res.status !== 200) reportFailure(app, warmupTraceback(`AssertionError: <Response [${res.status}]>`, 'assert res.status_code == 200, f"{res}"'));
  } catch (error) {
    const pythonError = error instanceof WarmupRequestError ? error.pythonError : String(error);
    reportFailure(app, warmupTraceback(pythonError, 'res = requests.post('));
  }
  app.status = 'Up';
  app.log.main('The server is fired up and ready to roll!');
}
