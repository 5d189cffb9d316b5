/** Thrown when the report lacks the charts asked for. */
export class ReportChartsMissingError extends Error {
  override readonly name = 'ReportChartsMissingError';
}

/**
 * The SVG charts of a pdserve-bench HTML report's section headed `heading`, each made standalone:
 * the page's `svg ...` style rules are copied into the SVG, so it renders the same outside the
 * page (docs, image viewers).
 */
export function reportSvgs(html: string, heading: string): string[] {
  const start = html.indexOf(`<h2>${heading}</h2>`);
  if (start < 0) throw new ReportChartsMissingError(`the report has no section '${heading}'`);
  const next = html.indexOf('<h2>', start + 4);
  const section = html.slice(start, next < 0 ? undefined : next);
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
  const rules = style
    .split('\n')
    .filter((l) => l.startsWith('svg'))
    .join('\n');
  const svgs = section.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  if (svgs.length === 0) throw new ReportChartsMissingError(`section '${heading}' has no chart`);
  return svgs.map((svg) => {
    const title = svg.indexOf('</title>');
    const open = title < 0 ? svg.indexOf('>') + 1 : title + '</title>'.length; // the title stays first
    const background = '<rect width="100%" height="100%" fill="#fff"/>';
    return `${svg.slice(0, open)}<style>\n${rules}\ntext { font-family: system-ui, sans-serif; }\n</style>${background}${svg.slice(open)}\n`;
  });
}
