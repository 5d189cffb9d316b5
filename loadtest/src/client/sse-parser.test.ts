import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from './sse-parser.js';
import { parseStreamEvent } from './stream-event.js';

test('events split anywhere across chunks, CRLF line ends, comments and multi-line data', () => {
  const p = new SseParser();
  const text = ': keepalive\r\ndata: {"a":1}\r\n\r\nevent: x\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 3) out.push(...p.push(text.slice(i, i + 3)));
  assert.deepEqual(out, ['{"a":1}', 'line1\nline2', '[DONE]']);
  assert.deepEqual(p.end(), []);
});

test('an unterminated last event is returned at the end', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('data: {"b":2}'), []);
  assert.deepEqual(p.end(), ['{"b":2}']);
});

test('stream events: completion text, chat deltas, usage-only and error events', () => {
  assert.deepEqual(parseStreamEvent('{"choices":[{"index":0,"text":" hi"}]}'), {
    text: ' hi',
    hasChoice: true,
    usage: null,
    error: null,
  });
  const chat = parseStreamEvent('{"choices":[{"delta":{"role":"assistant","content":"yo"}}],"usage":null}');
  assert.equal(chat.text, 'yo');
  const usage = parseStreamEvent('{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9}}');
  assert.deepEqual([usage.hasChoice, usage.usage], [false, { promptTokens: 5, completionTokens: 9 }]);
  assert.equal(parseStreamEvent('{"error":{"message":"bad"}}').error, 'bad');
  assert.throws(() => parseStreamEvent('{oops'), SyntaxError);
});
