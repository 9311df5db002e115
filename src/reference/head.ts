// Float64 reference for the network's head: global average pooling, the fully connected layer,
// softmax cross-entropy (mean over the batch) with the count of correct predictions.
type Arr = ArrayLike<number>;

/** [N, C, S] -> [N, C] */
export function avgPool(n: number, c: number, s: number, x: Arr): Float64Array {
  const y = new Float64Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let acc = 0;
    for (let k = 0; k < s; k++) acc += x[i * s + k];
    y[i] = acc / s;
  }
  return y;
}

export function avgPoolBackward(n: number, c: number, s: number, dy: Arr): Float64Array {
  const dx = new Float64Array(n * c * s);
  for (let i = 0; i < n * c; i++) for (let k = 0; k < s; k++) dx[i * s + k] = dy[i] / s;
  return dx;
}

/** y[n, o] = sum_i x[n, i] w[o, i] + b[o]; w is [out, in] like torch.nn.Linear. */
export function linear(n: number, cin: number, cout: number, x: Arr, w: Arr, b?: Arr): Float64Array {
  const y = new Float64Array(n * cout);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < cout; o++) {
      let acc = b ? b[o] : 0;
      for (let i = 0; i < cin; i++) acc += x[r * cin + i] * w[o * cin + i];
      y[r * cout + o] = acc;
    }
  return y;
}

export function linearBackward(n: number, cin: number, cout: number, dy: Arr, x: Arr, w: Arr) {
  const dx = new Float64Array(n * cin);
  const dw = new Float64Array(cout * cin);
  const db = new Float64Array(cout);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < cout; o++) {
      const d = dy[r * cout + o];
      db[o] += d;
      for (let i = 0; i < cin; i++) {
        dx[r * cin + i] += d * w[o * cin + i];
        dw[o * cin + i] += d * x[r * cin + i];
      }
    }
  return { dx, dw, db };
}

/**
 * Mean cross-entropy of softmax(logits) against labels; dlogits = (softmax - onehot) / count. Ties in argmax
 * go to the lowest class. A sample with label < 0 is padding: no loss, zero dlogits, not in count (the
 * number of valid samples, which the mean is taken over; loss is 0 when there are none).
 */
export function softmaxXent(n: number, k: number, logits: Arr, labels: ArrayLike<number>) {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (let r = 0; r < n; r++) {
    if (labels[r] >= k) throw new RangeError(`softmaxXent: label ${labels[r]} of sample ${r} is not below k = ${k}`);
    if (labels[r] >= 0) count++;
  }
  const dlogits = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    if (labels[r] < 0) continue;
    let max = -Infinity;
    let arg = 0;
    for (let j = 0; j < k; j++) if (logits[r * k + j] > max) (max = logits[r * k + j]), (arg = j);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(logits[r * k + j] - max);
    const lse = max + Math.log(z);
    lossSum += lse - logits[r * k + labels[r]];
    if (arg === labels[r]) correct++;
    for (let j = 0; j < k; j++) dlogits[r * k + j] = (Math.exp(logits[r * k + j] - lse) - (j === labels[r] ? 1 : 0)) / count;
  }
  return { loss: count > 0 ? lossSum / count : 0, correct, dlogits, lossSum, count };
}
