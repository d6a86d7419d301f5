import { describe, expect, it } from 'vitest';
import { runCli } from './testing/run-cli.js';

describe('switchboard argv dispatch', () => {
  it('prints the usage with --help and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: switchboard COMMAND/);
    for (const name of ['serve', 'demo', 'status', 'models', 'switch', 'stop', 'logs', 'requests', 'import-scripts', 'validate']) {
      expect(stdout).toContain(`  ${name} `);
    }
  });

  it.each([
    ['no command', [], /^usage: switchboard COMMAND/],
    ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
    ['an unknown option', ['status', '--colour'], /switchboard status: Unknown option '--colour'/],
    ['switch without a model', ['switch'], /switch takes exactly one model id or alias/],
    ['a bad -n', ['logs', '-n', '20000'], /-n must be a whole number from 0 to 10000, got "20000"/],
  ])('exits 2 for %s', async (_name, args, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('shows a command usage with "help COMMAND"', async () => {
    const { code, stdout } = await runCli(['help', 'switch']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: switchboard switch MODEL/);
  });

  it('says how to start the engine when none answers, and exits 1', async () => {
    const { code, stderr } = await runCli(['status', '--url', 'http://127.0.0.1:9']);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('switchboard status: no engine answering at http://127.0.0.1:9 — start it with "switchboard serve"');
  });
});
