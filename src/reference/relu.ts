// Float64 reference for ReLU (src/kernels/relu.ts).
type Arr = ArrayLike<number>;

export const relu = (x: Arr) => Float64Array.from(x, (v) => (v > 0 ? v : 0));
/** dx = dy where the forward output was positive (y > 0 iff x > 0). */
export const reluBackward = (dy: Arr, y: Arr) => Float64Array.from(dy, (d, i) => (y[i] > 0 ? d : 0));
