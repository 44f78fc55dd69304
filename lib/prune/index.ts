/** Pruned inference: magnitude (sparse weights), channels (smaller dense layers), edges, and the report. */
export { magnitude } from './magnitude';
export type { MagnitudeOptions, PruningScheme } from './magnitude';
export { channels } from './channels';
export type { ChannelOptions } from './channels';
export { edges } from './edges';
export type { PruneEdgesOptions, PrunedEdges } from './edges';
export { pruningReport } from './report';
export type { PruningReport, PruningReportOptions } from './report';
