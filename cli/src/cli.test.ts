import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const main = fileURLToPath(new URL('./main.js', import.meta.url));
const stories = fileURLToPath(new URL('../../models/stories260K/', import.meta.url));
const golden = JSON.parse(fs.readFileSync(path.join(stories, 'golden.json'), 'utf8')) as {
  cases: {
    prompt: string;
    prompt_token_ids: number[];
    greedy_token_ids: number[];
    completion_text: string;
  }[];
};
/** run.c -n 64 counts prompt positions (BOS included) and generated tokens together. */
const STEPS = 64;

async function pdserve(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [main, ...args]);
  return stdout;
}

describe('pdserve generate reproduces golden.json from all three formats', () => {
  let dir: string;
  const tokenizer = path.join(stories, 'tok512.bin');
  const models: Record<string, () => string> = {
    llama2c: () => path.join(stories, 'stories260K.bin'),
    hf: () => path.join(dir, 'hf'),
    gguf: () => path.join(dir, 'stories.gguf'),
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdserve-cli-'));
    const src = ['--model', models.llama2c!(), '--tokenizer', tokenizer];
    await pdserve('convert', ...src, '--to', 'hf', '--out', models.hf!(), '--dtype', 'f32');
    await pdserve('convert', ...src, '--to', 'gguf', '--out', models.gguf!(), '--dtype', 'f32');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const format of Object.keys(models)) {
    test(`${format}: every case's greedy token ids`, async () => {
      for (const c of golden.cases) {
        const maxTokens = STEPS - c.prompt_token_ids.length + 1;
        const out = JSON.parse(
          await pdserve(
            'generate',
            '--model',
            models[format]!(),
            '--tokenizer',
            tokenizer,
            '--prompt',
            c.prompt,
            '--max-tokens',
            String(maxTokens),
            '--temperature',
            '0',
            '--json',
          ),
        ) as { prompt_token_ids: number[]; token_ids: number[]; text: string; finish_reason: string };
        assert.deepEqual(out.prompt_token_ids, c.prompt_token_ids, `${format} "${c.prompt}" prompt ids`);
        assert.deepEqual(out.token_ids, c.greedy_token_ids, `${format} "${c.prompt}" generated ids`);
        assert.equal(out.finish_reason, c.greedy_token_ids.at(-1) === 1 ? 'stop' : 'length');
      }
    });
  }
});

describe('pdserve reports bad input clearly', () => {
  test('a missing model file names the path', async () => {
    await assert.rejects(
      pdserve('generate', '--model', '/nonexistent/model.bin', '--prompt', 'x'),
      (e: Error & { stderr: string }) => {
        assert.match(e.stderr, /\/nonexistent\/model\.bin/);
        return true;
      },
    );
  });
  test('a truncated checkpoint is refused, naming the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdserve-cli-'));
    try {
      const bad = path.join(dir, 'cut.bin');
      fs.writeFileSync(bad, fs.readFileSync(path.join(stories, 'stories260K.bin')).subarray(0, 5000));
      await assert.rejects(
        pdserve('generate', '--model', bad, '--tokenizer', path.join(stories, 'tok512.bin'), '--prompt', 'x'),
        (e: Error & { stderr: string }) => {
          assert.match(e.stderr, /cut\.bin/);
          assert.match(e.stderr, /truncat/i);
          return true;
        },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  test('negative max tokens and unknown dtypes are refused', async () => {
    for (const args of [
      ['--max-tokens', '-3'],
      ['--dtype', 'q4'],
      ['--temperature', 'hot'],
    ]) {
      await assert.rejects(
        pdserve('generate', '--model', 'x', '--prompt', 'x', ...args),
        (e: Error & { stderr: string }) => {
          assert.match(e.stderr, /invalid/);
          return true;
        },
      );
    }
  });
});
