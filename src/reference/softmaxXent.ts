// Float64 reference for the loss (src/kernels/softmaxXent.ts): softmax cross-entropy, mean over the
// batch, with the count of correct predictions.
type Arr = ArrayLike<number>;

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
    for (let j = 0; j < k; j++) {
      if (logits[r * k + j] > max) {
        max = logits[r * k + j];
        arg = j;
      }
    }
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(logits[r * k + j] - max);
    const lse = max + Math.log(z);
    lossSum += lse - logits[r * k + labels[r]];
    if (arg === labels[r]) correct++;
    for (let j = 0; j < k; j++) dlogits[r * k + j] = (Math.exp(logits[r * k + j] - lse) - (j === labels[r] ? 1 : 0)) / count;
  }
  return { loss: count > 0 ? lossSum / count : 0, correct, dlogits, lossSum, count };
}
