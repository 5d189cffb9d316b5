import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Test-only helpers: where the checked-in stories260K files are, and scratch directories. */
export const TestFixtures = {
  /** models/stories260K at the repository root, found from this compiled file's location. */
  storiesDir(): string {
    return fileURLToPath(new URL('../../../models/stories260K/', import.meta.url));
  },

  storiesModel(): string {
    return path.join(TestFixtures.storiesDir(), 'stories260K.bin');
  },

  storiesTokenizer(): string {
    return path.join(TestFixtures.storiesDir(), 'tok512.bin');
  },

  golden(): GoldenFile {
    return JSON.parse(
      fs.readFileSync(path.join(TestFixtures.storiesDir(), 'golden.json'), 'utf8'),
    ) as GoldenFile;
  },

  /** A fresh directory under os.tmpdir(); remove it with `fs.rmSync(dir, { recursive: true })`. */
  tempDir(prefix = 'pdserve-model-'): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  },
};

/** The parts of golden.json the tokenizer tests use. */
export interface GoldenFile {
  cases: {
    prompt: string;
    prompt_token_ids: number[];
    greedy_token_ids: number[];
    stop_reason: string;
    text: string;
    completion_text: string;
  }[];
}
