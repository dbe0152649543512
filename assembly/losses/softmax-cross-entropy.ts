// The classification head: softmax fused with cross-entropy over row-major logits
// [rows×classes], labels given as i32 class indices (no one-hot matrix is ever built), as
// PyTorch's nn.CrossEntropyLoss.
//
// Per row: loss = log Σ_c e^(z_c − max) − (z_label − max), the exact log-sum-exp, stable
// without the tutorials' 1e-7 guard. Scalar Mathf.exp: there are only `classes` exps per row,
// and this keeps the loss as exact as f32 allows.

/**
 * Writes the softmax probabilities of `logits` to `probs` (which may alias it) and returns
 * Σ_rows loss (an f64 sum); with labels = 0 (prediction) only the probabilities.
 */
export function softmaxCrossEntropyForward(probs: usize, logits: usize, labels: usize, rows: i32, classes: i32): f64 {
  let lossSum: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits + (<usize>(r * classes) << 2);
    const out = probs + (<usize>(r * classes) << 2);
    let rowMax = load<f32>(row);
    for (let c = 1; c < classes; c++) rowMax = max(rowMax, load<f32>(row + (<usize>c << 2)));
    const labelLogit = labels ? load<f32>(row + (<usize>load<i32>(labels + (<usize>r << 2)) << 2)) - rowMax : 0;
    let sum: f32 = 0;
    for (let c = 0; c < classes; c++) {
      const e = Mathf.exp(load<f32>(row + (<usize>c << 2)) - rowMax);
      store<f32>(out + (<usize>c << 2), e);
      sum += e;
    }
    if (labels) lossSum += <f64>Mathf.log(sum) - <f64>labelLogit;
    const inverse: f32 = 1 / sum;
    for (let c = 0; c < classes; c++) {
      const at = out + (<usize>c << 2);
      store<f32>(at, load<f32>(at) * inverse);
    }
  }
  return lossSum;
}

/** grad = (probs − onehot(labels)) / batch, the references' (y − t)/N. May alias probs. */
export function softmaxCrossEntropyBackward(
  grad: usize, probs: usize, labels: usize, rows: i32, classes: i32, batch: f32,
): void {
  for (let r = 0; r < rows; r++) {
    const label = load<i32>(labels + (<usize>r << 2));
    const offset = <usize>(r * classes) << 2;
    for (let c = 0; c < classes; c++) {
      const y = load<f32>(probs + offset + (<usize>c << 2));
      store<f32>(grad + offset + (<usize>c << 2), (c == label ? y - 1 : y) / batch);
    }
  }
}

/** How many rows have argmax(scores) == label; ties go to the lowest index, as np.argmax. */
export function countCorrect(scores: usize, labels: usize, rows: i32, classes: i32): i32 {
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const row = scores + (<usize>(r * classes) << 2);
    let best = 0;
    let bestScore = load<f32>(row);
    for (let c = 1; c < classes; c++) {
      const s = load<f32>(row + (<usize>c << 2));
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    if (best == load<i32>(labels + (<usize>r << 2))) correct++;
  }
  return correct;
}
