/** Series colours (distinguishable, colour-blind friendly), reused in order. */
export const PALETTE: readonly string[] = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#f0e442',
  '#000000',
];

/** The colour of series i. */
export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}
