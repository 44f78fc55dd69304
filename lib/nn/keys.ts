/**
 * State-dict key and layout conversions for loading checkpoints of other versions and frameworks
 * (semantics.md §2.11): renames, DGL's transposed GraphConv weight, DGL's concatenated ChebConv
 * weight, PyG <= 2.4's duplicated GAT weight.
 * @internal
 */
import { GnnError } from '../errors';
import { Tensor } from '../tensor';

/** Moves dict[from] to dict[to] (optionally converted) when `from` is present and `to` is not. */
export function renameKey(dict: Map<string, Tensor>, from: string, to: string, convert?: (t: Tensor) => Tensor): void {
  const t = dict.get(from);
  if (t === undefined || dict.has(to)) return;
  dict.delete(from);
  dict.set(to, convert ? convert(t) : t);
}

function float2d(t: Tensor, name: string): Tensor<'float32'> {
  if (t.dtype !== 'float32' || t.shape.length !== 2) {
    throw new GnnError('ERR_GNN_MODEL_FILE', `${name}: expected a 2-D float32 tensor, got ${t.dtype} [${t.shape.join(', ')}]`);
  }
  return t as Tensor<'float32'>;
}

/** [a, b] -> [b, a]. */
export function transposeKey(t: Tensor, name: string): Tensor<'float32'> {
  const m = float2d(t, name);
  const [rows, cols] = m.shape;
  const out = Tensor.zeros([cols, rows]);
  const src = m.data;
  const dst = out.data;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
  return out;
}

/** Columns [begin, end) of a 2-D tensor. */
export function columnSlice(t: Tensor, name: string, begin: number, end: number): Tensor<'float32'> {
  const m = float2d(t, name);
  const [rows, cols] = m.shape;
  if (begin < 0 || end > cols || begin > end) {
    throw new GnnError('ERR_GNN_MODEL_FILE', `${name}: expected at least ${end} columns, got [${m.shape.join(', ')}]`);
  }
  const w = end - begin;
  const out = Tensor.zeros([rows, w]);
  for (let r = 0; r < rows; r++) out.data.set(m.data.subarray(r * cols + begin, r * cols + end), r * w);
  return out;
}

/** True when two tensors hold the same shape and bits. */
export function sameTensor(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Two keys that must hold one tensor (PyG 2.0–2.4's lin_src / lin_dst of a homogeneous GATConv,
 * share_weights copies): keeps `keep`, drops `drop` when identical, else an error naming both.
 */
export function mergeDuplicate(dict: Map<string, Tensor>, keep: string, drop: string, prefixForMessage = ''): void {
  const a = dict.get(keep);
  const b = dict.get(drop);
  if (a === undefined || b === undefined) return;
  if (!sameTensor(a, b)) {
    throw new GnnError('ERR_GNN_MODEL_FILE', `${prefixForMessage}${keep} and ${prefixForMessage}${drop}: expected the same tensor (a homogeneous layer), got different values`);
  }
  dict.delete(drop);
}
