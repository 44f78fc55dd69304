export { loadPlanetoid } from './planetoid';
export type { PlanetoidDataset } from './planetoid';
export { MAX_HEADER_BYTES, readSafetensors, readSafetensorsContents } from './safetensors';
export type { SafetensorsContents, SafetensorsDType, SafetensorsEntry } from './safetensors';
export { writeSafetensors } from './safetensors-write';
export type { SafetensorsWriteDType, WriteSafetensorsOptions } from './safetensors-write';
export type { PathOrBytes } from './source';
