/**
 * TemperatureScaling: the last layer of a temperature-calibrated model, logits ↦ logits / T
 * (computed as logits · (1/T) in float32, one scale op). It changes no prediction (the argmax is the
 * same for any T > 0), only how confident the softmax of the logits is. In model.json it is an
 * ordinary layer entry, `{ "name": "temperature", "type": "TemperatureScaling", "args":
 * { "temperature": 1.37 } }`, so a calibrated model saves and loads with its temperature.
 */
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import { invalidArgType, outOfRange } from '../errors';
import type { Graph } from '../graph';
import { checkOptions } from '../validate';
import { Module } from '../nn/module';
import type { ForwardContext } from '../nn/module';
import { op } from '../nn/steps';
import type { Steps } from '../nn/steps';

export interface TemperatureScalingOptions {
  /** T > 0: logits are divided by it (T > 1 softens the softmax, T < 1 sharpens it). */
  temperature: number;
}

/** Divides its input (a model's logits) by a fitted temperature. */
export class TemperatureScaling extends Module {
  readonly type = 'TemperatureScaling';
  readonly temperature: number;

  constructor(options: TemperatureScalingOptions) {
    super();
    const opts = checkOptions(options, 'TemperatureScaling', ['temperature']);
    const t = opts.temperature;
    if (typeof t !== 'number') throw invalidArgType('temperature', 'a number', t);
    // 1/T must be a finite, nonzero float32 factor.
    if (!(t > 0) || !Number.isFinite(t) || !Number.isFinite(Math.fround(1 / t)) || Math.fround(1 / t) === 0) {
      throw outOfRange('temperature', 'a positive number whose inverse is finite and nonzero in float32', t);
    }
    this.temperature = t;
  }

  protected args(): Record<string, unknown> {
    return { temperature: this.temperature };
  }

  /** Per row: no neighbours read. @internal */
  override receptiveHops(): number {
    return 0;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void graph;
    void context;
    return yield op.scale(denseFeatures(x), 1 / this.temperature);
  }
}
