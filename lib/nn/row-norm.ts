/**
 * Row L2 normalisation, as torch.nn.functional.normalize(x, p=2, dim=-1): x / max(‖x‖₂, 1e-12).
 * The norms are accumulated in float64 (one pass), then every row is scaled on the row-scale
 * kernel. CPU only: on a CUDA device it is ERR_GNN_DEVICE.
 * @internal
 */
import { cpuOnly } from '../device';
import * as ops from '../ops/index';
import { Tensor } from '../tensor';
import type { Pending } from './steps';

function inverseNorms(x: Tensor<'float32'>): Tensor<'float32'> {
  const width = x.shape[x.shape.length - 1];
  const rows = width === 0 ? 0 : x.numel / width;
  const inv = Tensor.zeros([rows]);
  const d = x.data;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = r * width; c < (r + 1) * width; c++) s += d[c] * d[c];
    inv.data[r] = 1 / Math.max(Math.fround(Math.sqrt(s)), 1e-12);
  }
  return inv;
}

export function l2NormalizeRows(x: Tensor<'float32'>): Pending {
  // The norms are summed in float64 on the host, which a CUDA tensor is not on.
  if (x.device !== 'cpu') throw cpuOnly('row L2 normalisation (SAGEConv normalize)', 'x', x.device);
  return {
    sync: () => ops.scaleSync(x, inverseNorms(x), { out: x }),
    async: () => ops.scale(x, inverseNorms(x), { out: x }),
    work: x.numel,
  };
}
