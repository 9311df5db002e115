// Bottlenecks by the numbers: the weights of one block as two 3x3 layers and as a 1x1-3x3-1x1 bottleneck,
// counted live (model/counts.ts) for the channels the user picks; the ResNet-164 preset with its parameter count.
import { useState } from 'react';
import { blockWeights, countParams, RESNET164, type BlockSpec } from '../../../model/counts';
import { RESNET164_RECIPE } from '../../lib/formConfig';
import { useApp } from '../../store';
import { NumberField, Panel } from '../controls';

function BlockRows({ spec, title }: { spec: BlockSpec; title: string }) {
  const b = blockWeights(spec);
  return (
    <div className="story-block">
      <h3>{title}</h3>
      <ul>
        {b.layers.map((l) => (
          <li key={l.name}>
            {l.kernel}×{l.kernel}×{l.cin}×{l.cout} = {l.weights.toLocaleString('en-US')}
          </li>
        ))}
      </ul>
      <p>
        Total: <b data-testid={`weights-${spec.block}`}>{b.total.toLocaleString('en-US')}</b> weights
      </p>
    </div>
  );
}

export function BottleneckPanel() {
  const setForm = useApp((s) => s.setForm);
  const [channels, setChannels] = useState(256);
  const [inner, setInner] = useState(64);
  const basic = blockWeights({ channels, block: 'basic' }).total;
  const bottle = blockWeights({ channels, block: 'bottleneck', inner }).total;
  const r164 = countParams(RESNET164).trainable;
  return (
    <Panel title="Bottlenecks by the numbers" className="story-panel">
      <p className="muted">
        A block that keeps {channels} channels can use two 3×3 convolutions, or shrink to {inner} channels with a 1×1, run the 3×3 there and
        grow back with another 1×1.
      </p>
      <div className="form-grid">
        <NumberField id="bn-channels" label="Block channels" value={channels} integer min={1} max={4096} onChange={setChannels} />
        <NumberField id="bn-inner" label="Bottleneck width" value={inner} integer min={1} max={4096} onChange={setInner} />
      </div>
      <div className="story-compare">
        <BlockRows spec={{ channels, block: 'basic' }} title="Two 3×3 layers" />
        <BlockRows spec={{ channels, block: 'bottleneck', inner }} title="Bottleneck" />
      </div>
      <p>
        The bottleneck needs {(basic / bottle).toFixed(1)}× fewer weights ({((100 * bottle) / basic).toFixed(1)}%).
      </p>
      <p>
        Bottleneck ResNet-164 (n = 18, depth 9n+2): <b>{r164.toLocaleString('en-US')}</b> parameters.{' '}
        <button type="button" className="chip" onClick={() => setForm(RESNET164_RECIPE)}>
          Use ResNet-164
        </button>
      </p>
    </Panel>
  );
}
