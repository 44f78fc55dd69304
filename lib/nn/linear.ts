/**
 * Linear: y = x Wᵀ + b with PyTorch's / PyG's layout (weight [out, in], bias [out]); keys `weight`,
 * `bias`. Runs on the package's blocked GEMM; a following activation is fused by Sequential.
 */
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import type { ActivationName } from '../ops/activation';
import { checkOptions } from '../validate';
import { bool, channels } from './checks';
import { Module } from './module';
import type { ForwardContext } from './module';
import { Param, present } from './params';
import { op } from './steps';
import type { Steps } from './steps';

export interface LinearOptions {
  inChannels: number;
  outChannels: number;
  /** Default true. */
  bias?: boolean;
}

export class Linear extends Module {
  readonly type = 'Linear';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly hasBias: boolean;
  readonly weight: Param;
  readonly bias: Param | null;

  constructor(options: LinearOptions) {
    super();
    const opts = checkOptions(options, 'Linear', ['inChannels', 'outChannels', 'bias']);
    this.inChannels = channels('inChannels', opts.inChannels);
    this.outChannels = channels('outChannels', opts.outChannels);
    this.hasBias = bool('bias', opts.bias, true);
    this.weight = new Param('weight', [this.outChannels, this.inChannels], 'kaiming');
    this.bias = this.hasBias ? new Param('bias', [this.outChannels], 'fan-in-bias', this.inChannels) : null;
  }

  protected override params(): Param[] {
    return present(this.weight, this.bias);
  }

  protected args(): Record<string, unknown> {
    return { inChannels: this.inChannels, outChannels: this.outChannels, bias: this.hasBias };
  }

  /** The linear map with a fused activation (used by Sequential and the convolutions). @internal */
  apply(x: Features, activation: ActivationName = 'none', alpha?: number) {
    return op.linear(x, this.weight.value, { bias: this.bias?.value ?? null, activation, alpha });
  }

  /** Per node: no neighbours read. @internal */
  override receptiveHops(): number {
    return 0;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void graph;
    void context;
    return yield this.apply(x);
  }
}
