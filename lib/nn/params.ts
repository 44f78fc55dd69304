/**
 * Parameter storage for layers: named float32 tensors with fixed shapes, zero until loaded from a
 * state dict, or filled by resetParameters with PyTorch's default initialisations (seeded, so
 * deterministic).
 * @internal
 */
import { Random } from '../generators/random';
import { Tensor } from '../tensor';
import type { DType } from '../tensor';
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

const hostCopies = new WeakMap<Tensor, Tensor>();

/**
 * Parameters of at most this many elements keep their host copy when a model moves to a device:
 * the scalars and vectors layers read on the host (GIN's eps, attention vectors, norm statistics),
 * so that the first pass on the device downloads nothing. Weight matrices do not.
 */
const HOST_COPY_MAX_ELEMENTS = 1 << 16;

/** Records `host` as the host copy of `t` (moved from it, same elements) when t is small. @internal */
export function keepHostCopy(t: Tensor, host: Tensor): void {
  if (t !== host && t.numel <= HOST_COPY_MAX_ELEMENTS) hostCopies.set(t, host);
}

/**
 * A parameter's elements on the host, for the small computations layers make from parameters (a
 * scalar eps, folded norms, attention matrices): the tensor itself on the CPU; for one on a CUDA
 * device a copy, downloaded once and kept (parameters do not change in place).
 */
export function hostOf<D extends DType>(t: Tensor<D>): Tensor<D> {
  if (t.device === 'cpu') return t;
  let host = hostCopies.get(t) as Tensor<D> | undefined;
  if (host === undefined) {
    host = t.to('cpu');
    hostCopies.set(t, host);
  }
  return host;
}

const derivedWeights = new WeakMap<Tensor, Map<string, Tensor<'float32'>>>();

/**
 * A weight built on the host from parameter `t` (a block-diagonal attention matrix), cached per
 * tensor and recipe and kept on t's device: built once from t's host elements, moved there once.
 */
export function derivedWeight(t: Tensor, key: string, build: (host: Tensor) => Tensor<'float32'>): Tensor<'float32'> {
  let entries = derivedWeights.get(t);
  if (entries === undefined) derivedWeights.set(t, (entries = new Map()));
  let w = entries.get(key);
  if (w === undefined || w.disposed) {
    w = build(hostOf(t)).to(t.device);
    entries.set(key, w);
  }
  return w;
}
