// The Node entry point: everything in index.ts plus reading datasets and models from disk.
import './wasm-node.js';
import './thread-worker-node.js';
export * from './index.js';
export { loadMnist, readIdxFile } from './data/mnist-node.js';
export * from './tables.js';
export { loadTable } from './data/table-node.js';
export { saveModel, loadModel, loadCheckpoint, saveParamsText, loadParamsText } from './model-node.js';
export { writeFileAtomic } from './io/atomic.js';
