// Threads: a pool of instances of this module over one shared memory (the threaded builds,
// asc --enable threads --importMemory --sharedMemory). Every thread runs the SAME fused pass
// (network.ts) over the plan; each kernel does its share of the work given the thread's index
// and the pass's thread count, and barriers separate kernels that read what others wrote.
// Thread 0 is the caller: an exported pass writes its arguments into the pool's control block,
// bumps the generation word and runs its own share; the workers, waiting in workerLoop, wake on
// the generation and run theirs. One training step is still one call from JavaScript.
//
// Bit-identity for every thread count: each output element is computed by exactly one thread,
// by the same operations in the same order as with one thread. A share is a range of rows,
// columns or elements cut at multiples of 4, so vector bodies and scalar tails see the same
// elements as single-threaded; reductions whose order matters run on thread 0.
//
// Memory under sharing: wasm globals (the ones below) are per instance, so each thread has its
// own index and its own scratch pointers (gemm's packed panel). The module's remaining data
// segments are constant tables (Math's, sparse.ts's swizzles), which a worker's instantiation
// rewrites with the same bytes; zero-filled static data (--zeroFilledMemory) is not written at all.

// The control block: i32 words, then f64 argument slots.
export const POOL_GENERATION: i32 = 0; // thread 0 adds 1 to start a pass
export const POOL_ARRIVED: i32 = 1; // threads that reached the current barrier
export const POOL_RELEASE: i32 = 2; // barrier generation: the last arrival adds 1
export const POOL_ERROR: i32 = 3; // nonzero (1 + the failing thread's index): every thread stops
export const POOL_PASS: i32 = 4; // PASS_* of the pass being started
export const POOL_ARGUMENTS: i32 = 8; // byte 32: POOL_ARGUMENT_SLOTS f64
export const POOL_ARGUMENT_SLOTS: i32 = 8;
export const POOL_BYTES: i32 = 32 + 8 * 8;

export const PASS_EXIT: i32 = -1;

// A waiting thread polls the word this many times before it sleeps in memory.atomic.wait32.
// With a core for every thread, long: a thread that sleeps and is woken through the futex
// costs far more than a step's barriers are apart (on the 2-core Xeon VM the 784-100-10 step
// ran 1.00× faster on 2 threads than on 1 with 20000 polls, 1.53× with 2·10⁶ and no better with
// 5·10⁷). 2·10⁶ polls last ≈ 3–4 ms there (npm run bench:threads: a worker's CPU time in the
// 100 ms after a pass, 3.1–4.1 ms), so a pool left idle burns that much and then sleeps. With
// more threads than cores, short (≈ 60 µs): a spinning thread then holds a core that the thread
// it waits for needs (the thread tests, which run 3 and 4 threads on 2 cores: 59 s with the long
// spin, 21 s with this one).
const SPIN_WITH_A_CORE_EACH = 2000000;
const SPIN_OVERSUBSCRIBED = 20000;

let threadIndex: i32 = 0; // this thread's index: 0 is the caller
let passThreads: i32 = 1; // threads in the running pass; 1 outside a pass (plain kernel calls)
let poolThreads: i32 = 1;
let pool: usize = 0;
let seenGeneration: i32 = 0; // a worker's last pass
let spin: i32 = SPIN_OVERSUBSCRIBED;

/** Threads sharing the running pass (1 outside a pass and in the single-threaded builds). */
// @ts-ignore: decorator
@inline
export function threads(): i32 {
  return passThreads;
}

/**
 * Called once in each worker before workerLoop, and by thread 0 with index 0; `oversubscribed`:
 * the pool has more threads than the machine has cores.
 */
export function threadInit(index: i32, count: i32, controlBlock: usize, oversubscribed: bool): void {
  threadIndex = index;
  poolThreads = count;
  pool = controlBlock;
  spin = oversubscribed ? SPIN_OVERSUBSCRIBED : SPIN_WITH_A_CORE_EACH;
  seenGeneration = ASC_FEATURE_THREADS ? atomic.load<i32>(poolWord(POOL_GENERATION)) : 0;
}

/** Where this thread's share of `total` items begins, cut at multiples of `granule`. */
// @ts-ignore: decorator
@inline
export function shareStart(total: i32, granule: i32): i32 {
  return shareBoundary(total, granule, threadIndex);
}

/** Where this thread's share of `total` items ends. */
// @ts-ignore: decorator
@inline
export function shareEnd(total: i32, granule: i32): i32 {
  return shareBoundary(total, granule, threadIndex + 1);
}

function shareBoundary(total: i32, granule: i32, index: i32): i32 {
  if (passThreads == 1) return index == 0 ? 0 : total;
  const granules = (total + granule - 1) / granule;
  const at = <i32>((<i64>granules * index + passThreads - 1) / passThreads) * granule;
  return min(at, total);
}

function poolWord(word: i32): usize {
  return pool + (<usize>word << 2);
}

// @ts-ignore: decorator
@inline
function failed(): bool {
  return ASC_FEATURE_THREADS && atomic.load<i32>(poolWord(POOL_ERROR)) != 0;
}

/**
 * Spins, then sleeps, while the word at `at` still holds `value` and no thread has failed. The
 * error word is checked after `value` was read: a failing thread sets it before it changes the
 * words threads sleep on (stopPool), so either this sees the error or the wait sees the change.
 */
function waitWhile(at: usize, value: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  for (let i = 0; i < spin; i++) {
    if (atomic.load<i32>(at) != value || failed()) return;
  }
  while (atomic.load<i32>(at) == value && !failed()) memory.atomic.wait32(at, value, -1);
}

/** Every thread of the pass waits here until all have arrived: what one wrote before, all may read after. */
export function barrier(): void {
  if (!ASC_FEATURE_THREADS || passThreads == 1) return;
  const release = poolWord(POOL_RELEASE);
  const generation = atomic.load<i32>(release);
  if (atomic.add<i32>(poolWord(POOL_ARRIVED), 1) == passThreads - 1) {
    atomic.store<i32>(poolWord(POOL_ARRIVED), 0);
    atomic.add<i32>(release, 1);
    atomic.notify(release, -1);
  } else {
    waitWhile(release, generation);
  }
  if (failed()) unreachable();
}

/** One thread of the pass does this part (thread 0): the others wait at the barriers around it. */
// @ts-ignore: decorator
@inline
export function onlyThreadZero(): bool {
  return threadIndex == 0;
}

/**
 * Thread 0, entering an exported pass: wakes every worker to run `pass` with these arguments
 * when `parallel` (the plan's choice: small networks stay on one thread). Every worker takes part
 * in every pass it is woken for, so thread 0 cannot start the next pass before each worker has
 * finished (and read the arguments of) this one. Outside a pool it does nothing.
 */
export function launch(pass: i32, parallel: bool, a: usize, b: usize, c: usize, d: usize, e: usize, rows: i32, real: f64): void {
  if (!ASC_FEATURE_THREADS || pool == 0 || threadIndex != 0 || poolThreads == 1) return;
  if (failed()) unreachable();
  if (!parallel) return;
  const args = pool + (<usize>POOL_ARGUMENTS << 2);
  store<f64>(args, <f64>a);
  store<f64>(args, <f64>b, 8);
  store<f64>(args, <f64>c, 16);
  store<f64>(args, <f64>d, 24);
  store<f64>(args, <f64>e, 32);
  store<f64>(args, <f64>rows, 40);
  store<f64>(args, real, 48);
  atomic.store<i32>(poolWord(POOL_PASS), pass);
  passThreads = poolThreads;
  atomic.add<i32>(poolWord(POOL_GENERATION), 1);
  atomic.notify(poolWord(POOL_GENERATION), -1);
}

/** The end of a pass: every thread's share is done. */
export function finish(): void {
  barrier();
  passThreads = 1;
}

/** Argument `slot` of the pass being started: 0–4 pointers, 5 rows, 6 the real (learning rate, step). */
export function passArgument(slot: i32): f64 {
  return load<f64>(pool + (<usize>POOL_ARGUMENTS << 2) + (<usize>slot << 3));
}

/** A worker: waits for the next pass, joins it and returns its PASS_* (PASS_EXIT: stop). */
export function nextPass(): i32 {
  if (!ASC_FEATURE_THREADS) return PASS_EXIT;
  const generation = poolWord(POOL_GENERATION);
  waitWhile(generation, seenGeneration);
  if (failed()) unreachable();
  seenGeneration = atomic.load<i32>(generation);
  const pass = atomic.load<i32>(poolWord(POOL_PASS));
  if (pass != PASS_EXIT) passThreads = poolThreads;
  return pass;
}
