/**
 * Devices without CUDA: in this (CPU) build every way to ask for a CUDA device throws
 * ERR_GNN_BACKEND_UNAVAILABLE and says why; malformed device strings are argument errors; and the
 * probe's own answers (no device, no such index, an architecture the build lacks) come through.
 */
import { afterEach, describe, expect, it } from 'vitest';

import { GnnError, Graph, Tensor, nn, ops } from '../lib/index';
import { addon } from '../lib/backend';
import { loadNative } from '../lib/native';
import { cudaNative, parseDevice, setCudaNativeForTesting } from '../lib/device';
import { expectError } from './helpers/errors';
import { FakeCuda } from './helpers/fake-cuda';

afterEach(() => setCudaNativeForTesting(undefined));

const t = Tensor.from(Float32Array.from([1, 2, 3, 4]), [2, 2]);
const g = Graph.fromEdgeIndex(Int32Array.from([0, 1, 1, 0]), 2);

function escape(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

describe('without a CUDA device', () => {
  // This build: the CPU addon (no `cuda` half), or a CUDA addon on a machine without a device.
  const cuda = addon().cuda;
  const available = cuda?.probe().available === true;
  // The loader's note says why there is no CUDA half (the CPU build, GNN_KERNELS_BACKEND=cpu, a CUDA build that failed to load).
  const reason = cuda === undefined ? escape(loadNative().cudaNote) : escape(cuda.probe().reason);

  it.skipIf(available)('tensor.to, Tensor.zeros, graph.to and model.to throw ERR_GNN_BACKEND_UNAVAILABLE with the reason', () => {
    for (const device of ['cuda', 'cuda:0', 'cuda:3'] as const) {
      expectError(() => t.to(device), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, reason);
      expectError(() => Tensor.zeros([2], 'float32', { device }), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, reason);
      expectError(() => Tensor.full([2], 1, 'float32', { device }), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, reason);
      expectError(() => g.to(device), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, reason);
      const model = new nn.Linear({ inChannels: 2, outChannels: 3 });
      expectError(() => model.to(device), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, reason);
      expect(model.device).toBe('cpu');
    }
    expectError(() => t.to('cuda:3'), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, /^cuda:3: CUDA is not available/);
    return expect(t.toAsync('cuda')).rejects.toMatchObject({ code: 'ERR_GNN_BACKEND_UNAVAILABLE' });
  });

  it('moves to the CPU as a no-op', () => {
    expect(t.to('cpu')).toBe(t);
    expect(g.to('cpu')).toBe(g);
    const model = new nn.Linear({ inChannels: 2, outChannels: 3 });
    const w = model.parameters().weight;
    expect(model.to('cpu')).toBe(model);
    expect(model.parameters().weight).toBe(w);
    expect(t.device).toBe('cpu');
    expect(g.device).toBe('cpu');
    expect(t.disposed).toBe(false);
  });

  it('refuses malformed device strings, naming the argument', () => {
    for (const bad of ['gpu', 'CUDA', 'cuda:', 'cuda:-1', 'cuda:01', 'cuda:1.5', 'cuda:1024', 'cuda: 0', ' cpu', 'cpu:0', '']) {
      expectError(() => parseDevice(bad), 'ERR_INVALID_ARG_VALUE', TypeError, /^device: expected 'cpu', 'cuda' or 'cuda:N'/);
      expectError(() => t.to(bad as 'cpu'), 'ERR_INVALID_ARG_VALUE', TypeError, /device/);
      expectError(() => g.to(bad as 'cpu'), 'ERR_INVALID_ARG_VALUE', TypeError, /device/);
      expectError(() => new nn.Linear({ inChannels: 1, outChannels: 1 }).to(bad as 'cpu'), 'ERR_INVALID_ARG_VALUE', TypeError, /device/);
    }
    for (const bad of [0, null, undefined, {}, ['cuda']]) {
      expectError(() => t.to(bad as unknown as 'cpu'), 'ERR_INVALID_ARG_TYPE', TypeError, /device: expected a device string/);
    }
    expect(parseDevice('cuda')).toBe('cuda:0');
    expect(parseDevice('cuda:1023')).toBe('cuda:1023');
  });
});

describe("the probe's answers", () => {
  it('passes on why no device is available', () => {
    const fake = new FakeCuda();
    fake.probe = () => ({ ...new FakeCuda().probe(), available: false, reason: 'cudaGetDeviceCount: cudaErrorNoDevice (no CUDA-capable device is detected)', devices: [] });
    setCudaNativeForTesting(fake);
    expectError(() => t.to('cuda'), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, /^cuda:0: CUDA is not available: cudaGetDeviceCount: cudaErrorNoDevice \(no CUDA-capable device is detected\)$/);
  });

  it('names the devices there are when the index is past them', () => {
    setCudaNativeForTesting(new FakeCuda({ devices: 2 }));
    expect(t.to('cuda:1').device).toBe('cuda:1');
    expectError(() => t.to('cuda:2'), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, /^cuda:2: no such device; this machine has 2: cuda:0 \(Fake CUDA device 0\), cuda:1 \(Fake CUDA device 1\)$/);
    expectError(() => g.to('cuda:5'), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, /no such device/);
  });

  it('refuses a device whose architecture the build has no code for', () => {
    const fake = new FakeCuda();
    const probe = fake.probe();
    probe.devices[0] = { ...probe.devices[0], computeCapability: '12.0', supported: false };
    fake.probe = () => probe;
    setCudaNativeForTesting(fake);
    expectError(() => cudaNative(0), 'ERR_GNN_BACKEND_UNAVAILABLE', GnnError, /compute capability 12\.0\) is not supported by this build \(architectures 80;90\); rebuild with CUDAARCHS including 120/);
  });

  it('does not probe until a CUDA device is asked for, and then once per device', () => {
    const fake = new FakeCuda();
    let probes = 0;
    const probe = fake.probe.bind(fake);
    fake.probe = () => {
      probes++;
      return probe();
    };
    setCudaNativeForTesting(fake);
    ops.spmmSync(g, t);
    t.to('cpu');
    expect(probes).toBe(0);
    const d = t.to('cuda');
    ops.activationSync(d, 'relu');
    ops.spmmSync(g.to('cuda'), d);
    expect(probes).toBe(1);
  });
});
