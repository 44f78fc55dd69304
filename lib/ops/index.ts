/** The ops: each as `op()` (a Promise, off the event loop) and `opSync()`. */
export { spmm, spmmSync } from './spmm';
export type { Reduce, SpmmOptions } from './spmm';
export { setConcurrency, queueStats } from './queue';
export { activation, activationSync } from './activation';
export type { ActivationName, ActivationOptions } from './activation';
export { sddmm, sddmmSync } from './sddmm';
export type { SddmmOp, SddmmOptions } from './sddmm';
export { edgeSoftmax, edgeSoftmaxSync } from './edge-softmax';
export type { EdgeSoftmaxOptions } from './edge-softmax';
export { gatAggregate, gatAggregateSync } from './gat-aggregate';
export type { GatAggregateOptions, GatAggregateResult } from './gat-aggregate';
export { linear, linearSync } from './linear';
export type { LinearOptions } from './linear';
export { packLinearWeight, releasePackedWeight } from './packed-weight';
export type { PackedWeightInfo } from './packed-weight';
