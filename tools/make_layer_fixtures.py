"""Writes data/models/layers: one small PyG model per layer type and configuration, exported with
tools/export_pyg.py, with PyG's own eval-mode output on one shared awkward graph. test/pyg-layers.test.ts
loads each model with loadModelSync and compares.

    .venv/bin/python tools/make_layer_fixtures.py data/models/layers   # a venv with torch, torch_geometric, safetensors

Deterministic (fixed seeds, one thread): a re-run with the same torch / torch_geometric writes the
same bytes, which scripts/test-exporters.sh checks.

The graph (graph.json + raw little-endian arrays): 60 nodes in 3 graphs of 20 (batch vector; edges
also cross graphs, which only pooling and graph-mode LayerNorm notice), edges in PyG edge_index
order (unsorted): random edges, a hub (node 3) with 40 in-edges, self loops (node 10 twice),
duplicated edges, nodes 55 and 56 with out-edges only, nodes 57–59 isolated. Positive edge weights
and 4-wide edge features for the cases that use them.

Each case's parameters are redrawn uniformly in [-0.5, 0.5] (so biases and attention vectors are
not PyG's zero / glorot defaults); BatchNorm gets non-trivial running statistics. Each case is run
twice, in float32 (the reference, out.f32) and in float64 on the same weights; reference.json
records max |f32 − f64|, which sets the test's tolerance.
"""
import copy
import hashlib
import json
import os
import platform
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_pyg import export  # noqa: E402

import torch_geometric  # noqa: E402
import torch_geometric.nn as pygnn  # noqa: E402

N, F_IN, EDGE_DIM, GRAPHS = 60, 12, 4, 3
GRAPH_DESCRIPTION = (
    "60 nodes, batch = node // 20 (3 graphs; edges also cross graphs). Edges in PyG edge_index order (unsorted): "
    "230 random, 40 into the hub node 3, self loops (node 10 twice, 14, 22, 31, 44, 3), 12 duplicated edges; "
    "nodes 55 and 56 have out-edges only, 57-59 are isolated. edge_weight in [0.5, 2), edge_attr standard normal [E, 4]."
)


def make_graph():
    g = torch.Generator().manual_seed(20240611)
    src = torch.randint(0, 57, (230,), generator=g)
    dst = torch.randint(0, 55, (230,), generator=g)  # 55, 56: sources only (no in-edges)
    hub_src = torch.randint(0, 57, (40,), generator=g)
    hub_dst = torch.full((40,), 3)
    loops = torch.tensor([10, 10, 14, 22, 31, 44, 3])
    s = torch.cat([src, hub_src, loops])
    d = torch.cat([dst, hub_dst, loops])
    dup = torch.randint(0, s.numel(), (12,), generator=g)
    s = torch.cat([s, s[dup]])
    d = torch.cat([d, d[dup]])
    perm = torch.randperm(s.numel(), generator=g)
    edge_index = torch.stack([s[perm], d[perm]]).to(torch.int64)
    e = edge_index.shape[1]
    x = torch.randn(N, F_IN, generator=g)
    edge_weight = 0.5 + 1.5 * torch.rand(e, generator=g)
    edge_attr = torch.randn(e, EDGE_DIM, generator=g)
    batch = torch.arange(N) // (N // GRAPHS)
    return {"edge_index": edge_index, "x": x, "edge_weight": edge_weight, "edge_attr": edge_attr, "batch": batch}


class Net(torch.nn.Module):
    def __init__(self, **modules):
        super().__init__()
        for name, m in modules.items():
            self.add_module(name, m)


def gin_mlp():
    return torch.nn.Sequential(torch.nn.Linear(F_IN, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8))


def two_layer(norm):
    return Net(conv1=pygnn.GCNConv(F_IN, 16), norm=norm, conv2=pygnn.GCNConv(16, 5))


NORM_FORWARD = ["conv1", "norm", "relu", "conv2"]

# (case, builder, forward, inputs used)
CASES = [
    ("gcn_default", lambda: Net(conv=pygnn.GCNConv(F_IN, 8)), ["conv"], {}),
    ("gcn_improved_weighted", lambda: Net(conv=pygnn.GCNConv(F_IN, 8, improved=True)), ["conv"], {"edge_weight": True}),
    ("gcn_no_normalize", lambda: Net(conv=pygnn.GCNConv(F_IN, 8, normalize=False)), ["conv"], {}),
    ("gat_heads3_concat", lambda: Net(conv=pygnn.GATConv(F_IN, 4, heads=3)), ["conv"], {}),
    ("gat_heads3_mean", lambda: Net(conv=pygnn.GATConv(F_IN, 4, heads=3, concat=False)), ["conv"], {}),
    ("gat_edge_dim", lambda: Net(conv=pygnn.GATConv(F_IN, 4, heads=2, edge_dim=EDGE_DIM)), ["conv"], {"edge_attr": True}),
    ("gat_no_self_loops", lambda: Net(conv=pygnn.GATConv(F_IN, 4, heads=2, add_self_loops=False)), ["conv"], {}),
    ("gatv2_heads2", lambda: Net(conv=pygnn.GATv2Conv(F_IN, 4, heads=2)), ["conv"], {}),
    ("gatv2_share_weights", lambda: Net(conv=pygnn.GATv2Conv(F_IN, 4, heads=2, share_weights=True)), ["conv"], {}),
    ("sage_mean", lambda: Net(conv=pygnn.SAGEConv(F_IN, 8)), ["conv"], {}),
    ("sage_max", lambda: Net(conv=pygnn.SAGEConv(F_IN, 8, aggr="max")), ["conv"], {}),
    ("sage_sum_project", lambda: Net(conv=pygnn.SAGEConv(F_IN, 8, aggr="sum", project=True)), ["conv"], {}),
    ("sage_normalize", lambda: Net(conv=pygnn.SAGEConv(F_IN, 8, normalize=True)), ["conv"], {}),
    ("sage_no_root", lambda: Net(conv=pygnn.SAGEConv(F_IN, 8, root_weight=False)), ["conv"], {}),
    ("gin_mlp_train_eps", lambda: Net(conv=pygnn.GINConv(gin_mlp(), train_eps=True)), ["conv"], {}),
    ("graphconv_add_weighted", lambda: Net(conv=pygnn.GraphConv(F_IN, 8)), ["conv"], {"edge_weight": True}),
    ("graphconv_mean", lambda: Net(conv=pygnn.GraphConv(F_IN, 8, aggr="mean")), ["conv"], {}),
    ("graphconv_max", lambda: Net(conv=pygnn.GraphConv(F_IN, 8, aggr="max")), ["conv"], {}),
    ("sgconv_k2", lambda: Net(conv=pygnn.SGConv(F_IN, 6, K=2)), ["conv"], {}),
    ("appnp_k3", lambda: Net(lin=torch.nn.Linear(F_IN, 6), prop=pygnn.APPNP(K=3, alpha=0.1)), ["lin", "prop"], {}),
    ("cheb_k3_sym", lambda: Net(conv=pygnn.ChebConv(F_IN, 8, K=3)), ["conv"], {}),
    ("cheb_k2_rw", lambda: Net(conv=pygnn.ChebConv(F_IN, 8, K=2, normalization="rw")),
     [{"name": "conv", "args": {"lambda_max": 2.0}}], {}),
    ("batchnorm_2layer", lambda: two_layer(pygnn.BatchNorm(16)), NORM_FORWARD, {}),
    ("layernorm_torch_2layer", lambda: two_layer(torch.nn.LayerNorm(16)), NORM_FORWARD, {}),
    ("layernorm_graph_2layer", lambda: two_layer(pygnn.LayerNorm(16, mode="graph")), NORM_FORWARD, {}),
    ("layernorm_graph_batch_2layer", lambda: two_layer(pygnn.LayerNorm(16, mode="graph")), NORM_FORWARD, {"batch": True}),
    ("pool_add", lambda: Net(conv=pygnn.GCNConv(F_IN, 8)), ["conv", "relu", {"op": "global_add_pool"}], {"batch": True}),
    ("pool_mean", lambda: Net(conv=pygnn.GCNConv(F_IN, 8)), ["conv", "relu", {"op": "global_mean_pool"}], {"batch": True}),
    ("pool_max", lambda: Net(conv=pygnn.GCNConv(F_IN, 8)), ["conv", "relu", {"op": "global_max_pool"}], {"batch": True}),
    # Appended (new cases go last: each case draws from one seeded stream, so earlier ones stay put).
    ("gatv2_edge_dim_mean", lambda: Net(conv=pygnn.GATv2Conv(F_IN, 4, heads=3, concat=False, edge_dim=EDGE_DIM)), ["conv"], {"edge_attr": True}),
]

WEIGHTED = (pygnn.GCNConv, pygnn.GraphConv, pygnn.SGConv, pygnn.APPNP, pygnn.ChebConv)


def run(model, forward, data, uses):
    """PyG's forward pass for an export forward list (the same list the model file holds)."""
    h = data["x"]
    ei = data["edge_index"]
    ew = data["edge_weight"] if uses.get("edge_weight") else None
    batch = data["batch"] if uses.get("batch") else None
    for item in forward:
        op = item if isinstance(item, str) and not hasattr(model, item) else item.get("op") if isinstance(item, dict) else None
        if op is not None:
            if op == "relu":
                h = F.relu(h)
            elif op.startswith("global_"):
                h = getattr(pygnn, op)(h, data["batch"], size=GRAPHS)
            else:
                raise ValueError(op)
            continue
        name = item if isinstance(item, str) else item["name"]
        extra = {} if isinstance(item, str) else dict(item.get("args", {}))
        m = getattr(model, name)
        if isinstance(m, (pygnn.GATConv, pygnn.GATv2Conv)) and uses.get("edge_attr"):
            h = m(h, ei, edge_attr=data["edge_attr"])
        elif isinstance(m, WEIGHTED):
            h = m(h, ei, ew, **extra) if not isinstance(m, pygnn.ChebConv) else m(h, ei, ew, lambda_max=extra.get("lambda_max"))
        elif isinstance(m, pygnn.MessagePassing):
            h = m(h, ei)
        elif isinstance(m, pygnn.LayerNorm):
            h = m(h, batch, GRAPHS if batch is not None else None)
        else:
            h = m(h)
    return h


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("eps"):
                p.fill_(0.3)
                continue
            p.copy_(torch.rand(p.shape, generator=g) - 0.5)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=g) * 0.3)
            elif name.endswith("running_var"):
                b.copy_(0.5 + 1.5 * torch.rand(b.shape, generator=g))
            elif name.endswith("num_batches_tracked"):
                b.fill_(100)


def raw(path, t, dtype):
    arr = t.detach().contiguous().to(dtype)
    data = arr.view(torch.uint8).numpy().tobytes() if dtype != torch.int32 else arr.numpy().astype("<i4").tobytes()
    with open(path, "wb") as f:
        f.write(data)
    return {"dtype": {torch.float32: "float32", torch.int32: "int32"}[dtype], "shape": list(arr.shape), "byte_order": "little",
            "sha256": hashlib.sha256(data).hexdigest()}


def to64(data):
    return {k: (v.double() if v.is_floating_point() else v) for k, v in data.items()}


def main(out):
    torch.set_num_threads(1)
    os.makedirs(out, exist_ok=True)
    data = make_graph()
    files = {
        "edge_index": {"path": "edge_index.i32", **raw(os.path.join(out, "edge_index.i32"), data["edge_index"], torch.int32)},
        "x": {"path": "x.f32", **raw(os.path.join(out, "x.f32"), data["x"], torch.float32)},
        "edge_weight": {"path": "edge_weight.f32", **raw(os.path.join(out, "edge_weight.f32"), data["edge_weight"], torch.float32)},
        "edge_attr": {"path": "edge_attr.f32", **raw(os.path.join(out, "edge_attr.f32"), data["edge_attr"], torch.float32)},
        "batch": {"path": "batch.i32", **raw(os.path.join(out, "batch.i32"), data["batch"], torch.int32)},
    }
    ei = data["edge_index"]
    graph = {
        "num_nodes": N, "num_edges": ei.shape[1], "num_features": F_IN, "edge_dim": EDGE_DIM, "num_graphs": GRAPHS,
        "description": GRAPH_DESCRIPTION,
        "stats": {
            "self_loops": int((ei[0] == ei[1]).sum()),
            "duplicate_edges": ei.shape[1] - torch.unique(ei, dim=1).shape[1],
            "max_in_degree": int(torch.bincount(ei[1], minlength=N).max()),
            "nodes_without_in_edges": int((torch.bincount(ei[1], minlength=N) == 0).sum()),
            "isolated_nodes": [v for v in range(N) if not bool(((ei[0] == v) | (ei[1] == v)).any())],
        },
        "files": files,
    }
    with open(os.path.join(out, "graph.json"), "w") as f:
        json.dump(graph, f, indent=2)
        f.write("\n")
    data64 = to64(data)
    index = []
    for i, (case, build, forward, uses) in enumerate(CASES):
        torch.manual_seed(1000 + i)
        model = build()
        randomize(model, 1000 + i)
        model.eval()
        with torch.no_grad():
            y32 = run(model, forward, data, uses)
            y64 = run(copy.deepcopy(model).double(), forward, data64, uses)
        diff = float((y32.double() - y64).abs().max())
        d = os.path.join(out, case)
        export(model, d, forward=forward)
        ref = {
            "case": case,
            "inputs": {"edge_weight": bool(uses.get("edge_weight")), "edge_attr": bool(uses.get("edge_attr")), "batch": bool(uses.get("batch"))},
            "output": {"path": "out.f32", **raw(os.path.join(d, "out.f32"), y32, torch.float32)},
            "max_abs_out": float(y32.abs().max()),
            "max_abs_diff_f32_vs_f64": diff,
        }
        with open(os.path.join(d, "reference.json"), "w") as f:
            json.dump(ref, f, indent=2)
            f.write("\n")
        index.append(case)
        print(f"{case:32s} out {tuple(y32.shape)}  max|f32-f64| {diff:.3g}")
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"generator": "tools/make_layer_fixtures.py",
                   "versions": {"torch": torch.__version__, "torch_geometric": torch_geometric.__version__, "python": platform.python_version()},
                   "cases": index}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_layer_fixtures.py OUT_DIR")
    main(sys.argv[1])
