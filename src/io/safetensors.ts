// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__: { … } } padded with
// spaces to a multiple of 8, then the tensors' raw little-endian bytes. simdnet writes F32 (I32
// for indices, I64 for counts, as PyTorch's num_batches_tracked) and adds a CRC-32 of the data section to the metadata, so a corrupt file is
// detected on load.
import { ModelFormatError, ShapeError, ValueError } from '../errors.js';
import { crc32 } from './crc32.js';
import type { NamedTensor } from './tensor.js';

const CHECKSUM_KEY = 'crc32';
const METADATA_KEY = '__metadata__';
// The format's own limit on the JSON header, checked before it is read.
const MAX_HEADER_BYTES = 100_000_000;

type TensorData = NamedTensor['data'];
const dtypeOf = (data: TensorData) => (data instanceof Int32Array ? 'I32' : data instanceof BigInt64Array ? 'I64' : 'F32');
const ELEMENT_BYTES: Record<string, number> = { F32: 4, I32: 4, I64: 8 };

/** CRC-32 as 8 hex digits. */
export function checksumText(data: Uint8Array): string {
  return crc32(data).toString(16).padStart(8, '0');
}

export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  // No prototype, so a tensor named '__proto__' is an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  let offset = 0;
  for (const { name, shape, data } of tensors) {
    if (name === METADATA_KEY || Object.hasOwn(header, name)) throw new ValueError(`tensor name '${name}' is reserved or repeated`);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || shape.reduce((a, b) => a * b, 1) !== data.length) {
      throw new ShapeError(`${name}: shape [${shape}] does not hold ${data.length} values`);
    }
    const bytes = data.length * data.BYTES_PER_ELEMENT;
    header[name] = { dtype: dtypeOf(data), shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const body = new Uint8Array(offset);
  const view = new DataView(body.buffer);
  offset = 0;
  for (const { data } of tensors) {
    if (data instanceof Int32Array) for (let i = 0; i < data.length; i++, offset += 4) view.setInt32(offset, data[i], true);
    else if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++, offset += 8) view.setBigInt64(offset, data[i], true);
    else for (let i = 0; i < data.length; i++, offset += 4) view.setFloat32(offset, data[i], true);
  }
  header[METADATA_KEY] = { ...metadata, [CHECKSUM_KEY]: checksumText(body) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8; // keeps the data section 8-byte aligned
  const out = new Uint8Array(8 + headerLength + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  out.set(body, 8 + headerLength);
  return out;
}

export function decodeSafetensors(
  bytes: Uint8Array, source = 'safetensors data',
): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  const fail = (problem: string): never => {
    throw new ModelFormatError(`${source}: ${problem}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes: too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) fail(`header length ${headerLength} runs past the end of the ${bytes.length}-byte file (truncated?)`);
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    fail('header is not valid JSON');
  }
  if (!isObject(header)) fail('header is not a JSON object');
  const entries = header as Record<string, unknown>;
  const metadata = entries[METADATA_KEY] ?? {};
  if (!isObject(metadata) || Object.values(metadata).some((v) => typeof v !== 'string')) {
    fail(`${METADATA_KEY} must map names to strings`);
  }
  const data = bytes.subarray(8 + headerLength);
  const tensors: { tensor: NamedTensor; begin: number }[] = [];
  for (const [name, info] of Object.entries(entries)) {
    if (name === METADATA_KEY) continue;
    if (!isObject(info)) fail(`tensor '${name}' is not described by an object`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (dtype !== 'F32' && dtype !== 'I32' && dtype !== 'I64') fail(`tensor '${name}' has dtype ${String(dtype)}: only F32, I32 and I64 are supported`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(`tensor '${name}' has no valid data_offsets`);
    }
    const [begin, end] = offsets as number[];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const bytes = count * ELEMENT_BYTES[dtype as string];
    if (end - begin !== bytes) { // also catches end < begin: count is never negative
      fail(`tensor '${name}': shape [${shape}] needs ${bytes} bytes, data_offsets span ${end - begin}`);
    }
    if (end > data.length) fail(`tensor '${name}' ends at byte ${end} of a ${data.length}-byte data section (truncated?)`);
    const values = dtype === 'I32' ? new Int32Array(count) : dtype === 'I64' ? new BigInt64Array(count) : new Float32Array(count);
    tensors.push({ tensor: { name, shape: shape as number[], data: values }, begin });
  }
  tensors.sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const { tensor, begin } of tensors) {
    if (begin !== expected) fail(`tensor '${tensor.name}' starts at byte ${begin}, expected ${expected}: overlapping or non-contiguous data`);
    expected = begin + tensor.data.length * tensor.data.BYTES_PER_ELEMENT;
  }
  if (expected !== data.length) fail(`${data.length - expected} trailing bytes after the last tensor`);
  const { [CHECKSUM_KEY]: checksum, ...rest } = metadata as Record<string, string>;
  if (checksum !== undefined && checksum.toLowerCase() !== checksumText(data)) fail('checksum mismatch: file is corrupt');
  // Read through a DataView: the data section need not be 4-byte aligned in `bytes`, and the
  // tensors must not alias the caller's buffer.
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const { tensor: { data }, begin } of tensors) {
    if (data instanceof Int32Array) for (let i = 0; i < data.length; i++) data[i] = dataView.getInt32(begin + 4 * i, true);
    else if (data instanceof BigInt64Array) for (let i = 0; i < data.length; i++) data[i] = dataView.getBigInt64(begin + 8 * i, true);
    else for (let i = 0; i < data.length; i++) data[i] = dataView.getFloat32(begin + 4 * i, true);
  }
  return { tensors: tensors.map((t) => t.tensor), metadata: rest };
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
