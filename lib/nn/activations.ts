/**
 * Activation modules (no parameters): ReLU, LeakyReLU, ELU, GELU, Sigmoid, Tanh, and the output
 * activations Softmax / LogSoftmax over the last dimension; Dropout and Identity are the identity
 * at inference.
 */
import { denseFeatures } from '../csr-matrix';
import type { Features } from '../csr-matrix';
import type { Graph } from '../graph';
import type { ActivationName } from '../ops/activation';
import { checkOptions } from '../validate';
import { num, oneOf } from './checks';
import { Module } from './module';
import type { ForwardContext } from './module';
import { op } from './steps';
import type { Steps } from './steps';

/** An elementwise activation; `activation` names the kernel, `alpha` its parameter. */
export class Activation extends Module {
  readonly type: string;

  constructor(
    readonly activation: ActivationName,
    readonly alpha?: number,
    typeName?: string,
  ) {
    super();
    this.type = typeName ?? 'Activation';
  }

  protected args(): Record<string, unknown> {
    if (this.type === 'Activation') return { activation: this.activation, alpha: this.alpha };
    return this.activation === 'leaky_relu' ? { negativeSlope: this.alpha } : this.activation === 'elu' ? { alpha: this.alpha } : {};
  }

  /** Per node: no neighbours read. @internal */
  override receptiveHops(): number {
    return 0;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void graph;
    void context;
    return yield op.activation(denseFeatures(x), this.activation, { alpha: this.alpha });
  }
}

export class ReLU extends Activation {
  constructor() {
    super('relu', undefined, 'ReLU');
  }
}

export class LeakyReLU extends Activation {
  constructor(options?: { negativeSlope?: number }) {
    const opts = checkOptions(options, 'LeakyReLU', ['negativeSlope']);
    super('leaky_relu', num('negativeSlope', opts.negativeSlope, 0.01), 'LeakyReLU');
  }
}

export class ELU extends Activation {
  constructor(options?: { alpha?: number }) {
    const opts = checkOptions(options, 'ELU', ['alpha']);
    super('elu', num('alpha', opts.alpha, 1), 'ELU');
  }
}

export class GELU extends Activation {
  constructor() {
    super('gelu', undefined, 'GELU');
  }
}

export class Sigmoid extends Activation {
  constructor() {
    super('sigmoid', undefined, 'Sigmoid');
  }
}

export class Tanh extends Activation {
  constructor() {
    super('tanh', undefined, 'Tanh');
  }
}

/** Softmax or log-softmax over the last dimension (for outputs). */
export class Softmax extends Module {
  readonly type: string;
  constructor(readonly log = false) {
    super();
    this.type = log ? 'LogSoftmax' : 'Softmax';
  }

  protected args(): Record<string, unknown> {
    return {};
  }

  /** Per node: no neighbours read. @internal */
  override receptiveHops(): number {
    return 0;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void graph;
    void context;
    return yield this.log ? op.logSoftmax(denseFeatures(x)) : op.softmax(denseFeatures(x));
  }
}

/** Dropout: the identity at inference (`p` kept for the model file). */
export class Dropout extends Module {
  readonly type = 'Dropout';
  readonly p: number;
  constructor(options?: { p?: number }) {
    super();
    const opts = checkOptions(options, 'Dropout', ['p']);
    this.p = num('p', opts.p, 0.5);
  }

  protected args(): Record<string, unknown> {
    return { p: this.p };
  }

  /** Per node: no neighbours read. @internal */
  override receptiveHops(): number {
    return 0;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void graph;
    void context;
    return x;
  }
}

/** The identity. */
export class Identity extends Module {
  readonly type = 'Identity';
  protected args(): Record<string, unknown> {
    return {};
  }
  /** Per node: no neighbours read. @internal */
  override receptiveHops(): number {
    return 0;
  }

  *steps(graph: Graph, x: Features, context: ForwardContext): Steps {
    void graph;
    void context;
    return x;
  }
}

/** Activation by name, as model files write them ('relu', 'elu', 'leaky_relu', …). */
export function activationModule(name: string, args: { negativeSlope?: number; alpha?: number } = {}): Module {
  const kind = oneOf('activation', name.toLowerCase(), ['relu', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh', 'softmax', 'log_softmax', 'identity'] as const, 'identity');
  switch (kind) {
    case 'relu': return new ReLU();
    case 'leaky_relu': return new LeakyReLU({ negativeSlope: args.negativeSlope });
    case 'elu': return new ELU({ alpha: args.alpha });
    case 'gelu': return new GELU();
    case 'sigmoid': return new Sigmoid();
    case 'tanh': return new Tanh();
    case 'softmax': return new Softmax(false);
    case 'log_softmax': return new Softmax(true);
    default: return new Identity();
  }
}
