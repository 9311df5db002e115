// A chart legend's key, drawn as the line it names (lib/lineStyles.ts), not a coloured square or a CSS border.
import { DOT_RADIUS, type LineStyle } from '../lib/lineStyles';

/** A legend key drawn as its line: the same colour, dash pattern, width and dot as the series it names. */
export function LineKey({ color, style }: { color: string; style: LineStyle }) {
  return (
    <svg className="line-key" width={26} height={10} aria-hidden data-dash={style.dash ?? 'solid'} data-dot={style.dot ?? 'none'}>
      <line x1={1} x2={25} y1={5} y2={5} stroke={color} strokeWidth={style.width} strokeDasharray={style.dash} />
      {style.dot && (
        <circle cx={13} cy={5} r={DOT_RADIUS} fill={style.dot === 'filled' ? color : '#fff'} stroke={color} strokeWidth={1.5} />
      )}
    </svg>
  );
}
