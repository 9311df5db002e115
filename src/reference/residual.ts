// Float64 reference for the residual add, plain and fused with ReLU (src/kernels/residual.ts).
type Arr = ArrayLike<number>;

export const add = (a: Arr, b: Arr) => Float64Array.from(a, (v, i) => v + b[i]);
export const addRelu = (a: Arr, b: Arr) => Float64Array.from(a, (v, i) => Math.max(v + b[i], 0));
