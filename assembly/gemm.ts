// Row-major f32 matrix products in the three layouts backprop needs. Every pointer is a byte
// address in linear memory; `accumulate` chooses C = … (false) or C += … (true).
//
//   gemmNN  C[M×N] (+)= A[M×K] · B[K×N]     forward:        out = x · W
//   gemmTN  C[M×N] (+)= A[K×M]ᵀ · B[K×N]    weight grad:    dW = xᵀ · dout
//   gemmNT  C[M×N] (+)= A[M×K] · B[N×K]ᵀ    input grad:     dx = dout · Wᵀ
//
// NN and TN share one register-blocked kernel: they differ only in how A(i, p) is addressed
// (row stride and k stride), so TN reads xᵀ without materializing it. NT transposes B into a
// caller-provided buffer first: B is a weight matrix (N·K elements), the product costs M·N·K,
// so the copy is 1/M of the work and buys the contiguous B rows the kernel streams.
import { madd } from './simd';

export function gemmNN(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, accumulate: bool): void {
  gemmStrided(c, a, b, m, n, k, <usize>k << 2, 4, accumulate);
}

export function gemmTN(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, accumulate: bool): void {
  gemmStrided(c, a, b, m, n, k, 4, <usize>m << 2, accumulate);
}

/** `packed` must hold N·K floats; it is overwritten with Bᵀ. */
export function gemmNT(
  c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, accumulate: bool, packed: usize,
): void {
  transpose(packed, b, n, k);
  gemmNN(c, a, packed, m, n, k, accumulate);
}

/** dst[C×R] = src[R×C]ᵀ */
export function transpose(dst: usize, src: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const srcRow = src + (<usize>(r * cols) << 2);
    for (let col = 0; col < cols; col++) {
      store<f32>(dst + (<usize>(col * rows + r) << 2), load<f32>(srcRow + (<usize>col << 2)));
    }
  }
}

// A(i, p) lives at a + i·aRow + p·aK (bytes). C is walked in column panels of 8, 4, then 1;
// inside a panel, blocks of 4 rows, then single rows. The panel of B (K×8 floats) is reused by
// every row block while it is hot in L1.
function gemmStrided(
  c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, aRow: usize, aK: usize, accumulate: bool,
): void {
  const ldb = <usize>n << 2;
  const ldc = ldb;
  let j = 0;
  while (j < n) {
    const width = n - j >= 8 ? 8 : n - j >= 4 ? 4 : 1;
    const bPanel = b + (<usize>j << 2);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const cTile = c + <usize>i * ldc + (<usize>j << 2);
      const aRows = a + <usize>i * aRow;
      if (width == 8) {
        if (aRow == 4) tile4x8AdjacentRows(cTile, aRows, bPanel, k, aK, ldb, ldc, accumulate);
        else tile4x8(cTile, aRows, bPanel, k, aRow, aK, ldb, ldc, accumulate);
      }
      else if (width == 4) tile4x4(cTile, aRows, bPanel, k, aRow, aK, ldb, ldc, accumulate);
      else for (let r = 0; r < 4; r++) {
        tile1x1(cTile + <usize>r * ldc, aRows + <usize>r * aRow, bPanel, k, aK, ldb, accumulate);
      }
    }
    for (; i < m; i++) {
      const cTile = c + <usize>i * ldc + (<usize>j << 2);
      const aRowPtr = a + <usize>i * aRow;
      if (width == 8) tile1x8(cTile, aRowPtr, bPanel, k, aK, ldb, accumulate);
      else if (width == 4) tile1x4(cTile, aRowPtr, bPanel, k, aK, ldb, accumulate);
      else tile1x1(cTile, aRowPtr, bPanel, k, aK, ldb, accumulate);
    }
    j += width;
  }
}

// @ts-ignore: decorator
@inline
function tile4x8(
  c: usize, a: usize, b: usize, k: i32, aRow: usize, aK: usize, ldb: usize, ldc: usize, accumulate: bool,
): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let acc00 = f32x4.splat(0), acc01 = f32x4.splat(0);
  let acc10 = f32x4.splat(0), acc11 = f32x4.splat(0);
  let acc20 = f32x4.splat(0), acc21 = f32x4.splat(0);
  let acc30 = f32x4.splat(0), acc31 = f32x4.splat(0);
  if (accumulate) {
    acc00 = v128.load(c); acc01 = v128.load(c, 16);
    acc10 = v128.load(c1); acc11 = v128.load(c1, 16);
    acc20 = v128.load(c2); acc21 = v128.load(c2, 16);
    acc30 = v128.load(c3); acc31 = v128.load(c3, 16);
  }
  let a0 = a, a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
  let bp = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let s = v128.load32_splat(a0);
    acc00 = madd(s, b0, acc00); acc01 = madd(s, b1, acc01);
    s = v128.load32_splat(a1);
    acc10 = madd(s, b0, acc10); acc11 = madd(s, b1, acc11);
    s = v128.load32_splat(a2);
    acc20 = madd(s, b0, acc20); acc21 = madd(s, b1, acc21);
    s = v128.load32_splat(a3);
    acc30 = madd(s, b0, acc30); acc31 = madd(s, b1, acc31);
    a0 += aK; a1 += aK; a2 += aK; a3 += aK;
    bp += ldb;
  }
  v128.store(c, acc00); v128.store(c, acc01, 16);
  v128.store(c1, acc10); v128.store(c1, acc11, 16);
  v128.store(c2, acc20); v128.store(c2, acc21, 16);
  v128.store(c3, acc30); v128.store(c3, acc31, 16);
}

// The TN case: the 4 rows of Aᵀ are 4 adjacent floats of one row of A, so a single pointer with
// constant offsets replaces four pointer bumps per k (measured: +8% plain, +20% relaxed SIMD on
// 784×100×100).
// @ts-ignore: decorator
@inline
function tile4x8AdjacentRows(
  c: usize, a: usize, b: usize, k: i32, aK: usize, ldb: usize, ldc: usize, accumulate: bool,
): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let acc00 = f32x4.splat(0), acc01 = f32x4.splat(0);
  let acc10 = f32x4.splat(0), acc11 = f32x4.splat(0);
  let acc20 = f32x4.splat(0), acc21 = f32x4.splat(0);
  let acc30 = f32x4.splat(0), acc31 = f32x4.splat(0);
  if (accumulate) {
    acc00 = v128.load(c); acc01 = v128.load(c, 16);
    acc10 = v128.load(c1); acc11 = v128.load(c1, 16);
    acc20 = v128.load(c2); acc21 = v128.load(c2, 16);
    acc30 = v128.load(c3); acc31 = v128.load(c3, 16);
  }
  let ap = a, bp = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let s = v128.load32_splat(ap);
    acc00 = madd(s, b0, acc00); acc01 = madd(s, b1, acc01);
    s = v128.load32_splat(ap, 4);
    acc10 = madd(s, b0, acc10); acc11 = madd(s, b1, acc11);
    s = v128.load32_splat(ap, 8);
    acc20 = madd(s, b0, acc20); acc21 = madd(s, b1, acc21);
    s = v128.load32_splat(ap, 12);
    acc30 = madd(s, b0, acc30); acc31 = madd(s, b1, acc31);
    ap += aK;
    bp += ldb;
  }
  v128.store(c, acc00); v128.store(c, acc01, 16);
  v128.store(c1, acc10); v128.store(c1, acc11, 16);
  v128.store(c2, acc20); v128.store(c2, acc21, 16);
  v128.store(c3, acc30); v128.store(c3, acc31, 16);
}

// @ts-ignore: decorator
@inline
function tile4x4(
  c: usize, a: usize, b: usize, k: i32, aRow: usize, aK: usize, ldb: usize, ldc: usize, accumulate: bool,
): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  if (accumulate) {
    acc0 = v128.load(c); acc1 = v128.load(c1); acc2 = v128.load(c2); acc3 = v128.load(c3);
  }
  let a0 = a, a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow;
  let bp = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp);
    acc0 = madd(v128.load32_splat(a0), b0, acc0);
    acc1 = madd(v128.load32_splat(a1), b0, acc1);
    acc2 = madd(v128.load32_splat(a2), b0, acc2);
    acc3 = madd(v128.load32_splat(a3), b0, acc3);
    a0 += aK; a1 += aK; a2 += aK; a3 += aK;
    bp += ldb;
  }
  v128.store(c, acc0); v128.store(c1, acc1); v128.store(c2, acc2); v128.store(c3, acc3);
}

// @ts-ignore: decorator
@inline
function tile1x8(c: usize, a: usize, b: usize, k: i32, aK: usize, ldb: usize, accumulate: bool): void {
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  if (accumulate) {
    acc0 = v128.load(c); acc1 = v128.load(c, 16);
  }
  let ap = a, bp = b;
  for (let p = 0; p < k; p++) {
    const s = v128.load32_splat(ap);
    acc0 = madd(s, v128.load(bp), acc0);
    acc1 = madd(s, v128.load(bp, 16), acc1);
    ap += aK;
    bp += ldb;
  }
  v128.store(c, acc0); v128.store(c, acc1, 16);
}

// @ts-ignore: decorator
@inline
function tile1x4(c: usize, a: usize, b: usize, k: i32, aK: usize, ldb: usize, accumulate: bool): void {
  let acc = accumulate ? v128.load(c) : f32x4.splat(0);
  let ap = a, bp = b;
  for (let p = 0; p < k; p++) {
    acc = madd(v128.load32_splat(ap), v128.load(bp), acc);
    ap += aK;
    bp += ldb;
  }
  v128.store(c, acc);
}

// Columns past the last multiple of 4 (at most 3 per row); scalar, like numpy's own tail loops.
function tile1x1(c: usize, a: usize, b: usize, k: i32, aK: usize, ldb: usize, accumulate: bool): void {
  let acc: f32 = accumulate ? load<f32>(c) : 0;
  let ap = a, bp = b;
  for (let p = 0; p < k; p++) {
    acc += load<f32>(ap) * load<f32>(bp);
    ap += aK;
    bp += ldb;
  }
  store<f32>(c, acc);
}
