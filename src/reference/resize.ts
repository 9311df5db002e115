// Float64 reference for the area-average resize (shaders/resize.wgsl): RGBA pixels (w x h, row-major) to size x size,
// as CHW planes of R, G, B (alpha ignored). Output pixel (x, y) covers source [x*w/size, (x+1)*w/size) x
// [y*h/size, (y+1)*h/size), each source pixel weighted by the area of it that the output covers. The weights are
// kept in units of 1/size pixel, integers, so every sum is exact in float64 and the mean rounds half up (Math.round)
// without float noise at exact halves: the kernel, exact in u32, must agree byte for byte.
export function resizeArea(rgba: ArrayLike<number>, w: number, h: number, size = 32): Uint8Array {
  const out = new Uint8Array(3 * size * size);
  // Per output column/row: the source indices it touches and their coverage (1-D, separable), in 1/size pixels.
  const spans = (n: number) =>
    Array.from({ length: size }, (_, o) => {
      const a = o * n;
      const b = a + n;
      const taps: [number, number][] = [];
      for (let i = Math.floor(a / size); i * size < b; i++) taps.push([i, Math.min(b, (i + 1) * size) - Math.max(a, i * size)]);
      return taps;
    });
  const xs = spans(w);
  const ys = spans(h);
  const area = w * h; // the sum of an output's weights: n per axis
  for (let oy = 0; oy < size; oy++)
    for (let ox = 0; ox < size; ox++) {
      const acc = [0, 0, 0];
      for (const [sy, wy] of ys[oy])
        for (const [sx, wx] of xs[ox]) {
          const p = (sy * w + sx) * 4;
          const wgt = wy * wx;
          acc[0] += rgba[p] * wgt;
          acc[1] += rgba[p + 1] * wgt;
          acc[2] += rgba[p + 2] * wgt;
        }
      for (let c = 0; c < 3; c++) out[c * size * size + oy * size + ox] = Math.round(acc[c] / area);
    }
  return out;
}
