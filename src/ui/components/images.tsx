// CIFAR images (3072 bytes each: R, G, B planes of 32x32, row-major) drawn to canvases.
import { useEffect, useRef } from 'react';

const SIDE = 32;
const PLANE = SIDE * SIDE;

/** Draws image `index` of `pixels` (CHW bytes) into `ctx` at (x, y). */
export function drawChw(ctx: CanvasRenderingContext2D, pixels: Uint8Array, index: number, x = 0, y = 0): void {
  const img = ctx.createImageData(SIDE, SIDE);
  const base = index * 3 * PLANE;
  for (let i = 0; i < PLANE; i++) {
    img.data[4 * i] = pixels[base + i];
    img.data[4 * i + 1] = pixels[base + PLANE + i];
    img.data[4 * i + 2] = pixels[base + 2 * PLANE + i];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, x, y);
}

/** One 32x32 image, scaled up by CSS with crisp pixels. */
export function CifarImage({ pixels, index, label, size = 64 }: { pixels: Uint8Array; index: number; label: string; size?: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (ctx && pixels.length >= (index + 1) * 3 * PLANE) drawChw(ctx, pixels, index);
  }, [pixels, index]);
  return (
    <canvas ref={ref} className="cifar" width={SIDE} height={SIDE} style={{ width: size, height: size }} role="img" aria-label={label} />
  );
}
