export { Random, randomValues } from './random';
export { rmat, rmatEdgeIndex } from './rmat';
export type { RmatOptions } from './rmat';
export { stochasticBlockModel } from './sbm';
export type { SbmOptions, SbmResult } from './sbm';
export { uniformRandomGraph } from './uniform';
export type { UniformGraphOptions } from './uniform';
