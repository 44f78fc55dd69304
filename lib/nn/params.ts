/**
 * Parameter storage for layers: named float32 tensors with fixed shapes, zero until loaded from a
 * state dict, or filled by resetParameters with PyTorch's default initialisations (seeded, so
 * deterministic).
 * @internal
 */
import { Random } from '../generators/random';
import { Tensor } from '../tensor';
import type { ParameterSlot } from './module';

export type Init = 'glorot' | 'kaiming' | 'zeros' | 'ones' | 'fan-in-bias';

export class Param {
  value: Tensor<'float32'>;

  constructor(
    readonly name: string,
    readonly shape: readonly number[],
    readonly init: Init,
    readonly fanIn = 0,
  ) {
    this.value = Tensor.zeros(shape);
  }

  slot(optional = false): ParameterSlot {
    return {
      name: this.name,
      shape: this.shape,
      optional,
      get: () => this.value,
      set: (t) => {
        this.value = t;
      },
    };
  }

  /** PyTorch's defaults: glorot (PyG convs), kaiming-uniform with a=sqrt(5) (torch Linear), biases U(±1/sqrt(fan_in)). */
  reset(rng: Random): void {
    const data = new Float32Array(this.value.numel);
    const fanOut = this.shape[0] ?? 1;
    const fanIn = this.fanIn > 0 ? this.fanIn : this.shape.length > 1 ? this.value.numel / fanOut : fanOut;
    let bound = 0;
    switch (this.init) {
      case 'glorot':
        bound = Math.sqrt(6 / (fanIn + fanOut));
        break;
      case 'kaiming':
        bound = 1 / Math.sqrt(fanIn);
        break;
      case 'fan-in-bias':
        bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        break;
      case 'ones':
        data.fill(1);
        break;
      case 'zeros':
        break;
    }
    if (bound > 0) for (let i = 0; i < data.length; i++) data[i] = (rng.float() * 2 - 1) * bound;
    this.value = Tensor.from(data, this.shape);
  }
}

/** The parameters that exist (optional ones are null when a layer has none). */
export function present(...params: Array<Param | null>): Param[] {
  return params.filter((p): p is Param => p !== null);
}
