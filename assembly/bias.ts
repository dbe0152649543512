// Bias add (forward) and its gradient, the column sum (backward), over row-major [rows×cols].

/** x[r][c] += bias[c] for every row. */
export function addBiasRows(x: usize, bias: usize, rows: i32, cols: i32): void {
  const vectorEnd = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * cols) << 2);
    let c = 0;
    for (; c < vectorEnd; c += 4) {
      const at = row + (<usize>c << 2);
      v128.store(at, f32x4.add(v128.load(at), v128.load(bias + (<usize>c << 2))));
    }
    for (; c < cols; c++) {
      const at = row + (<usize>c << 2);
      store<f32>(at, load<f32>(at) + load<f32>(bias + (<usize>c << 2)));
    }
  }
}

/** out[c] (+)= Σ_r x[r][c]: the bias gradient db = Σ_rows dout. */
export function columnSums(out: usize, x: usize, rows: i32, cols: i32, accumulate: bool): void {
  columnSumsStrided(out, x, rows, cols, cols, accumulate);
}

/** columnSums over `cols` columns of rows `ld` floats long: threads share db by columns (at multiples of 4). */
export function columnSumsStrided(out: usize, x: usize, rows: i32, cols: i32, ld: i32, accumulate: bool): void {
  if (!accumulate) memory.fill(out, 0, <usize>cols << 2);
  const vectorEnd = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * ld) << 2);
    let c = 0;
    for (; c < vectorEnd; c += 4) {
      const at = out + (<usize>c << 2);
      v128.store(at, f32x4.add(v128.load(at), v128.load(row + (<usize>c << 2))));
    }
    for (; c < cols; c++) {
      const at = out + (<usize>c << 2);
      store<f32>(at, load<f32>(at) + load<f32>(row + (<usize>c << 2)));
    }
  }
}
