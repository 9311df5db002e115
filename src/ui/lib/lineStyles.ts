// How the error chart draws its three kinds of line, shared by the plot (ChartPlots.tsx) and its key (Charts.tsx),
// so each key looks like its line: dashed training error; test error in BN eval mode solid with filled dots; in BN
// train mode dotted with hollow dots (a dotted line alone reads as solid between sparse evaluation points).
export interface LineStyle {
  dash?: string;
  width: number;
  /** Evaluation points are marked: filled or hollow (white inside). */
  dot?: 'filled' | 'hollow';
}

export const ERROR_LINES = {
  train: { dash: '5 4', width: 1.5 },
  testEval: { width: 2, dot: 'filled' },
  testTrain: { dash: '2 3', width: 2, dot: 'hollow' },
} as const satisfies Record<string, LineStyle>;

export const DOT_RADIUS = 2.6;
