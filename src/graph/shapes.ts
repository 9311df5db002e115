// The error shape rules throw, and the small checks they are written with. The rules themselves sit with
// their op in the op table (ops/*.ts), checked when a node is added, so a wrong wiring fails at build time
// with the node's name instead of as garbage on the GPU.
type Shape = readonly number[];

export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function need(cond: boolean, msg: string): asserts cond {
  if (!cond) throw new ShapeError(msg);
}
export const same = (a: Shape, b: Shape) => a.length === b.length && a.every((v, i) => v === b[i]);
export const fmt = (s: Shape) => `[${s.join(',')}]`;

/** A per-channel parameter of x [N, C, ...] must be [C]. */
export const needPerChannel = (x: Shape, p: Shape | undefined, what: string) =>
  need(!!p && p.length === 1 && p[0] === x[1], `${what} must be [${x[1]}], got ${p && fmt(p)}`);
