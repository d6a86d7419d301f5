import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { listGroupMembers } from '../../electron/system/process-group.js';
import { startRouterHost, type RouterHost } from './support/router-host.js';
import { waitFor } from './support/sim-host.js';

let host: RouterHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

function client(h: RouterHost): OpenAI {
  // No SDK retries: a 502 must reach the test, not be hidden by a second try.
  return new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'sk-unused', maxRetries: 0 });
}

async function readyPid(h: RouterHost, model: string): Promise<number> {
  await h.engine.ensureReady(model, 'manual');
  const slot = h.engine.state().slots.find((s) => s.modelId === model && s.status === 'ready');
  return slot!.pid!;
}

/** SIGKILLs the server's whole group, as the OOM killer or a `kill -9` from a shell would. */
function killServer(pid: number): void {
  process.kill(-pid, 'SIGKILL');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => (ms === 0 ? setImmediate(resolve) : setTimeout(resolve, ms)));
}

async function streamText(openai: OpenAI, model: string): Promise<{ text: string; finish: string | null }> {
  const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello there' }], max_tokens: 40, stream: true });
  let text = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { text, finish };
}

describe.runIf(process.platform === 'linux')('a backend that dies is relaunched for the request that finds it dead', () => {
  it('killed before the request, at every gap between the kill and the request: the request waits for a relaunch and gets its answer', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const openai = client(host);
    const pids = new Set<number>();
    for (const gapMs of [0, 0, 1, 2, 5, 10, 25, 50]) {
      const pid = await readyPid(host, 'alpha');
      pids.add(pid);
      killServer(pid);
      await delay(gapMs);
      const answer = await openai.chat.completions.create({ model: 'alpha', messages: [{ role: 'user', content: `gap ${gapMs}` }], max_tokens: 8 });
      expect(answer.choices[0]!.message.content, `gap ${gapMs} ms`).toBeTruthy();
      expect(listGroupMembers(pid)).toEqual([]);
    }
    expect(pids.size).toBe(8);
  });

  it('killed while a non-streaming request is generating, at many points: the request is sent again to the relaunched server', async () => {
    host = await startRouterHost([{ id: 'alpha' }], { tokensPerS: 100 });
    const openai = client(host);
    for (const afterMs of [0, 5, 20, 50, 100, 200]) {
      const pid = await readyPid(host, 'alpha');
      const pending = openai.chat.completions.create({ model: 'alpha', messages: [{ role: 'user', content: `after ${afterMs}` }], max_tokens: 40 });
      await delay(afterMs);
      killServer(pid);
      const answer = await pending;
      expect(answer.choices[0]!.message.content, `killed ${afterMs} ms in`).toBeTruthy();
      expect(answer.choices[0]!.finish_reason).toMatch(/stop|length/);
    }
  });

  it('killed just after a response: the next streaming request, sent at once, gets a whole answer (status lines, then the model)', async () => {
    host = await startRouterHost([{ id: 'alpha' }]);
    const openai = client(host);
    for (let round = 0; round < 6; round += 1) {
      const pid = await readyPid(host, 'alpha');
      expect((await streamText(openai, 'alpha')).finish).toMatch(/stop|length/);
      killServer(pid);
      const next = await streamText(openai, 'alpha');
      expect(next.finish, `round ${round}`).toMatch(/stop|length/);
      expect(next.text.length).toBeGreaterThan(0);
    }
  });

  it('several requests in flight when it dies: one relaunch serves them all', async () => {
    host = await startRouterHost([{ id: 'alpha' }], { tokensPerS: 100 });
    const openai = client(host);
    const pid = await readyPid(host, 'alpha');
    const launchesBefore = (await host.sim.launches()).length;
    const pending = Array.from({ length: 4 }, (_, i) => openai.chat.completions.create({ model: 'alpha', messages: [{ role: 'user', content: `n${i}` }], max_tokens: 40 }));
    await waitFor(() => host!.engine.state().requests.filter((r) => r.state === 'active').length === 4, 'four requests in flight');
    killServer(pid);
    const answers = await Promise.all(pending);
    expect(answers.every((a) => a.choices[0]!.message.content)).toBe(true);
    expect((await host.sim.launches()).length).toBe(launchesBefore + 1);
  });

  it('killed from outside in the middle of its load: loaded once more, and the waiting request gets its answer; a crash while serving is an unload in the swap history', async () => {
    host = await startRouterHost([{ id: 'alpha', shards: 20 }]);
    const h = host;
    const openai = client(h);
    const pending = openai.chat.completions.create({ model: 'alpha', messages: [{ role: 'user', content: 'cold' }], max_tokens: 8 });
    const loading = await waitFor(() => {
      const slot = h.engine.state().slots[0]!;
      return slot.progress?.phase === 'weights' && slot.pid ? slot : null;
    }, 'the weights phase');
    killServer(loading.pid!);
    expect((await pending).choices[0]!.message.content).toBeTruthy();
    expect(await h.sim.launches()).toHaveLength(2);
    expect(
      h.engine
        .logs(500)
        .map((l) => l.text)
        .join('\n'),
    ).toMatch(/SGLang exited \(SIGKILL\) while loading weights: trying once more/);

    const ready = await readyPid(h, 'alpha');
    killServer(ready);
    await waitFor(() => h.engine.swapHistory().some((r) => r.action === 'unload' && r.cause === 'crash'), 'the crash in the swap history');
    expect(h.engine.swapHistory().at(-1)).toMatchObject({ action: 'unload', modelId: 'alpha', cause: 'crash' });
  });
});
