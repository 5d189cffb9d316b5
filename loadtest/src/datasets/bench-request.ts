/** One request of a dataset: the prompt and the lengths it was drawn with. */
export interface BenchRequest {
  /** The prompt text (roughly `promptLen` tokens on the server's tokenizer). */
  prompt: string;
  /** The drawn input length in tokens (the server's usage may differ slightly). */
  promptLen: number;
  /** The drawn output length: sent as max_tokens. */
  outputLen: number;
  /** Which part of the dataset it came from: 'random', 'prefix-3', 'long', 'chat', 'sharegpt'. */
  tag: string;
}
