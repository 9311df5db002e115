// The story of residual learning, claim by claim: each panel sets up the experiment that checks one claim.
import { BottleneckPanel } from './BottleneckPanel';
import { DeepNetPanel } from './DeepNetPanel';
import { SmallDataPanel } from './SmallDataPanel';
import { SweepPanel } from './SweepPanel';
import { Table1Panel } from './Table1Panel';

export function Story() {
  return (
    <div className="story" id="story">
      <SweepPanel />
      <div className="row2">
        <DeepNetPanel />
        <BottleneckPanel />
      </div>
      <Table1Panel />
      <SmallDataPanel />
    </div>
  );
}
