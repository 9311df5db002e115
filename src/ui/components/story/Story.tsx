// The story of residual learning, claim by claim: each panel sets up the experiment that checks one claim.
import { BottleneckPanel } from './BottleneckPanel';
import { DeepNetPanel } from './DeepNetPanel';
import { SmallDataPanel } from './SmallDataPanel';
import { SweepPanel } from './SweepPanel';

export function Story() {
  return (
    <div className="story" id="story">
      <SweepPanel />
      <div className="row2">
        <DeepNetPanel />
        <BottleneckPanel />
      </div>
      <SmallDataPanel />
    </div>
  );
}
