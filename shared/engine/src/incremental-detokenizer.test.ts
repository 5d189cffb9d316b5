import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IncrementalDetokenizer, type StopStringOptions } from './incremental-detokenizer.js';
import { byteDetokenizer } from './test-support.js';

const bytes = (s: string) => [...new TextEncoder().encode(s)];
const noStop: StopStringOptions = { stop: [], includeStopStrInOutput: false, minTokens: 0 };

test('multi-byte characters split over tokens are emitted whole, never half', () => {
  const d = new IncrementalDetokenizer(byteDetokenizer(), bytes('ab'), noStop);
  const text = 'Hé€😀!';
  const deltas: string[] = [];
  for (const b of bytes(text)) {
    d.update([b], false);
    deltas.push(d.getNextOutputText(false, true));
  }
  assert.equal(deltas.join(''), text);
  assert.ok(deltas.every((s) => !s.includes('\uFFFD')));
  // The 4 bytes of the emoji produce '', '', '', then the whole character.
  const emoji = deltas.slice(6, 10);
  assert.deepEqual(emoji, ['', '', '', '😀']);
  assert.equal(d.outputText, text);
});

test('tokens decode in the context of the prompt tail (leading spaces survive)', () => {
  // A decoder that, like SentencePiece, drops the leading space of the first piece.
  const pieces = ['▁Hello', '▁world', '!'];
  const spm = {
    decode: (ids: number[]) =>
      ids
        .map((i) => pieces[i])
        .join('')
        .replaceAll('▁', ' ')
        .replace(/^ /, ''),
  };
  const d = new IncrementalDetokenizer(spm, [0], noStop);
  d.update([1], false);
  d.update([2], false);
  assert.equal(d.outputText, ' world!');
});

test('a stop string cuts the text before it, or after it when included', () => {
  const run = (include: boolean) => {
    const d = new IncrementalDetokenizer(byteDetokenizer(), [], {
      stop: ['STOP'],
      includeStopStrInOutput: include,
      minTokens: 0,
    });
    let stop: string | null = null;
    for (const b of bytes('hello STOP more')) {
      stop = d.update([b], false);
      if (stop !== null) break;
    }
    return { stop, text: d.getNextOutputText(true, false) };
  };
  assert.deepEqual(run(false), { stop: 'STOP', text: 'hello ' });
  assert.deepEqual(run(true), { stop: 'STOP', text: 'hello STOP' });
});

test('stop strings spanning tokens are found; the earliest of several wins', () => {
  const det = byteDetokenizer(['ST', 'OP and E', 'ND']);
  const d = new IncrementalDetokenizer(det, [], {
    stop: ['END', 'STOP'],
    includeStopStrInOutput: false,
    minTokens: 0,
  });
  assert.equal(d.update([...bytes('x '), 256], false), null);
  assert.equal(d.update([257, 258], false), 'STOP');
  assert.equal(d.outputText, 'x ');
});

test('streamed text holds back the last (longest stop - 1) characters until finished', () => {
  const d = new IncrementalDetokenizer(byteDetokenizer(), [], {
    stop: ['<end>'],
    includeStopStrInOutput: false,
    minTokens: 0,
  });
  const deltas: string[] = [];
  for (const b of bytes('ab<en')) {
    d.update([b], false);
    deltas.push(d.getNextOutputText(false, true));
  }
  assert.equal(deltas.join(''), 'a');
  d.update(bytes('x'), false);
  assert.equal(d.getNextOutputText(false, true), 'b');
  assert.equal(d.getNextOutputText(true, true), '<enx');
});

test('stop strings are ignored until min_tokens are generated', () => {
  const d = new IncrementalDetokenizer(byteDetokenizer(), [], {
    stop: ['a'],
    includeStopStrInOutput: false,
    minTokens: 2,
  });
  assert.equal(d.update(bytes('a'), false), null);
  assert.equal(d.update(bytes('b'), false), null);
  assert.equal(d.update(bytes('a'), false), 'a');
  assert.equal(d.outputText, 'ab');
});

test('a stop token is left out of the text unless include_stop_str_in_output', () => {
  const det = byteDetokenizer(['<|eot|>']);
  const out = (include: boolean) => {
    const d = new IncrementalDetokenizer(det, [], {
      stop: [],
      includeStopStrInOutput: include,
      minTokens: 0,
    });
    d.update([...bytes('hi'), 256], true);
    return d.outputText;
  };
  assert.equal(out(false), 'hi');
  assert.equal(out(true), 'hi<|eot|>');
});
