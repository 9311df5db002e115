// The story of residual learning, claim by claim: each panel sets up the experiment that checks one claim.
import { BottleneckPanel } from './BottleneckPanel';
import { DeepNetPanel } from './DeepNetPanel';
import { SweepPanel } from './SweepPanel';

export function Story() {
  return (
    <div className="story" id="story">
      <SweepPanel />
      <div className="row2">
        <DeepNetPanel />
        <BottleneckPanel />
      </div>
    </div>
  );
}
