import { describe, expect, it } from 'vitest';
import { admitConnection, DEFAULT_CONNECTION_LIMITS, type OpenConnection } from './admit-connection.js';

const LIMITS = { perProcess: 2, perUser: 3, total: 5 };
let seq = 0;
/** An open connection of `pid`/`uid` (null: unidentified); busy when it is answering a request. */
const conn = (pid: number | null, uid = 1000, idle = true): OpenConnection & { name: string } => ({
  name: pid === null ? `?#${seq}` : `${uid}/${pid}#${seq}`,
  peer: pid === null ? null : { pid, uid, gid: 100 },
  idle,
  seq: seq++,
});
const peer = (pid: number, uid = 1000) => ({ pid, uid, gid: 100 });

describe('admitConnection', () => {
  it('admits while under every cap', () => {
    expect(admitConnection([], peer(1), LIMITS)).toEqual({ admit: true });
    expect(admitConnection([conn(1), conn(2)], peer(1), LIMITS)).toEqual({ admit: true });
  });

  it.each([
    ['a process at its cap', [conn(1), conn(1)], peer(1), 'process_limit', /pid 1 has 2, at most 2/],
    ['a user at its cap over several processes', [conn(1), conn(2), conn(3)], peer(4), 'user_limit', /uid 1000 has 3, at most 3/],
    ['root like anyone else', [conn(7, 0), conn(7, 0)], peer(7, 0), 'process_limit', /pid 7/],
  ])('refuses %s', (_, open, newcomer, reason, message) => {
    const verdict = admitConnection(open, newcomer, LIMITS);
    expect(verdict).toMatchObject({ admit: false, reason, message: expect.stringMatching(message) });
  });

  it('lets another process of the same user in while one process is at its cap', () => {
    expect(admitConnection([conn(1), conn(1)], peer(2), LIMITS)).toEqual({ admit: true });
  });

  it('when full, evicts the oldest idle connection of the user holding the most', () => {
    const a1 = conn(1, 1000, false);
    const a2 = conn(2, 1000);
    const a3 = conn(3, 1000);
    const b1 = conn(4, 2000);
    const b2 = conn(5, 2000);
    const verdict = admitConnection([a1, a2, a3, b1, b2], peer(9, 3000), LIMITS);
    expect(verdict).toEqual({ admit: true, evict: a2 });
  });

  it('never evicts for a newcomer whose user already holds as many as the biggest', () => {
    const open = [conn(1, 1000), conn(2, 1000), conn(3, 2000), conn(4, 2000), conn(5, 3000)];
    expect(admitConnection(open, peer(6, 1000), LIMITS)).toMatchObject({ admit: false, reason: 'total_limit' });
    expect(admitConnection(open, peer(6, 3000), LIMITS)).toMatchObject({ admit: true, evict: open[0] });
  });

  it('skips a user with nothing idle and takes the next biggest', () => {
    const open = [conn(1, 1000, false), conn(2, 1000, false), conn(3, 1000, false), conn(4, 2000), conn(5, 2000)];
    expect(admitConnection(open, peer(6, 3000), LIMITS)).toEqual({ admit: true, evict: open[3] });
  });

  it('refuses when every connection that could go is busy answering', () => {
    const open = [conn(1, 1000, false), conn(2, 1000, false), conn(3, 2000, false), conn(4, 2000, false), conn(5, 3000, false)];
    expect(admitConnection(open, peer(6, 4000), LIMITS)).toMatchObject({ admit: false, reason: 'total_limit', message: expect.stringMatching(/5 connections open/) });
    // A user with a single idle connection holds more than a newcomer's user with none: it may go.
    const oneIdle = [...open.slice(0, 4), conn(5, 3000)];
    expect(admitConnection(oneIdle, peer(6, 4000), LIMITS)).toEqual({ admit: true, evict: oneIdle[4] });
  });

  it('on a tie in size, evicts the user whose idle connection is oldest', () => {
    const open = [conn(1, 2000, false), conn(2, 1000), conn(3, 2000), conn(4, 1000), conn(5, 3000)];
    expect(admitConnection(open, peer(6, 4000), LIMITS)).toEqual({ admit: true, evict: open[1] });
  });

  it('treats unidentified peers as users of one connection each: no per-peer caps, the oldest idle goes when full', () => {
    const open = [conn(null, 0, false), conn(null), conn(null), conn(null), conn(null)];
    expect(admitConnection(open.slice(0, 4), null, LIMITS)).toEqual({ admit: true });
    expect(admitConnection(open, null, LIMITS)).toEqual({ admit: true, evict: open[1] });
    // A known user with a connection of its own does not push out unidentified ones (each holds one).
    const mixed = [...open.slice(0, 4), conn(1, 1000)];
    expect(admitConnection(mixed, peer(2, 1000), LIMITS)).toMatchObject({ admit: false, reason: 'total_limit' });
    expect(admitConnection(mixed, peer(2, 2000), LIMITS)).toEqual({ admit: true, evict: open[1] });
  });

  it('holds a flood from one process to its cap and keeps room for everyone else (defaults)', () => {
    const open: OpenConnection[] = [];
    let refused = 0;
    for (let i = 0; i < 1000; i++) {
      const verdict = admitConnection(open, peer(500, 65534), DEFAULT_CONNECTION_LIMITS);
      if (verdict.admit) open.push(conn(500, 65534));
      else refused++;
    }
    expect([open.length, refused]).toEqual([DEFAULT_CONNECTION_LIMITS.perProcess, 1000 - DEFAULT_CONNECTION_LIMITS.perProcess]);
    expect(admitConnection(open, peer(501, 65534), DEFAULT_CONNECTION_LIMITS)).toEqual({ admit: true });
    expect(admitConnection(open, peer(600, 998), DEFAULT_CONNECTION_LIMITS)).toEqual({ admit: true });
  });

  it('keeps a newcomer served when many users flood past the total (randomized)', () => {
    for (let round = 0; round < 50; round++) {
      const open: OpenConnection[] = [];
      for (let i = 0; i < 400; i++) {
        const uid = 1000 + Math.floor(Math.random() * 8);
        const pid = uid * 10 + Math.floor(Math.random() * 4);
        const verdict = admitConnection(open, peer(pid, uid), DEFAULT_CONNECTION_LIMITS);
        if (!verdict.admit) continue;
        if (verdict.evict) open.splice(open.indexOf(verdict.evict), 1);
        open.push(conn(pid, uid, Math.random() < 0.9));
        expect(open.length).toBeLessThanOrEqual(DEFAULT_CONNECTION_LIMITS.total);
      }
      const fresh = admitConnection(open, peer(1, 77), DEFAULT_CONNECTION_LIMITS);
      expect(fresh.admit, `round ${round}`).toBe(true);
    }
  });
});
