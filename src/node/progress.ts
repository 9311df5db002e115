// The trainer's progress line on stderr: steps done, loss and accuracy of the last batch, images per second and
// the time left. On a terminal it redraws one line (at most 10 times a second); into a file or pipe it writes a
// line every few seconds, so logs stay short.

export interface ProgressState {
  step: number;
  total: number;
  epoch: number;
  loss: number;
  acc: number;
  /** Images per second over the steps done so far. */
  rate: number;
  etaMs: number;
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const two = (v: number) => String(v).padStart(2, '0');
  const h = Math.floor(s / 3600);
  return h > 0 ? `${h}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}` : `${two(Math.floor(s / 60))}:${two(s % 60)}`;
}

/** One progress line, e.g. `[#####---------------]  120/1170 steps  ep 0.31  loss 1.832  acc 34.4%  412 img/s  ETA 02:31`. */
export function progressLine(p: ProgressState, width = 20): string {
  const frac = p.total > 0 ? Math.min(1, p.step / p.total) : 0;
  const filled = Math.round(frac * width);
  const digits = String(p.total).length;
  return [
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`,
    `${String(p.step).padStart(digits)}/${p.total} steps`,
    `ep ${p.epoch.toFixed(2)}`,
    `loss ${Number.isFinite(p.loss) ? p.loss.toFixed(3) : String(p.loss)}`,
    `acc ${(p.acc * 100).toFixed(1)}%`,
    `${p.rate >= 100 ? Math.round(p.rate) : p.rate.toFixed(1)} img/s`,
    `ETA ${duration(p.etaMs)}`,
  ].join('  ');
}

export class ProgressBar {
  private last = -Infinity;
  private shown = false;

  private readonly tty: boolean;
  private readonly everyMs: number;

  /** `enabled` false: update() draws nothing (log() still writes). */
  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly enabled = true,
  ) {
    this.tty = out.isTTY;
    this.everyMs = this.tty ? 100 : 5000;
  }

  update(p: ProgressState, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.last < this.everyMs) return;
    this.last = now;
    const line = progressLine(p);
    if (this.tty) this.out.write(`\r${line}\x1b[K`);
    else this.out.write(`${line}\n`);
    this.shown = true;
  }

  /** Ends the redrawn line, so what is written next starts on its own line. */
  finish(): void {
    if (this.tty && this.shown) this.out.write('\n');
    this.shown = false;
  }

  /** A message on its own line, the progress line redrawn after it. */
  log(text: string): void {
    if (this.tty && this.shown) this.out.write('\r\x1b[K');
    this.out.write(`${text}\n`);
    this.last = -Infinity;
  }
}
