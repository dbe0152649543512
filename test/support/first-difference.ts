// Where two results differ, as one short line. `expect(a).toEqual(b)` on a failure prints a diff
// of every element, which for the weights of a 784-100-10 network takes minutes. With trainStep's
// or predict's closing barrier removed, scripts/mutate-kernels.mjs saw threads.test.ts fail after
// 335–347 s that way; by hand, `npx vitest run --project simd --bail 1 test/threads.test.ts`
// failed after 3.4 s this way. sparse-engine.test.ts's weight bits, with the gathered step
// reading the wrong rows (`npx vitest run --project simd test/sparse-engine.test.ts`, by hand):
// 635 s that way, 3.0 s this way. Both with a mutation run beside them.
// Numbers compare by Object.is, as toEqual's do: NaN equals NaN, 0 differs from −0.

/** The path and the two values of the first difference between a and b, or undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown, path = 'result'): string | undefined {
  if (Object.is(a, b)) return undefined;
  const isList = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || ArrayBuffer.isView(v);
  if (isList(a) && isList(b)) {
    if (a.constructor !== b.constructor) return `${path}: a ${a.constructor.name} against a ${b.constructor.name}`;
    if (a.length !== b.length) return `${path}: ${a.length} entries against ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const found = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && !isList(a) && !isList(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }
  const show = (v: unknown) => (Object.is(v, -0) ? '-0' : String(v));
  return `${path}: ${show(a)} against ${show(b)}`;
}
