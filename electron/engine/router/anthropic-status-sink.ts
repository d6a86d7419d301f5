import type { ServerResponse } from 'node:http';
import type { LoadingMessageStyle } from '../../../shared/catalog-schema.js';
import { anthropicError, anthropicErrorEvent } from './anthropic-error.js';
import { messageStartOnce, sseEvent, type AnthropicStreamState } from './anthropic-stream.js';
import { openStatusStream, sseComment, type StatusSink } from './loading-reporter.js';
import { writeChunk } from './write-chunk.js';

/**
 * Status lines on an Anthropic Messages stream. `message_start` goes out at once, then in style
 * `content` a text block and in style `reasoning` a thinking block (signature "": it is no model's
 * thinking, and the router drops thinking blocks a client sends back) holds the lines, closed when
 * the model is ready; the answer's blocks follow with the next indexes. `comment` sends SSE comments
 * and `none` sends `ping` events, which Anthropic clients skip, so proxies see bytes either way. A
 * failed switch ends with an `error` event (api_error) after the last line.
 */
export function anthropicStatusSink(res: ServerResponse, state: AnthropicStreamState, style: LoadingMessageStyle): StatusSink {
  let openIndex: number | null = null;
  const isBlockStyle = style === 'content' || style === 'reasoning';
  return {
    begin() {
      // A request sent again after its server crashed already had its head and message_start.
      openStatusStream(res);
      writeChunk(res, messageStartOnce(state));
    },
    line(marked, text, isLast) {
      if (!isBlockStyle) {
        writeChunk(res, style === 'comment' ? sseComment(text) : sseEvent('ping', {}));
        return;
      }
      let out = '';
      if (openIndex === null) {
        openIndex = state.nextIndex++;
        const block = style === 'content' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
        out += sseEvent('content_block_start', { index: openIndex, content_block: block });
      }
      const delta = style === 'content' ? { type: 'text_delta', text: marked } : { type: 'thinking_delta', thinking: marked };
      out += sseEvent('content_block_delta', { index: openIndex, delta });
      if (isLast) {
        out += sseEvent('content_block_stop', { index: openIndex });
        openIndex = null;
      }
      writeChunk(res, out);
    },
    fail(failure) {
      writeChunk(res, anthropicErrorEvent(anthropicError(503, `${failure.message} — ${failure.hint}`)));
      res.end();
    },
  };
}
