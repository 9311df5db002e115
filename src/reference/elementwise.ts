// Float64 reference for ReLU and the residual add (plain and fused with ReLU).
type Arr = ArrayLike<number>;

export const relu = (x: Arr) => Float64Array.from(x, (v) => (v > 0 ? v : 0));
/** dx = dy where the forward output was positive (y > 0 iff x > 0). */
export const reluBackward = (dy: Arr, y: Arr) => Float64Array.from(dy, (d, i) => (y[i] > 0 ? d : 0));
export const add = (a: Arr, b: Arr) => Float64Array.from(a, (v, i) => v + b[i]);
export const addRelu = (a: Arr, b: Arr) => Float64Array.from(a, (v, i) => Math.max(v + b[i], 0));
