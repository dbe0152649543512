// Model files on disk (Node). Every file is written atomically: a crash mid-save leaves the
// previous file intact, never half a model.
import './wasm-node.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFormatError } from './errors.js';
import { writeFileAtomic } from './io/atomic.js';
import { assignSavetxtFiles, checkpointFromBytes, encodeModel, modelFromBytes, savetxtFiles, type ModelExtras } from './model.js';
import type { TrainProgress } from './train.js';
import type { TableTransform } from './data/table-transform.js';
import type { Network } from './network.js';
import { sharedRuntime, type Runtime } from './runtime.js';

/** Writes the model (and optimizer state; and training progress, if given) to one file. */
export async function saveModel(net: Network, path: string, progress?: TrainProgress, extras?: ModelExtras): Promise<void> {
  await writeFileAtomic(path, encodeModel(net, progress, extras));
}

export async function loadModel(path: string, runtime?: Runtime): Promise<Network> {
  return modelFromBytes(runtime ?? (await sharedRuntime()), await readExisting(path), path);
}

/** The network with its optimizer state, and the progress to pass as train({ resume }). */
export async function loadCheckpoint(path: string, runtime?: Runtime): Promise<{ net: Network; progress?: TrainProgress; table?: TableTransform }> {
  return checkpointFromBytes(runtime ?? (await sharedRuntime()), await readExisting(path), path);
}

/** Writes W1.txt, b1.txt, … into `dir`, as np.savetxt(path, array) writes them. */
export async function saveParamsText(net: Network, dir: string): Promise<string[]> {
  const files = savetxtFiles(net);
  for (const [name, text] of Object.entries(files)) await writeFileAtomic(join(dir, name), text);
  return Object.keys(files).map((name) => join(dir, name));
}

/** Reads W1.txt, b1.txt, … (np.savetxt's format) from `dir` into the network. */
export async function loadParamsText(net: Network, dir: string): Promise<void> {
  const files: Record<string, string> = {};
  for (const name of net.paramNames) {
    files[`${name}.txt`] = new TextDecoder().decode(await readExisting(join(dir, `${name}.txt`)));
  }
  assignSavetxtFiles(net, files, dir);
}

async function readExisting(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ModelFormatError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
