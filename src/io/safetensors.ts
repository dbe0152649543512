// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__: { … } } padded with
// spaces to a multiple of 8, then the tensors' raw little-endian bytes. simdnet writes F32 only
// and adds a CRC-32 of the data section to the metadata, so a corrupt file is detected on load.
import { ModelFormatError } from '../errors.js';
import { crc32 } from './crc32.js';
import type { NamedTensor } from './tensor.js';

const CHECKSUM_KEY = 'crc32';

export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const dataBytes = tensors.reduce((sum, t) => sum + t.data.length * 4, 0);
  const data = new Uint8Array(dataBytes);
  const view = new DataView(data.buffer);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new ModelFormatError(`${t.name}: shape [${t.shape}] does not hold ${t.data.length} values`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    for (let i = 0; i < count; i++) view.setFloat32(offset + 4 * i, t.data[i], true);
    offset += count * 4;
  }
  header.__metadata__ = { ...metadata, [CHECKSUM_KEY]: crc32(data).toString(16).padStart(8, '0') };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
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
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    fail('header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const entries = header as Record<string, unknown>;
  const metadata = (entries.__metadata__ ?? {}) as Record<string, string>;
  if (typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string')) {
    fail('__metadata__ must map names to strings');
  }
  const data = bytes.subarray(8 + headerLength);
  const tensors: { tensor: NamedTensor; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(entries)) {
    if (name === '__metadata__') continue;
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info?.dtype !== 'F32') fail(`tensor '${name}' has dtype ${String(info?.dtype)}: only F32 is supported`);
    const shape = info.shape;
    const offsets = info.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has no valid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(`tensor '${name}' has no valid data_offsets`);
    }
    const [begin, end] = offsets as number[];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end - begin !== count * 4) {
      fail(`tensor '${name}': shape [${shape}] needs ${count * 4} bytes, data_offsets span ${end - begin}`);
    }
    if (end > data.length) fail(`tensor '${name}' ends at byte ${end} of a ${data.length}-byte data section (truncated?)`);
    tensors.push({ tensor: { name, shape: shape as number[], data: new Float32Array(count) }, begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const { tensor, begin } of tensors) {
    if (begin !== expected) fail(`tensor '${tensor.name}' starts at byte ${begin}, expected ${expected}: overlapping or non-contiguous data`);
    expected = begin + tensor.data.length * 4;
  }
  if (expected !== data.length) fail(`${data.length - expected} trailing bytes after the last tensor`);
  const checksum = metadata[CHECKSUM_KEY];
  if (checksum !== undefined && checksum !== crc32(data).toString(16).padStart(8, '0')) {
    fail('checksum mismatch: file is corrupt');
  }
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const { tensor, begin } of tensors) {
    for (let i = 0; i < tensor.data.length; i++) tensor.data[i] = dataView.getFloat32(begin + 4 * i, true);
  }
  const { [CHECKSUM_KEY]: _checksum, ...rest } = metadata;
  return { tensors: tensors.map((t) => t.tensor), metadata: rest };
}
