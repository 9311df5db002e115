// Numbers and durations for people.

export const pct = (x: number | undefined, digits = 1) => (x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`);

export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n) || n <= 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) [n, i] = [n / 1024, i + 1];
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (v: number) => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

export function rate(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  return x >= 100 ? String(Math.round(x)) : x.toFixed(1);
}

export const loss = (x: number | undefined) => (x === undefined ? '—' : Number.isFinite(x) ? x.toFixed(3) : String(x));
