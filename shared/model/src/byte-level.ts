/**
 * GPT-2's byte-level alphabet: every byte maps to one printable code point (printable Latin-1 bytes
 * map to themselves, the rest to U+0100 upwards), so byte-level BPE vocabularies are plain strings.
 */
function buildTable(): { toChar: string[]; toByte: Map<string, number> } {
  const direct = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const toChar: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) toChar[b] = String.fromCodePoint(direct(b) ? b : 256 + extra++);
  return { toChar, toByte: new Map(toChar.map((c, b) => [c, b])) };
}

const table = buildTable();

export const ByteLevel = {
  /** The alphabet symbol of one byte. */
  byteChar(b: number): string {
    return table.toChar[b];
  },

  /** Byte-level form of UTF-8 text. */
  encode(text: string): string {
    let out = '';
    for (const b of new TextEncoder().encode(text)) out += table.toChar[b];
    return out;
  },

  /** UTF-8 bytes of a byte-level string (characters outside the alphabet are taken as UTF-8). */
  toBytes(s: string): Uint8Array {
    const out: number[] = [];
    for (const ch of s) {
      const b = table.toByte.get(ch);
      if (b !== undefined) out.push(b);
      else out.push(...new TextEncoder().encode(ch));
    }
    return new Uint8Array(out);
  },
};
