// The paper's Table 1, drawn from the model definition (model/table1.ts) for the depth the user picks: per stage
// its output size, one block's layers with their widths, the number of blocks, and the stage's parameters and
// multiply-adds at 224x224; residual or plain, the bottleneck's stride on its 3x3 (torchvision) or its 1x1 (paper).
import { useState } from 'react';
import { formatCount, IMAGENET_DEPTHS, table1, type StageRow } from '../../../model/counts';
import type { RunConfig } from '../../../train/protocol';
import { Panel, Segmented } from '../controls';

const INPUT = 224;

function Layers({ row }: { row: StageRow }) {
  if (row.name === 'fc') return <>{row.notes.join(', ')}</>;
  const layers = row.layers.map((l) => `${l.kernel}×${l.kernel}, ${l.channels}${l.stride > 1 ? ', stride 2' : ''}`);
  return (
    <>
      {row.notes.includes('3x3 max pool, stride 2') && <div className="muted">3×3 max pool, stride 2</div>}
      {row.blocks > 1 || row.module !== 'conv1' ? (
        <span>
          [{layers.join('; ')}] × {row.blocks}
        </span>
      ) : (
        <span>{layers[0]}</span>
      )}
      {row.notes
        .filter((n) => n !== '3x3 max pool, stride 2')
        .map((n) => (
          <div key={n} className="muted">
            {n}
          </div>
        ))}
    </>
  );
}

export function Table1Panel() {
  const [depth, setDepth] = useState('34');
  const [arch, setArch] = useState<RunConfig['model']['arch']>('residual');
  const [strideAt, setStrideAt] = useState<'3x3' | '1x1'>('1x1');
  const model: RunConfig['model'] = { arch, depth: Number(depth), family: 'imagenet', strideAt };
  const t = table1(model, INPUT);
  const name = `${arch === 'plain' ? 'plain' : 'ResNet'}-${depth}`;
  return (
    <Panel title="Table 1: the ImageNet networks" className="story-panel">
      <p className="muted">
        The paper's ImageNet family, counted from the same definition the engine builds: a 7×7 stride-2 stem and a max pool, four stages of
        64 to 512 filters (bottlenecks from 50 layers on, four times wider at their output), global average pooling and a 1000-way fc.
      </p>
      <div className="form-grid">
        <Segmented
          label="Layers"
          value={depth}
          options={IMAGENET_DEPTHS.map((d) => ({ value: String(d), label: String(d) }))}
          onChange={setDepth}
        />
        <Segmented
          label="Net"
          value={arch}
          options={[
            { value: 'residual', label: 'Residual' },
            { value: 'plain', label: 'Plain' },
          ]}
          onChange={setArch}
        />
        <Segmented
          label="Downsampling stride"
          value={strideAt}
          options={[
            {
              value: '1x1',
              label: 'on the 1×1 (paper)',
              title: 'He et al. 2015: the first 1×1 convolution of a downsampling bottleneck strides',
            },
            {
              value: '3x3',
              label: 'on the 3×3 (torchvision)',
              title: 'torchvision\'s "ResNet v1.5": the 3×3 strides, at 4x the cost of that layer',
            },
          ]}
          onChange={setStrideAt}
        />
      </div>
      <div className="table-scroll" data-overflow-ok>
        <table className="sweep-table" aria-label={`Table 1 for ${name}`} data-testid="table1">
          <thead>
            <tr>
              <th>layer</th>
              <th>output</th>
              <th>{name}</th>
              <th>params</th>
              <th>mult-adds</th>
            </tr>
          </thead>
          <tbody>
            {t.rows.map((r) => (
              <tr key={r.name} data-testid={`table1-${r.name}`}>
                <td>{r.name}</td>
                <td>{r.name === 'fc' ? '1×1' : `${r.output}×${r.output}`}</td>
                <td>
                  <Layers row={r} />
                </td>
                <td>{formatCount(r.params)}</td>
                <td>{formatCount(r.macs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        {name}: <b data-testid="table1-params">{t.params.toLocaleString('en-US')}</b> parameters (torchvision counts the same),{' '}
        <b data-testid="table1-macs">{(t.macs / 1e9).toFixed(2)}·10⁹</b> multiply-adds per {INPUT}×{INPUT} image (Table 1's "FLOPs").
      </p>
    </Panel>
  );
}
