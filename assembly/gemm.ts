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
  gemmStrided(c, a, b, m, n, k, <usize>k << 2, 4, 0, n, accumulate);
}

export function gemmTN(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, accumulate: bool): void {
  gemmStrided(c, a, b, m, n, k, 4, <usize>m << 2, 0, n, accumulate);
}

/**
 * Columns [first, end) of gemmNN's C (first a multiple of 4): a thread's share of a product
 * with few rows, where sharing by rows would have every thread pack all of B.
 */
export function gemmNNColumns(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, first: i32, end: i32, accumulate: bool): void {
  gemmStrided(c, a, b, m, n, k, <usize>k << 2, 4, first, end, accumulate);
}

/**
 * gemmTN where A's rows are `lda` floats long (lda ≥ m): rows i0… of C from columns i0… of A,
 * c + i0·n and a + i0, so threads can share a weight gradient by rows of dW.
 */
export function gemmTNStrided(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, lda: i32, accumulate: bool): void {
  gemmStrided(c, a, b, m, n, k, 4, <usize>lda << 2, 0, n, accumulate);
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
  transposeRows(dst, src, rows, cols, 0, rows);
}

/** Rows [first, end) of src into columns [first, end) of dst = srcᵀ (a thread's share). */
export function transposeRows(dst: usize, src: usize, rows: i32, cols: i32, first: i32, end: i32): void {
  for (let r = first; r < end; r++) {
    const srcRow = src + (<usize>(r * cols) << 2);
    for (let col = 0; col < cols; col++) {
      store<f32>(dst + (<usize>(col * rows + r) << 2), load<f32>(srcRow + (<usize>col << 2)));
    }
  }
}

// Blocking for the networks' shapes: N (a layer's width, 10–1024) is small, M (the batch, or
// 10000 rows in an evaluation) may be large, K (a layer's inputs) is up to a few thousand.
//
//   for each block of NC columns: pack B's K×nc slice once into 8-column panels (PACKED)
//     for each block of ROW_BLOCK rows of A (copied first into APACK where the engine or CPU
//     runs faster so, see gemmSetPacking)
//       every panel, swept over all of K by 6×8, 5×8 or 4×8 register tiles (whichever the engine
//       runs faster, see gemmSetTiles), 4×8 and 1×8 for the last rows
//
// So A streams from memory once, the row block of A (24 rows) is re-read from L1/L2 by each
// panel, and the panels (K·nc floats, 400 KB for 784×100) stay in L2 for the whole product.
// Measured against it on the Xeon (relaxed SIMD, % of peak, interleaved in one process,
// 10000×784×100 / 100×784×100): the earlier GotoBLAS order, one panel in L1 and A's rows
// re-read from L2 per panel, 58–68% / 80–85%; K cut into chunks of 256 inside the row blocks
// 65–73% / 81%, outside them (C, 4 MB, re-read per chunk) 71%; row blocks of 6, 12, 18, 48 within
// noise of 24 or below; packing A's row block into tile order first, whole K by a scalar
// copy, 63–71% (it cost more than the strided splats it saved; the chunked, vectorized copy
// below is an engine's choice). This order: 76–79% / 82–83%, and from L2-sized A
// (300–2000 rows) 82–87% (Node 24). On Zen 3 a plain unblocked 4×8 tile had already beaten the
// old order (72–76% vs 44–61%). The 6×8 tile holds 12 accumulators plus two B vectors and a
// splat: 15 of the 16 xmm registers V8 allocates on x64, and 1.5× a 4×8 tile's multiply-adds per
// B load.
// Past PACK_K rows of B (512 KB of panels) K is cut into pieces that accumulate into C.
//
// Every variant here (tile shape, blocking, the staging of edge columns) computes each element
// of C as the same chain acc ← madd(a(i,p), b(p,j), acc) over p = 0, 1, … K−1, starting from 0
// (or C when accumulating): a K piece only stores and reloads the f32 accumulator. So results
// are bit-identical whatever the blocking, and test/gemm.test.ts checks them against that
// chain evaluated in TypeScript.
//
// A(i, p) lives at a + i·aRow + p·aK (bytes).
const NC = 128;
const ROW_BLOCK = 24;
const PACK_K = 1024;
const PACKED_BYTES: usize = <usize>PACK_K * NC * 4;
// Scratch is per thread: a worker of a thread pool (threads.ts) points PACKED, CTILE and APACK
// at its own GEMM_SCRATCH_BYTES block (gemmUseScratch); wasm globals are per instance.
let PACKED: usize = memory.data(<i32>PACKED_BYTES, 16);

/** Columns [first, end) of C (all of them: 0, n). */
function gemmStrided(
  c: usize, a: usize, b: usize, m: i32, n: i32, k: i32, aRow: usize, aK: usize, first: i32, end: i32, accumulate: bool,
): void {
  const ldb = <usize>n << 2;
  const ldc = ldb;
  for (let piece = 0; piece < k; piece += PACK_K) {
    const kp = min(PACK_K, k - piece);
    const into = accumulate || piece > 0;
    const bPiece = b + <usize>piece * ldb;
    const aPiece = a + <usize>piece * aK;
    const packA = aRow == 4 && packAdjacent && <usize>kp * aK >= PACK_SWEEP_BYTES && end - first >= PACK_MIN_COLUMNS;
    const packT = aRow != 4 && packStrided && end - first >= PACK_MIN_COLUMNS;
    for (let j0 = first; j0 < end; j0 += NC) {
      const nc = min(NC, end - j0);
      packPanels(bPiece + (<usize>j0 << 2), kp, nc, ldb);
      for (let i0 = 0; i0 < m; i0 += ROW_BLOCK) {
        const rows = min(ROW_BLOCK, m - i0);
        const cBlock = c + <usize>i0 * ldc + (<usize>j0 << 2);
        const aBlock = aPiece + <usize>i0 * aRow;
        if (packA) {
          packedRowBlocks++;
          packRowBlock(aBlock, rows, kp, aK);
          rowBlockAgainstPanels(cBlock, APACK, rows, nc, kp, 0, kp, 4, APACK_K, ldc, into);
        } else if (packT) {
          packedRowBlocks++;
          for (let p0 = 0; p0 < kp; p0 += TRANSPOSE_K) {
            const kc = min(TRANSPOSE_K, kp - p0);
            transposeRowBlock(aBlock + (<usize>p0 << 2), rows, kc, aRow);
            rowBlockAgainstPanels(cBlock, APACK, rows, nc, kp, p0, kc, 4, APACK_K, ldc, into || p0 > 0);
          }
        } else {
          rowBlockAgainstPanels(cBlock, aBlock, rows, nc, kp, 0, kp, aRow, aK, ldc, into);
        }
      }
    }
  }
}

/** `rows` rows of C against every panel of PACKED (kp rows each), over the panels' rows [p0, p0 + kc). */
function rowBlockAgainstPanels(
  c: usize, a: usize, rows: i32, nc: i32, kp: i32, p0: i32, kc: i32, aRow: usize, aK: usize, ldc: usize, accumulate: bool,
): void {
  const edge = nc & ~7;
  for (let j = 0; j < edge; j += 8) {
    rowsAgainstPanel8(c + (<usize>j << 2), a, panelAt(j, kp) + (<usize>p0 << 5), rows, kc, aRow, aK, ldc, accumulate);
  }
  if (edge < nc) {
    const panel = panelAt(edge, kp) + <usize>p0 * edgePanelStride(nc - edge);
    rowsAgainstEdgePanel(c + (<usize>edge << 2), a, panel, rows, kc, nc - edge, aRow, aK, ldc, accumulate);
  }
}

// Adjacent rows (gemmTN, the weight gradient dW = xᵀ·dout) step through A by a whole row of x
// per k: m·4 bytes, 3136 for 784 inputs, so a row block's sweep over k touches a new 4 KB page
// at every k, and 100 of them (batch 100) overflow a 64-entry L1 data TLB (AMD Zen 3's). There,
// copying each row block first into APACK (its rows × kp floats at APACK_K bytes per k, so the
// tiles sweep 2–3 pages) ran the 4×8 tile, relaxed SIMD, in GFLOP/s before → after (scratch
// timing, best of 200 rounds, one core), 784×100×100 / 784×128×128: Node 20 37.6 → 43.0 /
// 40.1 → 47.7, Node 22 40.8 → 43.7 / 44.3 → 47.9, Node 24 43.2 → 46.3 / 45.0 → 47.6, Node 26
// 43.4 → 46.0 / 44.8 → 48.0; plain SIMD 784×100×100, Node 22 28.8 → 33.2, Node 24 34.3 → 38.0,
// Node 26 26.0 → 37.9. Other row blocks and NC made no difference: the pages, not the caches,
// were the limit. With k = 64 (49 pages) it ran at 89–91% of peak unpacked and packing was
// within noise. On an AMD Zen 5 the copy is pure cost (interleaved A/B, Node 22–26): −1 to −5%
// on those shapes, −9 to −19% on 10-column ones, where it is spread over fewer panels. So the
// host measures whether to pack (src/gemm-tile.ts, gemmSetPacking), and packing applies only
// where a sweep spans at least PACK_SWEEP_BYTES (64 pages) and C at least PACK_MIN_COLUMNS
// columns.
//
// Rows a row apart (gemmNN) can be packed too, transposed into the same adjacent order, so that
// the forward and the evaluation run the adjacent tiles: on V8 11 and 12 (Node 20 and 22), where
// 6×8 spills and 4×8's eight multiply-add chains only just cover the FMA latency, that is 5×8.
// In K chunks of TRANSPOSE_K, so that the chunk (9 KB) stays in L1 while every panel sweeps it:
// on an AMD Zen 5, Node 22, relaxed SIMD, interleaved in one process (a scratch script, not
// kept), GFLOP/s strided 4×8 against packed 5×8 on 100×100×784, the whole K at once 49.4 / 49.7,
// chunks of 384 51.6 / 53.5, of 192 51.7 / 54.3, of 96 53.4 / 56.5; at 96, 10000×100×784
// 57.5 / 60.8, 64×128×784 56.6 / 57.9, 128×128×784 59.9 / 60.8, the start-up product 48×64×392
// 52.6 / 54.8, and +3.7–5.1% on Node 20. On Node 24 and 26 (6×8 strided) and in the plain build
// it lost 0.4–9.4%, so this too is the host's measured choice. `npm run bench:kernels` there
// (best of 2 runs), Node 20 and 22, forward / evaluation: 4×8 79% / 78–79% of peak, packed 85% /
// 83%. Either copy moves values only: every element's chain is unchanged.
const PACK_SWEEP_BYTES: usize = 64 * 4096;
const PACK_MIN_COLUMNS = 64;
const TRANSPOSE_K = 96;
const APACK_K: usize = ROW_BLOCK * 4;
const APACK_BYTES: usize = <usize>PACK_K * APACK_K;
let APACK: usize = memory.data(<i32>APACK_BYTES, 16);

/** APACK = the `rows` adjacent floats at a + p·aK for p in [0, kp), at APACK_K bytes per p. */
function packRowBlock(a: usize, rows: i32, kp: i32, aK: usize): void {
  let src = a, dst = APACK;
  if (rows == 24) { // a whole block (ROW_BLOCK): six vectors, unrolled
    for (let p = 0; p < kp; p++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      v128.store(dst, v128.load(src, 32), 32);
      v128.store(dst, v128.load(src, 48), 48);
      v128.store(dst, v128.load(src, 64), 64);
      v128.store(dst, v128.load(src, 80), 80);
      src += aK;
      dst += APACK_K;
    }
    return;
  }
  const vectors = rows & ~3;
  for (let p = 0; p < kp; p++) {
    let r = 0;
    for (; r < vectors; r += 4) v128.store(dst + (<usize>r << 2), v128.load(src + (<usize>r << 2)));
    for (; r < rows; r++) store<f32>(dst + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
    src += aK;
    dst += APACK_K;
  }
}

/**
 * APACK = A's `rows` rows (aRow bytes apart) × kp floats, transposed: A(r, p) at APACK + p·APACK_K
 * + r·4. Four rows × four floats at a time, by 4×4 transposes in lane shuffles; the leftover
 * rows and the last kp % 4 columns one float at a time.
 */
function transposeRowBlock(a: usize, rows: i32, kp: i32, aRow: usize): void {
  const fullRows = rows & ~3, fullK = kp & ~3;
  for (let r = 0; r < fullRows; r += 4) {
    const r0 = a + <usize>r * aRow, r1 = r0 + aRow, r2 = r1 + aRow, r3 = r2 + aRow;
    let dst = APACK + (<usize>r << 2);
    for (let p = 0; p < fullK; p += 4) {
      const at = <usize>p << 2;
      const x0 = v128.load(r0 + at), x1 = v128.load(r1 + at), x2 = v128.load(r2 + at), x3 = v128.load(r3 + at);
      // t0 = x0[0] x1[0] x0[1] x1[1], t1 the same of x2, x3: their halves are columns 0 and 1.
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(dst, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), APACK_K);
      v128.store(dst, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), APACK_K * 2);
      v128.store(dst, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), APACK_K * 3);
      dst += APACK_K * 4;
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let p = r < fullRows ? fullK : 0; p < kp; p++) {
      store<f32>(APACK + <usize>p * APACK_K + (<usize>r << 2), load<f32>(a + <usize>r * aRow + (<usize>p << 2)));
    }
  }
}

// @ts-ignore: decorator
@inline
function panelAt(column: i32, kc: i32): usize {
  return PACKED + <usize>column * <usize>kc * 4;
}

/**
 * PACKED = B[0..kc)[0..nc) as panels of 8 columns, each kc×8 contiguous. The last panel, when
 * nc is not a multiple of 8, holds its 1–7 columns padded with zeros to 4 (1–4 columns) or 8.
 */
function packPanels(b: usize, kc: i32, nc: i32, ldb: usize): void {
  let j = 0;
  for (; j + 8 <= nc; j += 8) {
    let src = b + (<usize>j << 2), dst = panelAt(j, kc);
    for (let p = 0; p < kc; p++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      src += ldb;
      dst += 32;
    }
  }
  if (j == nc) return;
  const width = nc - j;
  const stride: usize = edgePanelStride(width);
  for (let p = 0; p < kc; p++) {
    const src = b + <usize>p * ldb + (<usize>j << 2);
    const dst = panelAt(j, kc) + <usize>p * stride;
    v128.store(dst, f32x4.splat(0));
    if (stride == 32) v128.store(dst, f32x4.splat(0), 16);
    for (let col = 0; col < width; col++) store<f32>(dst + (<usize>col << 2), load<f32>(src + (<usize>col << 2)));
  }
}

/** Bytes per k of the last, partial panel: 4 columns (16) when it has at most 4, else 8 (32). */
// @ts-ignore: decorator
@inline
function edgePanelStride(width: i32): usize {
  return width <= 4 ? 16 : 32;
}

// Rows per register tile for the 8-column panels, one choice for each way A's rows lie:
// `stridedRows` where a tile's rows of A are a row apart (gemmNN: the forward, the evaluation),
// `adjacentRows` where they are adjacent floats (gemmTN: the weight gradient reads xᵀ).
// The engine decides which is faster, so the host measures at start-up (src/gemm-tile.ts) and
// sets them here. V8 11.3 (Node 20) spills the 6×8 tile's 15 live vectors: relaxed SIMD 55% of
// peak against 76% for 4×8 on 100×784×100 and 13% against 69% on 10000×784×100 (Xeon); V8 13.6
// (Node 24) keeps them in registers and gains: 82% against 76% and 80% against 70%. Adjacent rows
// also allow the 5×8 tile (see tile8). `npm run bench:kernels` on the Xeon, weight gradient
// 784×100×100, relaxed SIMD, 5×8 against 4×8: 85% against 77% of peak (Node 20), 86% against 82%
// (Node 22); on Node 24 90% against 6×8's 88%, a tie; in the plain-SIMD build its lane shuffles
// cost more than they save (87% against 95%, Node 22). On an AMD Zen 4 the winner depends on the
// shape as well (README, "Dense products against the peak"), and a strided 5×8 (five splats)
// spills on V8 11/12 as 6×8 does: 43–44% of peak against 4×8's 86–87% (scratch trial, Node 20
// and 22, best single calls of 100×784×100). Every tile computes every element as the
// same chain (see above), so the choice changes speed only, never a bit.
let stridedRows = 6;
let adjacentRows = 6;

/** `strided` 4 or 6; `adjacent` 4, 5 or 6 (any other value: 6). */
export function gemmSetTiles(strided: i32, adjacent: i32): void {
  stridedRows = strided == 4 ? 4 : 6;
  adjacentRows = adjacent == 4 || adjacent == 5 ? adjacent : 6;
}

export function gemmTileRows(adjacent: bool): i32 {
  return adjacent ? adjacentRows : stridedRows;
}

let packStrided = false;
let packAdjacent = false;

/**
 * Whether products copy A's row blocks into APACK first (above): `strided` for gemmNN's (then
 * run with adjacentRows' tile), `adjacent` for gemmTN's where their sweeps span many pages.
 */
export function gemmSetPacking(strided: bool, adjacent: bool): void {
  packStrided = strided;
  packAdjacent = adjacent;
}

export function gemmPacks(adjacent: bool): bool {
  return adjacent ? packAdjacent : packStrided;
}

// Row blocks copied into APACK (counted once per block of NC columns and K piece) since the last
// gemmTakePackedRowBlocks: the copies change no value, so this is how a test or the bench sees
// where packing applied.
let packedRowBlocks = 0;

export function gemmTakePackedRowBlocks(): i32 {
  const count = packedRowBlocks;
  packedRowBlocks = 0;
  return count;
}

function rowsAgainstPanel8(
  c: usize, a: usize, panel: usize, m: i32, k: i32, aRow: usize, aK: usize, ldc: usize, accumulate: bool,
): void {
  let i = 0;
  if (aRow == 4) { // adjacent rows: adjacentRows' tile
    if (adjacentRows == 6) {
      for (; i + 6 <= m; i += 6) tile8(c + <usize>i * ldc, a + <usize>i * aRow, panel, k, aRow, aK, 32, ldc, accumulate, 6, true);
    } else if (adjacentRows == 5) {
      for (; i + 5 <= m; i += 5) tile8(c + <usize>i * ldc, a + <usize>i * aRow, panel, k, aRow, aK, 32, ldc, accumulate, 5, true);
    }
    for (; i + 4 <= m; i += 4) tile8(c + <usize>i * ldc, a + <usize>i * aRow, panel, k, aRow, aK, 32, ldc, accumulate, 4, true);
  } else { // rows a row apart (gemmNN): stridedRows' tile
    // gemmNN's k stride is one float. Passed as the constant it is, V8 bumps the row pointers
    // by an immediate instead of reloading aK from the stack every k (seen in
    // --print-wasm-code). `npm run bench:kernels`, relaxed SIMD, Xeon, % of peak before → after:
    // Node 22 evaluation 77–78 → 80–84%, forward 80–84 → 82–84%; Node 20 evaluation 77–80 →
    // 79–81%; Node 24 (6×8) within noise.
    if (stridedRows == 6) {
      for (; i + 6 <= m; i += 6) tile8(c + <usize>i * ldc, a + <usize>i * aRow, panel, k, aRow, 4, 32, ldc, accumulate, 6, false);
    }
    for (; i + 4 <= m; i += 4) tile8(c + <usize>i * ldc, a + <usize>i * aRow, panel, k, aRow, 4, 32, ldc, accumulate, 4, false);
  }
  for (; i < m; i++) tile1x8(c + <usize>i * ldc, a + <usize>i * aRow, panel, k, aK, 32, accumulate);
}

// The 4-wide panels use 8×4 tiles: a 4×4 tile's four accumulator chains cannot cover the
// multiply-add latency (4 cycles, 2 per cycle), so it ran at half speed, and on a 10-wide layer
// (8 + 2 columns padded to 4) the edge panel cost as much as the full one.
function rowsAgainstPanel4(
  c: usize, a: usize, panel: usize, m: i32, k: i32, aRow: usize, aK: usize, ldc: usize, accumulate: bool,
): void {
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const cTile = c + <usize>i * ldc;
    const aRows = a + <usize>i * aRow;
    if (aRow == 4) tile4(cTile, aRows, panel, k, aRow, aK, 16, ldc, accumulate, 8, true);
    else tile4(cTile, aRows, panel, k, aRow, 4, 16, ldc, accumulate, 8, false); // gemmNN: as in rowsAgainstPanel8
  }
  for (; i + 4 <= m; i += 4) tile4(c + <usize>i * ldc, a + <usize>i * aRow, panel, k, aRow, aK, 16, ldc, accumulate, 4, false);
  for (; i < m; i++) tile1x4(c + <usize>i * ldc, a + <usize>i * aRow, panel, k, aK, 16, accumulate);
}

// The last 1–7 columns run the 4- or 8-wide kernels on the zero-padded panel. Exactly 4 columns
// write C directly; other widths stage the row block's rows of C (at most ROW_BLOCK: whole 6×8,
// 5×8, 4×8 and 8×4 tiles) in CTILE, so the padding lanes land there (wasted lanes, still far
// faster than scalar code). Copies are plain loops: a bulk memory.copy call costs more than
// these few floats.
const CTILE_BYTES: usize = ROW_BLOCK * 8 * 4;
let CTILE: usize = memory.data(<i32>CTILE_BYTES, 16);
export const GEMM_SCRATCH_BYTES: i32 = <i32>(PACKED_BYTES + CTILE_BYTES + APACK_BYTES);

/** This thread's scratch: GEMM_SCRATCH_BYTES at `at`, 16-byte aligned. */
export function gemmUseScratch(at: usize): void {
  PACKED = at;
  CTILE = at + PACKED_BYTES;
  APACK = CTILE + CTILE_BYTES;
}

/** `m` ≤ ROW_BLOCK rows of C against the last, partial panel. */
function rowsAgainstEdgePanel(
  c: usize, a: usize, panel: usize, m: i32, k: i32, width: i32, aRow: usize, aK: usize, ldc: usize, accumulate: bool,
): void {
  const stride = edgePanelStride(width);
  if (<usize>width << 2 == stride) {
    rowsAgainstPanel4(c, a, panel, m, k, aRow, aK, ldc, accumulate);
    return;
  }
  if (accumulate) copyColumns(CTILE, stride, c, ldc, m, width);
  if (stride == 32) rowsAgainstPanel8(CTILE, a, panel, m, k, aRow, aK, 32, accumulate);
  else rowsAgainstPanel4(CTILE, a, panel, m, k, aRow, aK, 16, accumulate);
  copyColumns(c, ldc, CTILE, stride, m, width);
}

// @ts-ignore: decorator
@inline
function copyColumns(dst: usize, ldDst: usize, src: usize, ldSrc: usize, rows: i32, width: i32): void {
  for (let r = 0; r < rows; r++) {
    for (let col = 0; col < width; col++) {
      store<f32>(dst + <usize>r * ldDst + (<usize>col << 2), load<f32>(src + <usize>r * ldSrc + (<usize>col << 2)));
    }
  }
}

/**
 * A `rows`×8 tile of C over all of k (rows 6, 5 or 4; 5 only adjacent): C's rows at c + r·ldc,
 * the panel's k rows at b + p·ldb, A(i, p) at a + i·aRow + p·aK. `adjacent` is the TN case: the
 * tile's rows of Aᵀ are adjacent floats of one row of A (aRow = 4), so a single pointer with
 * constant offsets replaces one pointer bump per row per k (measured on the 4×8 tile: +8% plain,
 * +20% relaxed SIMD on 784×100×100). `rows` and `adjacent` are constants at every call, so each
 * call keeps only its own accumulators and pointers.
 *
 * The 5×8 tile is for V8 11/12, which emit every load of an iteration before its multiply-adds
 * (seen in --print-wasm-code), so each row's splat holds a register until its multiply-adds: 10
 * accumulators, 2 B vectors and 5 splats would need 17 of the 15 vector registers V8 allocates.
 * So its first four rows come from one vector load, splatted lane by lane by shuffles that the
 * engine places next to their multiply-adds: 10 + 2 + that vector + row 4's splat + one shuffled
 * lane = 15. Ten accumulator chains instead of 4×8's eight leave the multiply-add latency
 * (4 cycles at 2 per cycle: 8 chains in flight) some slack.
 */
// @ts-ignore: decorator
@inline
function tile8(
  c: usize, a: usize, b: usize, k: i32, aRow: usize, aK: usize, ldb: usize, ldc: usize, accumulate: bool,
  rows: i32, adjacent: bool,
): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
  let acc00 = f32x4.splat(0), acc01 = f32x4.splat(0);
  let acc10 = f32x4.splat(0), acc11 = f32x4.splat(0);
  let acc20 = f32x4.splat(0), acc21 = f32x4.splat(0);
  let acc30 = f32x4.splat(0), acc31 = f32x4.splat(0);
  let acc40 = f32x4.splat(0), acc41 = f32x4.splat(0);
  let acc50 = f32x4.splat(0), acc51 = f32x4.splat(0);
  if (accumulate) {
    acc00 = v128.load(c); acc01 = v128.load(c, 16);
    acc10 = v128.load(c1); acc11 = v128.load(c1, 16);
    acc20 = v128.load(c2); acc21 = v128.load(c2, 16);
    acc30 = v128.load(c3); acc31 = v128.load(c3, 16);
    if (rows >= 5) {
      acc40 = v128.load(c4); acc41 = v128.load(c4, 16);
    }
    if (rows == 6) {
      acc50 = v128.load(c5); acc51 = v128.load(c5, 16);
    }
  }
  let a0 = a, a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow, a4 = a3 + aRow, a5 = a4 + aRow;
  let bp = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    // (rows 5: zeros otherwise, a constant the compiler drops with the branches that never read it)
    const rows0to3 = rows == 5 ? v128.load(a0) : f32x4.splat(0);
    let s = rows == 5 ? v128.shuffle<f32>(rows0to3, rows0to3, 0, 0, 0, 0) : v128.load32_splat(a0);
    acc00 = madd(s, b0, acc00); acc01 = madd(s, b1, acc01);
    s = rows == 5 ? v128.shuffle<f32>(rows0to3, rows0to3, 1, 1, 1, 1) : adjacent ? v128.load32_splat(a0, 4) : v128.load32_splat(a1);
    acc10 = madd(s, b0, acc10); acc11 = madd(s, b1, acc11);
    s = rows == 5 ? v128.shuffle<f32>(rows0to3, rows0to3, 2, 2, 2, 2) : adjacent ? v128.load32_splat(a0, 8) : v128.load32_splat(a2);
    acc20 = madd(s, b0, acc20); acc21 = madd(s, b1, acc21);
    s = rows == 5 ? v128.shuffle<f32>(rows0to3, rows0to3, 3, 3, 3, 3) : adjacent ? v128.load32_splat(a0, 12) : v128.load32_splat(a3);
    acc30 = madd(s, b0, acc30); acc31 = madd(s, b1, acc31);
    if (rows >= 5) {
      s = adjacent ? v128.load32_splat(a0, 16) : v128.load32_splat(a4);
      acc40 = madd(s, b0, acc40); acc41 = madd(s, b1, acc41);
    }
    if (rows == 6) {
      s = adjacent ? v128.load32_splat(a0, 20) : v128.load32_splat(a5);
      acc50 = madd(s, b0, acc50); acc51 = madd(s, b1, acc51);
    }
    a0 += aK;
    if (!adjacent) {
      a1 += aK; a2 += aK; a3 += aK;
      if (rows == 6) {
        a4 += aK; a5 += aK;
      }
    }
    bp += ldb;
  }
  v128.store(c, acc00); v128.store(c, acc01, 16);
  v128.store(c1, acc10); v128.store(c1, acc11, 16);
  v128.store(c2, acc20); v128.store(c2, acc21, 16);
  v128.store(c3, acc30); v128.store(c3, acc31, 16);
  if (rows >= 5) {
    v128.store(c4, acc40); v128.store(c4, acc41, 16);
  }
  if (rows == 6) {
    v128.store(c5, acc50); v128.store(c5, acc51, 16);
  }
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

/**
 * A `rows`×4 tile of C over all of k (rows 8 or 4), addressed as tile8's; `adjacent` as there.
 * `rows` and `adjacent` are constants at every call.
 */
// @ts-ignore: decorator
@inline
function tile4(
  c: usize, a: usize, b: usize, k: i32, aRow: usize, aK: usize, ldb: usize, ldc: usize, accumulate: bool,
  rows: i32, adjacent: bool,
): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc, c6 = c5 + ldc, c7 = c6 + ldc;
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0), acc2 = f32x4.splat(0), acc3 = f32x4.splat(0);
  let acc4 = f32x4.splat(0), acc5 = f32x4.splat(0), acc6 = f32x4.splat(0), acc7 = f32x4.splat(0);
  if (accumulate) {
    acc0 = v128.load(c); acc1 = v128.load(c1); acc2 = v128.load(c2); acc3 = v128.load(c3);
    if (rows == 8) {
      acc4 = v128.load(c4); acc5 = v128.load(c5); acc6 = v128.load(c6); acc7 = v128.load(c7);
    }
  }
  let a0 = a, a1 = a + aRow, a2 = a1 + aRow, a3 = a2 + aRow, a4 = a3 + aRow, a5 = a4 + aRow, a6 = a5 + aRow, a7 = a6 + aRow;
  let bp = b;
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(bp);
    acc0 = madd(v128.load32_splat(a0), b0, acc0);
    acc1 = madd(adjacent ? v128.load32_splat(a0, 4) : v128.load32_splat(a1), b0, acc1);
    acc2 = madd(adjacent ? v128.load32_splat(a0, 8) : v128.load32_splat(a2), b0, acc2);
    acc3 = madd(adjacent ? v128.load32_splat(a0, 12) : v128.load32_splat(a3), b0, acc3);
    if (rows == 8) {
      acc4 = madd(adjacent ? v128.load32_splat(a0, 16) : v128.load32_splat(a4), b0, acc4);
      acc5 = madd(adjacent ? v128.load32_splat(a0, 20) : v128.load32_splat(a5), b0, acc5);
      acc6 = madd(adjacent ? v128.load32_splat(a0, 24) : v128.load32_splat(a6), b0, acc6);
      acc7 = madd(adjacent ? v128.load32_splat(a0, 28) : v128.load32_splat(a7), b0, acc7);
    }
    a0 += aK;
    if (!adjacent) {
      a1 += aK; a2 += aK; a3 += aK;
      if (rows == 8) {
        a4 += aK; a5 += aK; a6 += aK; a7 += aK;
      }
    }
    bp += ldb;
  }
  v128.store(c, acc0); v128.store(c1, acc1); v128.store(c2, acc2); v128.store(c3, acc3);
  if (rows == 8) {
    v128.store(c4, acc4); v128.store(c5, acc5); v128.store(c6, acc6); v128.store(c7, acc7);
  }
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
