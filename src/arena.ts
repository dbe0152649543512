// Every tensor simdnet touches lives in the kernel module's one linear memory. The arena hands
// out 16-byte-aligned blocks of it (first fit over a free list, neighbours merged on free) and
// grows the memory when no free block is large enough. Freed blocks are reused, so creating and
// disposing networks in a loop does not grow memory without bound.
//
// Red zones, a debugging aid (RuntimeOptions.redZoneBytes): with redZoneBytes > 0 every block is
// followed by that many bytes of a known pattern, and so is each buffer a network lays out inside
// its workspace block (plan.ts). overwrittenRedZones() lists those something wrote into (a
// block's are checked when it is released, so a network disposed within a test still counts): a
// kernel that writes past its buffer is caught there, even where the memory after it would be
// written again before anything read it (the tests run every network of threads.test.ts so).
import { OutOfMemoryError, SimdnetError, ValueError } from './errors.js';

const ALIGN = 16;
const PAGE = 65536;
const RED_ZONE_BYTE = 0xa5;

interface Block {
  offset: number;
  size: number;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  private readonly free: Block[] = [];
  private top: number;
  private readonly sizes = new Map<number, number>();
  /** The red zones' offsets. */
  private readonly redZones = new Set<number>();
  /** Red zones found overwritten when their block was released. */
  private readonly overwrittenBeforeRelease: number[] = [];

  constructor(memory: WebAssembly.Memory, heapBase: number, readonly redZoneBytes = 0) {
    if (!Number.isInteger(redZoneBytes) || redZoneBytes < 0) {
      throw new ValueError(`redZoneBytes is ${redZoneBytes}: must be a whole number of bytes, 0 or more`);
    }
    this.memory = memory;
    this.top = alignUp(heapBase);
  }

  /** A zero-filled block of at least `bytes` bytes (and a red zone after them); returns its byte offset. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1) + this.redZoneBytes);
    let offset = -1;
    const index = this.free.findIndex((block) => block.size >= size);
    if (index >= 0) {
      const block = this.free[index];
      offset = block.offset;
      if (block.size === size) this.free.splice(index, 1);
      else this.free[index] = { offset: block.offset + size, size: block.size - size };
    } else {
      offset = this.top;
      this.ensureCapacity(offset + size);
      this.top += size;
    }
    new Uint8Array(this.memory.buffer, offset, size).fill(0);
    this.sizes.set(offset, size);
    this.redZone(offset + bytes);
    return offset;
  }

  /**
   * Makes the redZoneBytes bytes at `at`, inside an allocated block, a red zone (nothing when
   * redZoneBytes is 0): for buffers laid out inside one block.
   */
  redZone(at: number): void {
    if (this.redZoneBytes === 0) return;
    if (!this.blockHolding(at, this.redZoneBytes)) throw new SimdnetError(`arena: a red zone at ${at} is not inside an allocated block`);
    new Uint8Array(this.memory.buffer, at, this.redZoneBytes).fill(RED_ZONE_BYTE);
    this.redZones.add(at);
  }

  /** The red zones whose bytes something has overwritten, in blocks released since too (none: []). */
  overwrittenRedZones(): number[] {
    return [...this.overwrittenBeforeRelease, ...[...this.redZones].filter((at) => this.overwritten(at))];
  }

  private overwritten(redZone: number): boolean {
    return new Uint8Array(this.memory.buffer, redZone, this.redZoneBytes).some((byte) => byte !== RED_ZONE_BYTE);
  }

  private blockHolding(at: number, bytes: number): boolean {
    for (const [offset, size] of this.sizes) if (at >= offset && at + bytes <= offset + size) return true;
    return false;
  }

  release(offset: number): void {
    const size = this.sizes.get(offset);
    if (size === undefined) throw new SimdnetError(`arena: ${offset} is not an allocated block`);
    this.sizes.delete(offset);
    for (const at of this.redZones) {
      if (at < offset || at >= offset + size) continue;
      if (this.overwritten(at)) this.overwrittenBeforeRelease.push(at);
      this.redZones.delete(at);
    }
    let index = this.free.findIndex((block) => block.offset > offset);
    if (index < 0) index = this.free.length;
    this.free.splice(index, 0, { offset, size });
    // Merge with the following and the preceding free block.
    const next = this.free[index + 1];
    if (next && offset + size === next.offset) {
      this.free[index].size += next.size;
      this.free.splice(index + 1, 1);
    }
    const previous = this.free[index - 1];
    if (previous && previous.offset + previous.size === offset) {
      previous.size += this.free[index].size;
      this.free.splice(index, 1);
    }
    // A free block at the top is returned to the unallocated region.
    const last = this.free[this.free.length - 1];
    if (last && last.offset + last.size === this.top) {
      this.top = last.offset;
      this.free.pop();
    }
  }

  /** Bytes currently handed out (for leak tests and reports). */
  get allocatedBytes(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }

  private ensureCapacity(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const pages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(pages);
    } catch {
      throw new OutOfMemoryError(
        `out of WebAssembly memory: needed ${end} bytes, the engine refused to grow past ${have}`,
      );
    }
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/**
 * A Float32Array (or Int32Array) view of a block that survives memory growth: growing a wasm
 * memory detaches the old ArrayBuffer, so the view is rebuilt when the buffer has changed and
 * reused otherwise.
 */
export class LiveView<T extends Float32Array | Int32Array | Float64Array> {
  private view: T;

  constructor(
    private readonly memory: WebAssembly.Memory,
    readonly offset: number,
    readonly length: number,
    private readonly make: (buffer: ArrayBuffer, offset: number, length: number) => T,
  ) {
    this.view = make(memory.buffer, offset, length);
  }

  get array(): T {
    if (this.view.buffer !== this.memory.buffer) {
      this.view = this.make(this.memory.buffer, this.offset, this.length);
    }
    return this.view;
  }
}

export function f32View(memory: WebAssembly.Memory, offset: number, length: number): LiveView<Float32Array> {
  return new LiveView(memory, offset, length, (b, o, n) => new Float32Array(b, o, n));
}

export function i32View(memory: WebAssembly.Memory, offset: number, length: number): LiveView<Int32Array> {
  return new LiveView(memory, offset, length, (b, o, n) => new Int32Array(b, o, n));
}
