// Float64 reference of shaders/upsample.wgsl: bilinear enlargement of square planes as PyTorch's
// F.interpolate(mode='bilinear', align_corners=False) computes it.

/** Source index pair and weight of output coordinate d. */
function source(d: number, sizeIn: number, sizeOut: number): [number, number, number] {
  const s = Math.max((d + 0.5) * (sizeIn / sizeOut) - 0.5, 0);
  const i0 = Math.min(Math.floor(s), sizeIn - 1);
  return [i0, Math.min(i0 + 1, sizeIn - 1), s - i0];
}

/** [planes, sizeOut, sizeOut] from [planes, sizeIn, sizeIn]. */
export function upsample(src: ArrayLike<number>, planes: number, sizeIn: number, sizeOut: number): Float64Array {
  const out = new Float64Array(planes * sizeOut * sizeOut);
  for (let p = 0; p < planes; p++)
    for (let oy = 0; oy < sizeOut; oy++) {
      const [y0, y1, wy] = source(oy, sizeIn, sizeOut);
      for (let ox = 0; ox < sizeOut; ox++) {
        const [x0, x1, wx] = source(ox, sizeIn, sizeOut);
        const at = (y: number, x: number) => src[(p * sizeIn + y) * sizeIn + x];
        const top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * wx;
        const bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * wx;
        out[(p * sizeOut + oy) * sizeOut + ox] = top + (bottom - top) * wy;
      }
    }
  return out;
}
