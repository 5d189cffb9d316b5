/** A prompt as the gateway sends it: token ids, plus the text they came from (for echo). */
export interface TokenizedPrompt {
  tokenIds: number[];
  text: string;
}
