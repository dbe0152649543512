// The IDX format of the MNIST files: two zero bytes, a type code, the number of dimensions,
// each dimension as a big-endian u32, then the values, big-endian. Everything a damaged file can
// get wrong is checked and named, so a truncated download is an error, not a shifted dataset.
import { IdxFormatError } from '../errors.js';

export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxTensor {
  dtype: IdxType;
  dims: number[];
  data: IdxData;
}

const TYPES: Record<number, { dtype: IdxType; size: number }> = {
  0x08: { dtype: 'uint8', size: 1 },
  0x09: { dtype: 'int8', size: 1 },
  0x0b: { dtype: 'int16', size: 2 },
  0x0c: { dtype: 'int32', size: 4 },
  0x0d: { dtype: 'float32', size: 4 },
  0x0e: { dtype: 'float64', size: 8 },
};

/**
 * The most payload bytes an IDX file may declare: 256 MiB, over five times MNIST's 47 MB of
 * training images. Loaders turn uint8 pixels into float32 (4×) and copy them into the 4 GiB
 * wasm memory, so a larger file could not train anyway; checked from the header, before a
 * gzipped file is inflated past it.
 */
export const MAX_IDX_BYTES = 256 * 1024 * 1024;

interface IdxHeader {
  type: { dtype: IdxType; size: number };
  dims: number[];
  headerBytes: number;
  payloadBytes: number;
}

/**
 * The header at the start of `bytes`, checked (magic, type, dimensions, declared size within
 * MAX_IDX_BYTES), or undefined while fewer bytes than the header needs have arrived.
 */
function readHeader(bytes: Uint8Array, source: string): IdxHeader | undefined {
  const fail = (problem: string): never => {
    throw new IdxFormatError(`${source}: ${problem}`);
  };
  if (bytes.length >= 2 && (bytes[0] !== 0 || bytes[1] !== 0)) {
    fail(`bad magic: starts with 0x${hex(bytes[0])}${hex(bytes[1])}, an IDX file starts with 0x0000 (is it gzipped? name it .gz)`);
  }
  if (bytes.length < 4) return undefined;
  const type = TYPES[bytes[2]];
  if (!type) fail(`unknown data type code 0x${hex(bytes[2])} (expected 08, 09, 0B, 0C, 0D or 0E)`);
  const ndims = bytes[3];
  if (ndims === 0) fail('zero dimensions');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const payloadBytes = dims.reduce((a, b) => a * b, 1) * type.size;
  if (payloadBytes > MAX_IDX_BYTES) {
    fail(`dimensions [${dims.join(', ')}] declare ${payloadBytes} bytes of payload, more than the ${MAX_IDX_BYTES} an IDX file may hold`);
  }
  return { type, dims, headerBytes, payloadBytes };
}

export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxTensor {
  const fail = (problem: string): never => {
    throw new IdxFormatError(`${source}: ${problem}`);
  };
  if (bytes.length === 0) fail('empty file');
  const header = readHeader(bytes, source);
  if (!header) {
    if (bytes.length < 4) fail(`only ${bytes.length} bytes: too short for the 4-byte IDX magic`);
    fail(`header truncated: ${bytes[3]} dimensions need ${4 + 4 * bytes[3]} header bytes, the file has ${bytes.length}`);
  }
  const { type, dims, headerBytes, payloadBytes: expected } = header!;
  const count = expected / type.size;
  const payload = bytes.length - headerBytes;
  if (payload < expected) {
    fail(`truncated: dimensions [${dims.join(', ')}] need ${expected} bytes of payload, found ${payload}`);
  }
  if (payload > expected) {
    fail(`header/payload mismatch: dimensions [${dims.join(', ')}] need ${expected} bytes of payload, ${payload - expected} trailing bytes follow`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { dtype: type.dtype, dims, data: decode(view, headerBytes, count, type.dtype) };
}

/**
 * Gathers an IDX file arriving in chunks (from a decompressor) into one buffer, refusing it as
 * soon as more arrives than its header declares: a small .gz that inflates to gigabytes costs
 * no more than the header's (bounded) size. The buffer grows by doubling as data arrives, so a
 * header that declares more than is sent costs only what was sent.
 */
export class IdxCollector {
  private bytes = new Uint8Array(0);
  private received = 0;
  private total?: number;

  constructor(private readonly source: string) {}

  push(chunk: Uint8Array): void {
    const length = this.received + chunk.length;
    if (this.total !== undefined && length > this.total) this.tooMuch(this.total);
    if (length > this.bytes.length) {
      const grown = new Uint8Array(Math.min(this.total ?? Infinity, Math.max(length, 2 * this.bytes.length, 4096)));
      grown.set(this.bytes.subarray(0, this.received));
      this.bytes = grown;
    }
    this.bytes.set(chunk, this.received);
    this.received = length;
    if (this.total === undefined) {
      const header = readHeader(this.bytes.subarray(0, this.received), this.source);
      if (!header) return;
      this.total = header.headerBytes + header.payloadBytes;
      if (this.received > this.total) this.tooMuch(this.total);
      if (this.bytes.length > this.total) this.bytes = this.bytes.slice(0, this.total);
    }
  }

  /** What arrived, for parseIdx to check (and name what is missing). */
  finish(): Uint8Array {
    return this.bytes.subarray(0, this.received);
  }

  private tooMuch(total: number): never {
    throw new IdxFormatError(`${this.source}: inflates to more than the ${total} bytes its header declares`);
  }
}

function decode(view: DataView, at: number, count: number, dtype: IdxType): IdxData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer, view.byteOffset + at, count);
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + at, count);
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(at + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(at + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, false);
      return out;
    }
  }
}

/** A valid IDX file for the tensor (for fixtures and for writing datasets). */
export function encodeIdx(tensor: IdxTensor): Uint8Array {
  const code = Number(Object.keys(TYPES).find((key) => TYPES[Number(key)].dtype === tensor.dtype));
  const size = TYPES[code].size;
  const header = 4 + 4 * tensor.dims.length;
  const bytes = new Uint8Array(header + tensor.data.length * size);
  const view = new DataView(bytes.buffer);
  bytes[2] = code;
  bytes[3] = tensor.dims.length;
  tensor.dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  tensor.data.forEach((v, i) => {
    const at = header + i * size;
    if (tensor.dtype === 'uint8') view.setUint8(at, v);
    else if (tensor.dtype === 'int8') view.setInt8(at, v);
    else if (tensor.dtype === 'int16') view.setInt16(at, v, false);
    else if (tensor.dtype === 'int32') view.setInt32(at, v, false);
    else if (tensor.dtype === 'float32') view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  });
  return bytes;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0').toUpperCase();
}
