// Small form primitives: a segmented radio group and a number field that tolerates half-typed input.
import { useId, useState, type ReactNode } from 'react';
import { INPUT_SIZES } from '../lib/formConfig';

export function Panel({
  title,
  actions,
  children,
  className,
  labelledBy,
}: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  labelledBy?: string;
}) {
  const id = useId();
  return (
    <section className={`panel ${className ?? ''}`} aria-labelledby={labelledBy ?? id}>
      <header className="panel-head">
        <h2 id={id}>{title}</h2>
        {actions && <div className="panel-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

export interface Option<T extends string> {
  value: T;
  label: string;
  title?: string;
}

/** A radio group drawn as a segmented control; the arrow keys move between options. */
export function Segmented<T extends string>({
  label,
  value,
  options,
  onChange,
  disabled,
  hideLabel,
}: {
  label: string;
  value: T;
  options: Option<T>[];
  onChange: (v: T) => void;
  disabled?: boolean;
  hideLabel?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <span id={id} className={hideLabel ? 'sr-only' : 'field-label'}>
        {label}
      </span>
      <div className="seg" role="radiogroup" aria-labelledby={id}>
        {options.map((o) => (
          <label key={o.value} className={`seg-opt ${o.value === value ? 'on' : ''} ${disabled ? 'disabled' : ''}`} title={o.title}>
            <input
              type="radio"
              name={id}
              value={o.value}
              checked={o.value === value}
              disabled={disabled}
              onChange={() => onChange(o.value)}
            />
            <span>{o.label}</span>
          </label>
        ))}
      </div>
    </div>
  );
}

interface NumberProps {
  value: number;
  onChange: (v: number) => void;
  min?: number;
  max?: number;
  step?: number | 'any';
  integer?: boolean;
  hint?: string;
  id?: string;
}

const accepts = (p: NumberProps, text: string) => {
  const v = Number(text);
  return (
    text.trim() !== '' &&
    Number.isFinite(v) &&
    (!p.integer || Number.isInteger(v)) &&
    (p.min === undefined || v >= p.min) &&
    (p.max === undefined || v <= p.max)
  );
};

/** A number input that keeps what the user typed until it parses; reports only valid numbers. */
export function NumberInput(p: NumberProps) {
  const { value, onChange, min, max, step, integer, hint, id } = p;
  const [text, setText] = useState(String(value));
  // A new value from outside (a preset, the URL) replaces the text unless the text already says it; adjusted
  // while rendering, as React advises, rather than in an effect that would render twice.
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    if (Number(text) !== value) setText(String(value));
  }
  const valid = accepts(p, text);
  return (
    <input
      id={id}
      type="number"
      inputMode={integer ? 'numeric' : 'decimal'}
      value={text}
      min={min}
      max={max}
      step={step ?? (integer ? 1 : 'any')}
      aria-invalid={!valid}
      title={hint}
      onChange={(e) => {
        setText(e.target.value);
        if (accepts(p, e.target.value)) onChange(Number(e.target.value));
      }}
      onBlur={() => !valid && setText(String(value))}
    />
  );
}

export function NumberField({ label, ...p }: NumberProps & { label: string }) {
  const autoId = useId();
  const id = p.id ?? autoId;
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <NumberInput {...p} id={id} />
    </div>
  );
}

/** The input size of a run (RunConfig.imageSize): CIFAR's 32x32 images are enlarged to it on the GPU (bilinear). */
export function InputSizeSelect({ id, value, onChange }: { id: string; value: number; onChange: (size: number) => void }) {
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        Input size
      </label>
      <select id={id} value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {INPUT_SIZES.map((s) => (
          <option key={s} value={s}>
            {s}×{s}
          </option>
        ))}
      </select>
      <span className="hint">The 32×32 images are enlarged to it (bilinear), as pretrained ImageNet nets expect larger inputs.</span>
    </div>
  );
}
