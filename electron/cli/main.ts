import { ApiCallError } from '../../shared/switchboard-api.js';
import { SWITCHBOARD_VERSION } from '../../shared/version.js';
import { UsageError } from './usage-error.js';

type CommandRunner = (args: string[]) => Promise<number>;

interface Command {
  summary: string;
  /** Imported on demand so `switchboard status` does not load the engine. */
  load(): Promise<CommandRunner>;
}

const COMMANDS: Record<string, Command> = {
  serve: { summary: 'run the engine headless (router + admin API)', load: async () => (await import('./serve-command.js')).runServe },
  demo: { summary: 'run the engine on a simulated GPU host', load: async () => (await import('./demo-command.js')).runDemo },
  status: { summary: 'show the active model and each slot', load: async () => (await import('./status-command.js')).runStatus },
  models: { summary: 'list the catalog models', load: async () => (await import('./models-command.js')).runModels },
  switch: { summary: 'switch to a model and follow the load', load: async () => (await import('./switch-command.js')).runSwitch },
  stop: { summary: 'stop the backend', load: async () => (await import('./stop-command.js')).runStop },
  logs: { summary: 'print (and follow) the backend log', load: async () => (await import('./logs-command.js')).runLogs },
  requests: { summary: "print the router's request log", load: async () => (await import('./requests-command.js')).runRequests },
  bench: { summary: 'measure tok/s of a model at the current power limits', load: async () => (await import('./bench-command.js')).runBench },
  'import-scripts': { summary: 'import legacy start scripts into the catalog', load: async () => (await import('./import-scripts-command.js')).runImportScripts },
  validate: { summary: 'check the catalog file', load: async () => (await import('./validate-command.js')).runValidate },
  helper: { summary: 'run the privileged root helper (as root, from its systemd unit)', load: async () => (await import('../helper/main.js')).main },
};

const USAGE = `usage: switchboard COMMAND [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(16)}${command.summary}`)
  .join('\n')}

"switchboard COMMAND --help" shows a command's options.
exit codes: 0 ok, 1 failure, 2 usage error`;

/** Runs one CLI invocation; resolves to the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    console.error(USAGE);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const [topic = ''] = args;
    const command = findCommand(topic);
    return command ? run(topic, command, ['--help']) : printUsage();
  }
  if (name === '--version' || name === '-V') {
    console.log(SWITCHBOARD_VERSION);
    return 0;
  }
  const command = findCommand(name);
  if (!command) {
    console.error(`switchboard: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return run(name, command, args);
}

/** The command called `name`: own keys only, so "toString" and friends are no command. */
function findCommand(name: string): Command | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

async function run(name: string, command: Command, args: string[]): Promise<number> {
  try {
    return await (
      await command.load()
    )(args);
  } catch (err) {
    return reportError(name, err);
  }
}

function printUsage(): number {
  console.log(USAGE);
  return 0;
}

function reportError(name: string, err: unknown): number {
  if (err instanceof UsageError) {
    console.error(`switchboard ${name}: ${err.message}\n\n${err.usage}`);
    return 2;
  }
  // The engine's refusal or answer, or no engine answering: its message says all.
  if (err instanceof ApiCallError) {
    console.error(`switchboard ${name}: ${err.message}`);
    return 1;
  }
  console.error(`switchboard ${name}: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.SWITCHBOARD_DEBUG && err instanceof Error) console.error(err.stack);
  return 1;
}
