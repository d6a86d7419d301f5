import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

// The contract's promise, checked by the compiler itself: a method or event added in one place and
// forgotten in another does not build. Each case compiles the contract's files (and all they
// import) with the project's compiler options and shared/'s contract files replaced in memory (a
// custom CompilerHost), each Program reusing the previous one's parsed files.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONTRACT = 'shared/switchboard-api.ts';
const EVENTS = 'shared/engine-state.ts';
const SCHEMAS = 'electron/engine/api/api-param-schemas.ts';
const HANDLERS = 'electron/engine/api/api-handlers.ts';
const WS_CONNECTION = 'electron/engine/api/websocket-connection.ts';

/** Files that must compile cleanly as the contract stands: the contract, its dispatch, handlers and transports. */
const CONTRACT_FILES = [
  CONTRACT,
  SCHEMAS,
  'electron/engine/api/dispatch-api-call.ts',
  'electron/engine/api/websocket-route.ts',
  WS_CONNECTION,
  HANDLERS,
  ...sourcesIn('shared/transports'),
  ...sourcesIn('electron/preload'),
];
const WEB_FILES = [CONTRACT, ...sourcesIn('shared/transports'), 'renderer/src/api/api-hub.ts'];

function sourcesIn(folder: string): string[] {
  const dir = join(ROOT, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name))
    .map((name) => `${folder}/${name}`);
}

/** Inserts `text` right after `anchor`, failing loudly when the anchor moved (so no case passes vacuously). */
function insertAfter(source: string, anchor: string, text: string): string {
  const at = source.indexOf(anchor);
  if (at === -1) throw new Error(`anchor not found: ${anchor}`);
  return source.slice(0, at + anchor.length) + text + source.slice(at + anchor.length);
}

interface Compiler {
  /** Diagnostics (syntactic and semantic) of `files`, with the given files' text replaced. */
  diagnostics(files: readonly string[], overrides?: Record<string, string>): Diagnostic[];
}

interface Diagnostic {
  file: string;
  line: number;
  /** The source line the diagnostic points at. */
  lineText: string;
  message: string;
}

/**
 * A compiler with `configFile`'s options whose roots are `roots` (their imports come along): the
 * whole project would be parsed for nothing, as diagnostics are only asked of a few files.
 */
function createCompiler(configFile: string, roots: readonly string[]): Compiler {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, configFile),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const base = ts.createCompilerHost(config.options, true);
  const cache = new Map<string, ts.SourceFile>();
  let overrides = new Map<string, string>();
  const host: ts.CompilerHost = {
    ...base,
    fileExists: (name) => overrides.has(ts.sys.resolvePath(name)) || base.fileExists(name),
    readFile: (name) => overrides.get(ts.sys.resolvePath(name)) ?? base.readFile(name),
    getSourceFile(name, languageVersion, onError) {
      const path = ts.sys.resolvePath(name);
      const text = overrides.get(path);
      if (text !== undefined) return ts.createSourceFile(name, text, languageVersion, true);
      let file = cache.get(path);
      if (!file) {
        file = base.getSourceFile(name, languageVersion, onError);
        if (file) cache.set(path, file);
      }
      return file;
    },
  };
  let program: ts.Program | undefined;
  return {
    diagnostics(files, replaced = {}) {
      overrides = new Map(Object.entries(replaced).map(([file, text]) => [join(ROOT, file), text]));
      program = ts.createProgram({ rootNames: roots.map((file) => join(ROOT, file)), options: config.options, host, oldProgram: program });
      return files.flatMap((file) => {
        const source = program!.getSourceFile(join(ROOT, file));
        if (!source) throw new Error(`${file} is not part of the program`);
        return [...program!.getSyntacticDiagnostics(source), ...program!.getSemanticDiagnostics(source)].map(toDiagnostic);
      });
    },
  };
}

function toDiagnostic(d: ts.Diagnostic): Diagnostic {
  const file = d.file!;
  const { line } = file.getLineAndCharacterOfPosition(d.start ?? 0);
  const lineText = file.text.split('\n')[line]!.trim();
  return { file: relative(ROOT, file.fileName), line: line + 1, lineText, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') };
}

let node: Compiler;
let contractText: string;
let eventsText: string;
beforeAll(() => {
  node = createCompiler('tsconfig.json', CONTRACT_FILES);
  contractText = ts.sys.readFile(join(ROOT, CONTRACT))!;
  eventsText = ts.sys.readFile(join(ROOT, EVENTS))!;
});

const NEW_METHOD = `\n  'test.addedMethod': { params: { n: number }; result: number };`;
const withMethodType = (): string => insertAfter(contractText, 'export interface ApiMethods {', NEW_METHOD);
const withMethodListed = (): string => insertAfter(withMethodType(), 'export const API_METHOD_NAMES = [', `\n  'test.addedMethod',`);

describe('the engine contract, checked by the compiler', () => {
  it('compiles cleanly as it stands (node and web configurations)', () => {
    expect(node.diagnostics(CONTRACT_FILES)).toEqual([]);
    expect(createCompiler('tsconfig.web.json', WEB_FILES).diagnostics(WEB_FILES)).toEqual([]);
  });

  it('fails at API_LISTS_COMPLETE when a method is added to ApiMethods but not to API_METHOD_NAMES', () => {
    const found = node.diagnostics([CONTRACT], { [CONTRACT]: withMethodType() });
    expect(found).toContainEqual(
      expect.objectContaining({ file: CONTRACT, lineText: expect.stringContaining('export const API_LISTS_COMPLETE'), message: expect.stringMatching(/missingMethods: "test\.addedMethod"/) }),
    );
  });

  it('fails in the param-schema table and the handlers when the method is listed but not implemented', () => {
    const found = node.diagnostics([CONTRACT, SCHEMAS, HANDLERS], { [CONTRACT]: withMethodListed() });
    expect(found.filter((d) => d.file === CONTRACT)).toEqual([]);
    expect(found).toContainEqual(expect.objectContaining({ file: SCHEMAS, message: expect.stringContaining('test.addedMethod') }));
    expect(found).toContainEqual(expect.objectContaining({ file: HANDLERS, message: expect.stringContaining('test.addedMethod') }));
  });

  it('fails at API_LISTS_COMPLETE and in the delivery tables when an event type is added to EngineEvent only', () => {
    const withEvent = insertAfter(eventsText, 'export type EngineEvent =', `\n  | { type: 'test.addedEvent'; n: number }`);
    const found = node.diagnostics([CONTRACT, WS_CONNECTION], { [EVENTS]: withEvent });
    expect(found).toContainEqual(
      expect.objectContaining({ file: CONTRACT, lineText: expect.stringContaining('export const API_LISTS_COMPLETE'), message: expect.stringMatching(/missingEvents: "test\.addedEvent"/) }),
    );
    expect(found).toContainEqual(expect.objectContaining({ file: WS_CONNECTION, message: expect.stringContaining('test.addedEvent') }));
  });
});
