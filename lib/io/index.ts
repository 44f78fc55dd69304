export { loadPlanetoid } from './planetoid';
export type { PlanetoidDataset } from './planetoid';
