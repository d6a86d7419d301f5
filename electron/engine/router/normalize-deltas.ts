import { parseSseData, replaceSseData } from './sse-event-splitter.js';

/** Which OpenAI stream layout the events follow. */
export type StreamKind = 'chat' | 'completions';

/** What the normalizer has concluded about one response stream. */
export type DeltaMode = 'undecided' | 'delta' | 'cumulative';

/** Per-stream rewriter of cumulative text chunks into delta chunks. */
export interface DeltaNormalizer {
  /** Takes one raw SSE event (as cut by SseEventSplitter); returns the very same Buffer when nothing changes. */
  transform(event: Buffer): Buffer;
  /** 'delta' once the stream is known to be (or fell back to) pass-through: no parsing happens any more. */
  readonly mode: DeltaMode;
}

/** The text fields of a choice, per layout: `choices[i].delta.<field>` for chat, `choices[i].<field>` for completions. */
const TEXT_FIELDS: Record<StreamKind, readonly string[]> = {
  chat: ['content', 'reasoning_content'],
  completions: ['text'],
};

/**
 * A stream with no text yet after this many JSON events (a long tool call, say) is taken as delta, so it
 * stops costing a JSON parse per chunk. Cumulative upstreams send text in their first few events.
 */
const MAX_TEXTLESS_EVENTS = 64;

/** `next` minus the `prev` it repeats, or null when `next` does not start with `prev`. */
export function cumulativeToDeltaText(prev: string, next: string): string | null {
  return next.startsWith(prev) ? next.slice(prev.length) : null;
}

/**
 * Creates the normalizer for ONE response stream (it keeps per-stream state).
 *
 * Some upstreams (older OpenAI-ish routers) send the whole text so far in every chunk, as SGLang's native
 * `/generate` does (its top-level `text` is no OpenAI layout and is not handled here). Detection is
 * automatic, per stream, per choice index and text field:
 * - the first non-empty piece of a field is passed on unchanged (it reads the same in both modes), and
 *   so is every event while undecided;
 * - if the next non-empty piece of that field starts with the first and is longer, the stream is
 *   cumulative: from then on each event is re-serialised with only the new suffix (other fields kept);
 * - otherwise (it differs, or repeats the first exactly) the stream is delta: every event is passed on
 *   as the same Buffer and no JSON is parsed any more.
 *
 * Ambiguity: a true delta stream whose second piece extends its first ("a" then "ab") looks cumulative.
 * Safeguard: in cumulative mode every piece must start with the text accumulated for its field; the
 * first piece that does not switches the stream to delta for good and that event is passed on unchanged.
 * A misread delta stream loses, from each piece before the break, the part that repeated the text so far.
 * A stream with no text in its first 64 JSON events (a long tool call) is taken as delta.
 */
export function createDeltaNormalizer(kind: StreamKind): DeltaNormalizer {
  return new CumulativeDeltaNormalizer(TEXT_FIELDS[kind], kind === 'chat');
}

type PieceVerdict = { kind: 'keep' } | { kind: 'replace'; text: string } | { kind: 'break' };

const KEEP: PieceVerdict = { kind: 'keep' };
const BREAK: PieceVerdict = { kind: 'break' };

class CumulativeDeltaNormalizer implements DeltaNormalizer {
  private currentMode: DeltaMode = 'undecided';
  /** Per `index/field`: the first piece while undecided, then the whole text so far once cumulative. */
  private readonly texts = new Map<string, string>();
  private textlessEvents = 0;

  constructor(
    private readonly fields: readonly string[],
    private readonly isChat: boolean,
  ) {}

  get mode(): DeltaMode {
    return this.currentMode;
  }

  transform(event: Buffer): Buffer {
    if (this.currentMode === 'delta') return event;
    const payload = parseJsonData(event);
    const choices = payload?.choices;
    if (!Array.isArray(choices)) {
      if (payload !== null) this.countTextless();
      return event;
    }
    let isChanged = false;
    let hasText = false;
    for (const choice of choices) {
      if (!isRecord(choice)) continue;
      const holder = this.isChat ? (isRecord(choice.delta) ? choice.delta : null) : choice;
      if (holder === null) continue;
      const index = typeof choice.index === 'number' ? choice.index : 0;
      for (const field of this.fields) {
        const piece = holder[field];
        if (typeof piece !== 'string' || piece === '') continue;
        hasText = true;
        const verdict = this.acceptPiece(`${index}/${field}`, piece);
        // A break mid-event leaves the whole event as received, like every event after it.
        if (verdict.kind === 'break') return event;
        if (verdict.kind === 'replace') {
          holder[field] = verdict.text;
          isChanged = true;
        }
      }
    }
    if (!hasText) this.countTextless();
    return isChanged ? replaceSseData(event, JSON.stringify(payload)) : event;
  }

  /** Decides what to send for one non-empty piece of one field, updating the mode. */
  private acceptPiece(key: string, piece: string): PieceVerdict {
    const prev = this.texts.get(key);
    if (this.currentMode === 'undecided') {
      if (prev === undefined) {
        this.texts.set(key, piece);
        return KEEP;
      }
      if (piece.length <= prev.length || !piece.startsWith(prev)) {
        this.switchToDelta();
        return BREAK;
      }
      this.currentMode = 'cumulative';
    }
    const suffix = cumulativeToDeltaText(prev ?? '', piece);
    if (suffix === null) {
      this.switchToDelta();
      return BREAK;
    }
    this.texts.set(key, piece);
    return { kind: 'replace', text: suffix };
  }

  private countTextless(): void {
    if (this.currentMode === 'undecided' && ++this.textlessEvents >= MAX_TEXTLESS_EVENTS) this.switchToDelta();
  }

  private switchToDelta(): void {
    this.currentMode = 'delta';
    this.texts.clear();
  }
}

/** The event's data parsed as a JSON object, or null for comments, `[DONE]`, non-objects and bad JSON. */
function parseJsonData(event: Buffer): Record<string, unknown> | null {
  const data = parseSseData(event);
  if (data === null || !data.trimStart().startsWith('{')) return null;
  try {
    const value: unknown = JSON.parse(data);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
