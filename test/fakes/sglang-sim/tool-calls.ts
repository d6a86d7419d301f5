// Tool calls as SGLang 0.5.3.post1 makes them (python/sglang/srt/entrypoints/openai/serving_chat.py,
// function_call/base_format_detector.py, protocol.py ToolCall/FunctionResponse), for a server launched
// with --tool-call-parser and a request with `tools` and tool_choice other than "none".
//
// When the fake model calls a tool (the trigger, documented in README.md): tool_choice "required" or
// {type: "function", function: {name}} (SGLang constrains the output to a call with a JSON schema, so a
// real model always calls one: the first tool or the named one); or, with "auto" (the default with
// tools), when the last message is the user's and its text names one of the tools as a word (the first
// such tool). The arguments are made from the tool's `parameters.properties`: strings "Paris", numbers
// 1, booleans true, arrays [], objects {}, anything else null. Otherwise the model answers in text.
import { uuidHex } from './http-io.js';

type Body = Record<string, unknown>;

/** One planned tool call and how the fake model's tokens spell it. */
export interface PlannedToolCall {
  /** `call_` + 24 hex digits (`_process_tool_call_id`, every parser but kimi_k2). */
  id: string;
  name: string;
  /** `json.dumps(arguments, ensure_ascii=False)` (parse_base_json): `{"city": "Paris"}`. */
  arguments: string;
  /**
   * The non-streaming `index`: parse_base_json's ToolCallItem(tool_index=-1) for a parsed call ("auto"),
   * the position in the JSON array (0) for a constrained one ("required", named).
   */
  index: number;
  /**
   * The model's output, one entry per token before its EOS: the first spells `{"name": "<name>",
   * "arguments": ` (the parser's name chunk), the others the arguments, about 4 characters each.
   */
  tokens: string[];
}

/** The `_validate_request` message for a tool_choice the tools do not allow, else undefined. */
export function toolChoiceError(body: Body): string | undefined {
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const choice = body.tool_choice;
  if (typeof choice === 'string' && choice.toLowerCase() === 'required' && tools.length === 0) return 'Tools cannot be empty if tool choice is set to required.';
  if (choice !== null && choice !== undefined && typeof choice !== 'string') {
    if (tools.length === 0) return 'Tools cannot be empty if tool choice is set to a specific tool.';
    const name = namedChoice(choice);
    if (!tools.some((tool) => functionOf(tool)?.name === name)) return `Tool '${name}' not found in tools list.`;
  }
  return undefined;
}

/** True when SGLang passes the request's tools to the template (`request.tools and tool_choice != "none"`). */
export function toolsInPrompt(body: Body): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0 && body.tool_choice !== 'none';
}

/** The call the fake model makes for this request, or null when it answers in text. */
export function planToolCall(parser: string | null, body: Body, messages: readonly unknown[]): PlannedToolCall | null {
  if (!parser || !toolsInPrompt(body)) return null;
  const functions = (body.tools as unknown[]).map(functionOf).filter((fn): fn is Body & { name: string } => fn !== undefined);
  const choice = body.tool_choice;
  let chosen: (Body & { name: string }) | undefined;
  let index = -1;
  if (choice === 'required') {
    chosen = functions[0];
    index = 0;
  } else if (choice !== null && choice !== undefined && typeof choice !== 'string') {
    chosen = functions.find((fn) => fn.name === namedChoice(choice));
    index = 0;
  } else {
    const last = messages.at(-1) as Body | undefined;
    const text = last?.role === 'user' ? textOf(last.content) : '';
    chosen = functions.find((fn) => new RegExp(`\\b${escapeRegExp(fn.name)}\\b`).test(text));
  }
  if (!chosen) return null;
  const args = argumentsJson(chosen.parameters);
  const tokens = [`{"name": ${JSON.stringify(chosen.name)}, "arguments": `];
  for (let at = 0; at < args.length; at += 4) tokens.push(args.slice(at, at + 4));
  return { id: `call_${uuidHex().slice(0, 24)}`, name: chosen.name, arguments: args, index, tokens };
}

function argumentsJson(parameters: unknown): string {
  const properties = (parameters as Body | undefined)?.properties;
  if (!properties || typeof properties !== 'object') return '{}';
  const entries = Object.entries(properties as Record<string, Body | undefined>).map(([key, schema]) => `${JSON.stringify(key)}: ${JSON.stringify(sampleValue(schema?.type))}`);
  // Python's json.dumps separators: ", " and ": ".
  return `{${entries.join(', ')}}`;
}

function sampleValue(type: unknown): unknown {
  switch (type) {
    case 'string':
      return 'Paris';
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
  }
  return null;
}

function functionOf(tool: unknown): (Body & { name: string }) | undefined {
  const fn = (tool as Body | null)?.function as Body | undefined;
  return fn && typeof fn.name === 'string' ? (fn as Body & { name: string }) : undefined;
}

function namedChoice(choice: unknown): string {
  return String(((choice as Body).function as Body | undefined)?.name ?? '');
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (typeof (part as Body | null)?.text === 'string' ? (part as Body).text : '')).join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
