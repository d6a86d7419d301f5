import { afterEach, describe, expect, it } from 'vitest';
import { startRouterHost, type RouterHost } from './support/router-host.js';
import { waitFor } from './support/sim-host.js';

// After a load the engine reads the server's own memory figures from SGLang's info route: the current
// name (`/server_info`, SGLang ≥ 0.5.6) first, the `/get_server_info` of 0.5.3.post1 after a 404. The
// simulator answers like either release (SGLANG_SIM_INFO_ROUTES); 0.5.6 logs a deprecation warning
// on every call of an old name, so a server of that release must never get one from the engine.

let host: RouterHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

describe.each([
  ['0.5.6', '/server_info'],
  ['0.5.3.post1', '/get_server_info'],
])('the engine on an SGLang %s server', (release, route) => {
  it(`reads the memory figures through ${route}, and never calls a deprecated name`, async () => {
    host = await startRouterHost([{ id: 'alpha', env: { SGLANG_SIM_INFO_ROUTES: release } }]);
    await host.engine.ensureReady('alpha', 'manual');
    const slot = await waitFor(() => {
      const s = host!.engine.state().slots.find((x) => x.modelId === 'alpha' && x.status === 'ready');
      return s?.fit?.actual.source === 'server_info' ? s : null;
    }, 'the figures from the info route');
    // What the server itself answers under the name of its release.
    const info = (await (await fetch(`http://127.0.0.1:${slot.port}${route}`)).json()) as { internal_states: { memory_usage: { weight: number; token_capacity: number } }[] };
    expect(slot.fit!.actual).toEqual({ weightsPerGpuGib: info.internal_states[0]!.memory_usage.weight, kvTokens: info.internal_states[0]!.memory_usage.token_capacity, source: 'server_info' });
    const lines = host.engine.logs(5000).map((l) => l.text);
    expect(lines.filter((t) => /Endpoint '\/get_\w+' is deprecated/.test(t))).toEqual([]);
    if (release === '0.5.6') {
      // The check above can see such a call: one made by hand shows up in the engine's log.
      await (await fetch(`http://127.0.0.1:${slot.port}/get_server_info`)).arrayBuffer();
      await waitFor(() => host!.engine.logs(5000).some((l) => l.text.includes("Endpoint '/get_server_info' is deprecated")), 'the deprecation warning');
    }
  });
});
