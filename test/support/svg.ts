// The elements of the SVG documents chart.ts draws, for tests that check what is drawn where.

/** Every element of an SVG document in order: its name, attributes and the text it holds. */
export function parseSvg(svg: string): { name: string; attrs: Record<string, string>; text: string }[] {
  const out: { name: string; attrs: Record<string, string>; text: string }[] = [];
  for (const [, name, attributes, rest] of svg.matchAll(/<([a-zA-Z]+)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*="[^"]*")*)\s*(\/?>[^<]*)/g)) {
    const attrs = Object.fromEntries([...attributes.matchAll(/([a-zA-Z][a-zA-Z0-9:-]*)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    out.push({ name, attrs, text: rest.replace(/^\/?>/, '') });
  }
  return out;
}
