/** The ops: each as `op()` (a Promise, off the event loop) and `opSync()`. */
export { spmm, spmmSync } from './spmm';
export type { Reduce, SpmmOptions } from './spmm';
export { setConcurrency, queueStats } from './queue';
export { activation, activationSync } from './activation';
export type { ActivationName, ActivationOptions } from './activation';
export { add, addSync } from './add';
export type { AddOptions } from './add';
export { scale, scaleSync } from './scale';
export type { ScaleOptions } from './scale';
export { logSoftmax, logSoftmaxSync, softmax, softmaxSync } from './softmax';
export type { SoftmaxOptions } from './softmax';
export { concat, concatSync } from './concat';
export type { ConcatOptions } from './concat';
export { indexSelect, indexSelectSync } from './index-select';
export type { IndexSelectOptions } from './index-select';
export { indexAdd, indexAddSync, indexCopy, indexCopySync } from './index-scatter';
export type { IndexAddOptions } from './index-scatter';
export type { IndexInput } from './row-args';
