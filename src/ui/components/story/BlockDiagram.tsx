// The block the user configured, drawn: its convolutions in a column, and for a residual block the shortcut
// around them joining at the addition (H(x) = F(x) + x).
export function BlockDiagram({ block, residual }: { block: 'basic' | 'bottleneck'; residual: boolean }) {
  const layers =
    block === 'bottleneck' ? ['1×1 conv, BN, ReLU', '3×3 conv, BN, ReLU', '1×1 conv, BN'] : ['3×3 conv, BN, ReLU', '3×3 conv, BN'];
  const h = 34;
  const top = 26;
  const bottom = top + layers.length * (h + 10);
  return (
    <svg
      className="block-diagram"
      viewBox={`0 0 260 ${bottom + 56}`}
      width="260"
      role="img"
      aria-label={`${residual ? 'Residual' : 'Plain'} ${block} block: ${layers.join(', then ')}${residual ? ', plus the input, then ReLU' : ', then ReLU'}`}
    >
      <text x="90" y="14" textAnchor="middle" fontSize="12">
        x
      </text>
      <line x1="90" y1="18" x2="90" y2={top} stroke="#334155" />
      {layers.map((l, i) => (
        <g key={l}>
          <rect x="10" y={top + i * (h + 10)} width="160" height={h} rx="6" fill="#eff6ff" stroke="#2563eb" />
          <text x="90" y={top + i * (h + 10) + 21} textAnchor="middle" fontSize="11">
            {l}
          </text>
          {i > 0 && <line x1="90" y1={top + i * (h + 10) - 10} x2="90" y2={top + i * (h + 10)} stroke="#334155" />}
        </g>
      ))}
      <line x1="90" y1={bottom - 10} x2="90" y2={bottom + 4} stroke="#334155" />
      {residual && (
        <>
          <path d={`M90 20 H215 V${bottom + 14} H102`} fill="none" stroke="#16a34a" strokeWidth="2" />
          <text x="220" y={(top + bottom) / 2} fontSize="11" fill="#16a34a">
            x
          </text>
          <circle cx="90" cy={bottom + 14} r="10" fill="#fff" stroke="#334155" />
          <text x="90" y={bottom + 18} textAnchor="middle" fontSize="13">
            +
          </text>
        </>
      )}
      <text x="90" y={bottom + 46} textAnchor="middle" fontSize="12">
        {residual ? 'ReLU(F(x) + x)' : 'ReLU(F(x))'}
      </text>
    </svg>
  );
}
