// The analysis lab: instruments that show why residual nets train and plain ones degrade, measured by the engine
// on the GPU for the selected run and its twin. One tab per instrument (keyboard: Tab to the tab list, arrows to
// move between tabs, the panel follows).
import { useRef, type FunctionComponent, type KeyboardEvent } from 'react';
import { useLab, type LabState } from '../../store/lab';
import { BatchNormLab } from './BatchNormLab';
import { LayerResponses } from './LayerResponses';
import { LesionStudy } from './LesionStudy';
import { KernelProfile } from './KernelProfile';
import { LossLandscape } from './LossLandscape';
import { GradientFlow } from './GradientFlow';
import { Saliency } from './Saliency';
import { LabWake } from './LabWake';

const TABS: { id: LabState['tab']; name: string; Body: FunctionComponent }[] = [
  { id: 'responses', name: 'Layer responses', Body: LayerResponses },
  { id: 'lesion', name: 'Lesion study', Body: LesionStudy },
  { id: 'bn', name: 'BatchNorm lab', Body: BatchNormLab },
  { id: 'landscape', name: 'Loss landscape', Body: LossLandscape },
  { id: 'saliency', name: 'Saliency', Body: Saliency },
  { id: 'gradients', name: 'Gradient flow', Body: GradientFlow },
  { id: 'profile', name: 'Kernel profile', Body: KernelProfile },
];

export function LabPanel() {
  const tab = useLab((s) => s.tab);
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const open = (i: number) => {
    useLab.setState({ tab: TABS[i].id });
    refs.current[i]?.focus();
  };
  const onKey = (e: KeyboardEvent, i: number) => {
    const n = TABS.length;
    const to =
      e.key === 'ArrowRight' ? (i + 1) % n : e.key === 'ArrowLeft' ? (i + n - 1) % n : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    open(to);
  };
  const current = TABS.find((t) => t.id === tab) ?? TABS[0];
  return (
    <section className="panel lab-panel" aria-labelledby="lab-title">
      <header className="panel-head">
        <h2 id="lab-title">Analysis lab</h2>
        <div role="tablist" aria-label="Instruments" className="lab-tabs">
          {TABS.map((t, i) => (
            <button
              key={t.id}
              ref={(el) => void (refs.current[i] = el)}
              type="button"
              role="tab"
              id={`lab-tab-${t.id}`}
              aria-selected={t.id === current.id}
              aria-controls={`lab-panel-${t.id}`}
              tabIndex={t.id === current.id ? 0 : -1}
              className={`small ${t.id === current.id ? 'on' : ''}`}
              onClick={() => open(i)}
              onKeyDown={(e) => onKey(e, i)}
            >
              {t.name}
            </button>
          ))}
        </div>
      </header>
      <LabWake />
      <div role="tabpanel" id={`lab-panel-${current.id}`} aria-labelledby={`lab-tab-${current.id}`} tabIndex={0}>
        <current.Body />
      </div>
    </section>
  );
}
