// Saliency on predictions: for an image of the predictions grid, the input-gradient map and Grad-CAM on the last
// stage, for the predicted class or any chosen one, overlaid on the image (src/runtime/cam.ts). In these nets global
// average pooling feeds the fc layer, so Grad-CAM on the last stage is exactly CAM: ReLU(sum_k W[c,k] A_k).
import { useEffect, useRef, useState } from 'react';
import { labMeasure, predict } from '../../actions';
import { pct } from '../../lib/format';
import { selectedRun, useApp } from '../../store';
import { busyKey, useLab, type LabSaliency } from '../../store/lab';
import { CifarImage } from '../images';
import { Segmented } from '../controls';

const SHOWN = 16;
const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** The map, side x side, as a translucent warm overlay (alpha grows with the value), scaled up smoothly by CSS. */
function Overlay({ map, side, size }: { map: number[]; side: number; size: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const max = Math.max(...map, 1e-12);
    const img = ctx.createImageData(side, side);
    map.forEach((v, i) => {
      const t = v / max;
      img.data.set([255, Math.round(220 * (1 - t)), 0, Math.round(200 * t)], 4 * i);
    });
    ctx.putImageData(img, 0, 0);
  }, [map, side]);
  return <canvas ref={ref} className="lab-cam" width={side} height={side} style={{ width: size, height: size }} aria-hidden />;
}

/** The overlay's scale: transparent at 0 to opaque red at the map's largest value, which it names. */
function OverlayScale({ map, kind }: { map: number[]; kind: 'cam' | 'grad' }) {
  const max = Math.max(...map, 0);
  return (
    <div className="overlay-scale small muted" data-testid="saliency-scale">
      <span>0</span>
      <i className="overlay-ramp" aria-hidden />
      <span>
        {max > 0 ? max.toPrecision(2) : '0'} {kind === 'cam' ? '(the map’s largest activation)' : '(the largest |∂loss/∂pixel|)'}
      </span>
    </div>
  );
}

export function Saliency() {
  const run = useApp(selectedRun);
  const predictions = useApp((s) => s.predictions);
  const predicting = useApp((s) => s.predicting);
  const bnMode = useApp((s) => s.bnMode);
  const classes = useApp((s) => s.data.summary?.classNames) ?? CLASSES;
  const results = useLab((s) => s.saliency);
  const busy = useLab((s) => s.busy);
  const [cls, setCls] = useState<number | undefined>(undefined);
  const [kind, setKind] = useState<'cam' | 'grad'>('grad');
  const live = !!run?.live && run.state !== 'building' && run.state !== 'error';
  if (!run) return <p className="muted small">Select a run.</p>;
  const shown = predictions && predictions.runId === run.id ? predictions : undefined;
  const res: LabSaliency | undefined = results[run.id];
  const pending = !!busy[busyKey('saliency', run.id)];
  const probs = res && softmax(res.logits);
  const predicted = probs ? probs.indexOf(Math.max(...probs)) : 0;
  const c = cls ?? predicted;
  return (
    <div className="lab-body">
      {!shown ? (
        <div className="lab-actions">
          <button type="button" className="small" disabled={!live || predicting} onClick={() => predict(run.id, bnMode)}>
            {predicting ? 'Predicting…' : 'Show predictions'}
          </button>
          <span className="muted small">Saliency works on the images of the predictions grid (Inspect).</span>
        </div>
      ) : (
        <>
          <p className="small" id="saliency-prompt" data-testid="saliency-prompt">
            {res
              ? 'Pick another image, or a class below.'
              : 'Pick an image: its map shows where the net looks for the class it predicts (or any class you choose).'}
          </p>
          <ul className="pred-grid" aria-label="Pick an image" aria-describedby="saliency-prompt">
            {Array.from(shown.labels.slice(0, SHOWN), (label, i) => (
              <li key={i} className={res?.index === i ? 'ok' : ''}>
                <button
                  type="button"
                  className="lab-pick"
                  disabled={!live || pending}
                  aria-label={`Image ${i + 1}: true ${classes[label]}, predicted ${classes[shown.predicted[i]]}`}
                  onClick={() => {
                    setCls(undefined);
                    labMeasure('saliency', run.id, { images: 1, index: i });
                  }}
                >
                  <CifarImage pixels={shown.pixels} index={i} size={40} label="" />
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {pending && <p className="muted small">Measuring…</p>}
      {res && probs && (
        <div className="lab-saliency" data-testid="saliency-result">
          <figure className="lab-chart" aria-label="Class activation map">
            <div className="lab-overlay">
              <CifarImage pixels={res.pixels} index={0} size={160} label={`test image ${res.index + 1}, true ${classes[res.label]}`} />
              {kind === 'cam' ? (
                <Overlay map={res.maps[c]} side={res.side} size={160} />
              ) : (
                <Overlay map={res.inputMaps[c]} side={32} size={160} />
              )}
            </div>
            <OverlayScale map={kind === 'cam' ? res.maps[c] : res.inputMaps[c]} kind={kind} />
            <figcaption className="small">
              {kind === 'cam' ? 'Where the last stage’s features vote for' : 'The pixels that most change the loss of'} <b>{classes[c]}</b>{' '}
              ({pct(probs[c])}); true class {classes[res.label]}, predicted {classes[predicted]}; step {res.step}.
            </figcaption>
          </figure>
          <div className="lab-body">
            <Segmented
              label="Map"
              value={kind}
              options={[
                { value: 'grad', label: 'Input gradient', title: 'max over colours of |d loss / d pixel|' },
                { value: 'cam', label: 'Grad-CAM', title: 'Grad-CAM on the last stage (= CAM)' },
              ]}
              onChange={setKind}
            />
            <label className="small">
              Class{' '}
              <select aria-label="Class" value={c} onChange={(e) => setCls(Number(e.target.value))}>
                {probs.map((p, k) => (
                  <option key={k} value={k}>
                    {classes[k]} {pct(p)}
                    {k === predicted ? ' (predicted)' : ''}
                  </option>
                ))}
              </select>
            </label>
            <p className="muted small">
              Input gradient (Simonyan et al. 2014): for each pixel, the largest over the colours of |∂(−log p)/∂pixel| for the chosen
              class, at full 32×32 resolution; noisy, but it needs nothing but the backward pass. Grad-CAM (Selvaraju et al. 2017) on the
              last stage: the feature maps weighted by the class score’s gradient. With global average pooling before the fc layer that
              gradient is the fc weight at every position, so this is the class activation map of Zhou et al. (2016), at the last stage’s{' '}
              {res.side}×{res.side} resolution. BN in eval mode.
            </p>
          </div>
        </div>
      )}
    </div>
  );
}
