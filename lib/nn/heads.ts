/**
 * Per-head reductions expressed as small dense weights, so they run on the GEMM: the attention
 * projections a[n, h] = Σ_c h[n, h, c] · att[h, c] (a block-diagonal [H, H·C] weight, the same
 * products and sums PyG computes after its projection), and the mean over heads (an [C, H·C]
 * weight of stacked identities / H). Built once per parameter tensor and cached on it.
 * @internal
 */
import type { Features } from '../csr-matrix';
import type { Device } from '../device';
import { Tensor } from '../tensor';
import { derivedWeight } from './params';
import { op } from './steps';
import type { Steps } from './steps';

/** att [1, H, C] (or [H·C]) -> W [H, H·C] with W[h, h·C + c] = att[h, c], on att's device. */
export function blockDiagonal(att: Tensor<'float32'>, heads: number): Tensor<'float32'> {
  return derivedWeight(att, `block-diagonal:${heads}`, (host) => {
    const c = host.numel / heads;
    const w = Tensor.zeros([heads, heads * c]);
    const a = host.data as Float32Array;
    for (let h = 0; h < heads; h++) w.data.set(a.subarray(h * c, (h + 1) * c), h * heads * c + h * c);
    return w;
  });
}

const meanCache = new Map<string, Tensor<'float32'>>();

/** W [C, H·C] with W[c, h·C + c] = 1/H on `device`: x Wᵀ averages the H heads of x [N, H·C]. */
export function headMeanWeight(heads: number, channels: number, device: Device = 'cpu'): Tensor<'float32'> {
  const key = `${heads}x${channels}@${device}`;
  let w = meanCache.get(key);
  if (w === undefined || w.disposed) {
    const host = Tensor.zeros([channels, heads * channels]);
    const inv = 1 / heads;
    for (let c = 0; c < channels; c++) for (let h = 0; h < heads; h++) host.data[c * heads * channels + h * channels + c] = inv;
    w = host.to(device);
    if (meanCache.size > 64) meanCache.clear();
    meanCache.set(key, w);
  }
  return w;
}

/**
 * The attention layers' output stage on out [N, H·C]: the mean over heads when not
 * concatenating (one small GEMM, the bias fused when there is no residual), + res(x), + bias.
 */
export function* headOutput(
  out: Tensor<'float32'>,
  x: Features,
  o: { heads: number; channels: number; concat: boolean; res: Tensor<'float32'> | null; bias: Tensor<'float32'> | null },
): Steps {
  let h = out;
  let bias = o.bias;
  if (!o.concat && o.heads > 1) {
    h = yield op.linear(h, headMeanWeight(o.heads, o.channels, h.device), { bias: o.res === null ? bias : null });
    if (o.res === null) bias = null;
  }
  if (o.res !== null) {
    const r = yield op.linear(x, o.res);
    h = yield op.add(h, r, { out: h });
  }
  return bias === null ? h : yield op.add(h, bias, { out: h });
}
