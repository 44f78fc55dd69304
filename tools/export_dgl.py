"""Exports a DGL (PyTorch backend) model as a gnn-kernels model directory: `model.json` with
"framework": "dgl" and DGL's argument names, and `model.safetensors` with the state_dict keys as
DGL saves them. The loader (lib/nn/model-file.ts) maps DGL's names (GraphConv → GCNConv with DGL
semantics, APPNPConv → APPNP, in_feats, num_heads, k, …) and keys (GraphConv's [in, out] `weight`
transposed, GATConv's `fc` / `attn_l` / `attn_r`, SAGEConv's `fc_neigh` / `fc_self`, GINConv's
`apply_func.*`, ChebConv's one `linear.weight` split into K blocks, SGConv's `fc`).

UNTESTED: DGL cannot be installed where this was written (no wheel on the local mirror), so this
file has never run against a DGL module. It reads the attributes DGL 1.x–2.x modules set in their
constructors (python/dgl/nn/pytorch/conv/*.py; see reference/semantics.md §2), and is the PyG
exporter's (tools/export_pyg.py, which is tested) writer with a DGL description of each layer.
Check the first export of each layer type against DGL's own output before trusting it.

Supported: GraphConv, GATConv, SAGEConv (mean, gcn, pool), GINConv, SGConv, APPNPConv, ChebConv,
torch.nn.Linear, torch.nn.Sequential of Linear and activations, activations, Dropout. A layer's
`activation=` becomes an op entry after it. Not representable (a clear error): bipartite
(tuple) in_feats, GraphConv(weight=False), SAGEConv 'lstm', the `norm=` callables of SAGEConv and
SGConv, non-elementwise activations.

Semantics kept by the loader ('dgl' semantics): no self loops are added (add them to the graph as
`dgl.add_self_loop` did); GraphConv and GATConv raise on nodes without in-edges unless
allow_zero_in_degree; GATConv's output is [N, H·D] (DGL's (N, H, D) flattened: follow it with a
mean yourself if the model averaged heads). Not carried: DGL GATConv's per-call edge_weight (it
scales attention after the softmax; our GATConv ignores graph weights), and SGConv's
allow_zero_in_degree (our SGConv does not take it and never raises).

Python:

    import sys; sys.path.insert(0, "tools")
    from export_dgl import export
    export(model, "out/my_model", forward=["layers.0", "relu", "layers.1"])

Command line (a torch.save(model) file holding the whole module):

    python tools/export_dgl.py MODEL.pt OUT_DIR --forward layers.0,relu,layers.1
"""
import argparse
import platform
import sys

import torch

from export_pyg import ExportError, _act_name, _nested, forward_json, write_model


def _dgl():
    import dgl.nn.pytorch as dglnn

    return dglnn


def _single(in_src, in_dst, where):
    if in_src != in_dst:
        raise ExportError(f"{where}: bipartite in_feats ({in_src}, {in_dst}) is not supported (one node type)")
    return in_src


def _activation(module, where):
    """DGL's activation= (a function or module, or None) as an op entry, or None."""
    act = getattr(module, "activation", None)
    if act is None:
        act = getattr(module, "_activation", None)
    if act is None:
        return None
    if act is torch.nn.functional.leaky_relu:
        return {"op": "leaky_relu", "negative_slope": 0.01}
    return _act_name(act, f"{where}.activation")


def _no_norm(module, where):
    if getattr(module, "norm", None) is not None:
        raise ExportError(f"{where}: the norm= callable ({module.norm!r}) is not supported")


def layer_json(module, where):
    """One DGL layer: [{"type", "args"}] plus an activation op entry when it has one."""
    dglnn = _dgl()
    t = type(module).__name__
    act = None
    if isinstance(module, dglnn.GraphConv):
        if module.weight is None:
            raise ExportError(f"{where}: GraphConv(weight=False) is not supported (pass weight=True)")
        a = {"in_feats": module._in_feats, "out_feats": module._out_feats, "norm": module._norm, "bias": module.bias is not None,
             "allow_zero_in_degree": module._allow_zero_in_degree}
        act = _activation(module, where)
    elif isinstance(module, dglnn.GATConv):
        if hasattr(module, "fc_src"):
            raise ExportError(f"{where}: GATConv with bipartite in_feats (fc_src / fc_dst) is not supported")
        in_feats = _single(module._in_src_feats, module._in_dst_feats, where)
        residual = module.res_fc is not None
        a = {"in_feats": in_feats, "out_feats": module._out_feats, "num_heads": module._num_heads,
             "feat_drop": float(module.feat_drop.p), "attn_drop": float(module.attn_drop.p),
             "negative_slope": float(module.leaky_relu.negative_slope), "residual": residual,
             "allow_zero_in_degree": module._allow_zero_in_degree,
             # DGL >= 1.1 moves the bias into a linear residual (res_fc.bias); it is written as `bias` (see export).
             "bias": module.bias is not None or (isinstance(module.res_fc, torch.nn.Linear) and module.res_fc.bias is not None)}
        act = _activation(module, where)
    elif isinstance(module, dglnn.SAGEConv):
        kind = module._aggre_type
        if kind not in ("mean", "gcn", "pool"):
            raise ExportError(f"{where}: SAGEConv aggregator_type {kind!r} is not supported ('mean', 'gcn', 'pool')")
        _no_norm(module, where)
        in_feats = _single(module._in_src_feats, module._in_dst_feats, where)
        if kind == "gcn":
            bias = getattr(module, "bias", None) is not None
        else:
            bias = module.fc_self.bias is not None or getattr(module, "bias", None) is not None
        a = {"in_feats": in_feats, "out_feats": module._out_feats, "aggregator_type": kind, "feat_drop": float(module.feat_drop.p),
             "bias": bias}
        act = _activation(module, where)
    elif isinstance(module, dglnn.GINConv):
        eps = module.eps
        nn = {"type": "Identity"} if module.apply_func is None else _nested(module.apply_func, f"{where}.apply_func")
        # init_eps is not kept by DGL; the current eps is (and the state dict holds it anyway).
        a = {"init_eps": float(eps.detach().reshape(-1)[0]), "learn_eps": isinstance(eps, torch.nn.Parameter),
             "aggr": module._aggregator_type, "apply_func": nn}
        act = _activation(module, where)
    elif isinstance(module, dglnn.SGConv):
        _no_norm(module, where)
        a = {"in_feats": module.fc.in_features, "out_feats": module.fc.out_features, "k": module._k, "cached": module._cached,
             "bias": module.fc.bias is not None}
    elif isinstance(module, dglnn.APPNPConv):
        a = {"k": module._k, "alpha": float(module._alpha), "edge_drop": float(module.edge_drop.p)}
    elif isinstance(module, dglnn.ChebConv):
        cheb_act = _activation(module, where)
        fused = cheb_act is not None and len(cheb_act) == 1 and cheb_act["op"] in ("relu", "gelu", "sigmoid", "tanh")
        a = {"in_feats": module._in_feats, "out_feats": module._out_feats, "k": module._k, "bias": module.linear.bias is not None,
             # DGL's ChebConv defaults to ReLU; the loader's ChebConv takes simple activations as an argument.
             "activation": cheb_act["op"] if fused else "none"}
        if cheb_act is not None and not fused:
            act = cheb_act
    elif isinstance(module, torch.nn.Linear):
        return {"type": "Linear", "args": {"in_features": module.in_features, "out_features": module.out_features, "bias": module.bias is not None}}
    elif isinstance(module, torch.nn.Sequential):
        return _nested(module, where)
    else:
        raise ExportError(f"{where}: {type(module).__module__}.{t} is not supported (GraphConv, GATConv, SAGEConv, GINConv, SGConv, "
                          "APPNPConv, ChebConv, Linear, Sequential, activations)")
    entry = {"type": t, "args": a}
    return [entry, act] if act is not None else entry


def state_tensors(model, entries):
    """The state_dict as DGL saves it, with the two layouts the loader has no key for rewritten:
    GATConv's linear residual carries the bias (DGL >= 1.1: res_fc.bias, no `bias`), written as
    `bias`; GATConv's identity residual (in == H·D) has no tensor, written as `res_fc.weight` = I."""
    dglnn = _dgl()
    state = dict(model.state_dict())
    for e in entries:
        if e.get("type") != "GATConv" or "name" not in e:
            continue
        conv = model.get_submodule(e["name"])
        p = e["name"] + "."
        if isinstance(conv.res_fc, torch.nn.Linear) and conv.res_fc.bias is not None and conv.bias is None:
            state[p + "bias"] = state.pop(p + "res_fc.bias")
        elif conv.res_fc is not None and not isinstance(conv.res_fc, torch.nn.Linear):
            width = conv._num_heads * conv._out_feats
            state[p + "res_fc.weight"] = torch.eye(width, conv._in_dst_feats, dtype=conv.fc.weight.dtype)
    del dglnn
    return state


def _versions():
    import dgl

    return {"dgl": dgl.__version__, "torch": torch.__version__, "python": platform.python_version(), "exporter": "gnn-kernels tools/export_dgl.py"}


def export(model, out_dir, *, forward, input_channels=None, output_channels=None, extra=None):
    """Writes out_dir/model.json and out_dir/model.safetensors for a DGL model.

    forward: submodule names and op strings in the order forward() runs them (DGL has no model
    class that records it), e.g. ["layers.0", "relu", "layers.1"]; {"name": "cheb", "args":
    {"lambda_max": 1.8}} adds a forward-time argument. Returns the model.json dict.
    """
    entries = forward_json(model, forward, layer=layer_json)
    return write_model(model, out_dir, entries, state_tensors(model, entries), framework="dgl", producer=_versions(),
                       input_channels=input_channels, output_channels=output_channels, extra=extra)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="a torch.save(model) file (the whole module)")
    p.add_argument("out_dir")
    p.add_argument("--forward", required=True, help="comma-separated submodule names and ops, e.g. layers.0,relu,layers.1")
    p.add_argument("--input-channels", type=int)
    p.add_argument("--output-channels", type=int)
    a = p.parse_args(argv)
    model = torch.load(a.model, map_location="cpu", weights_only=False)
    if isinstance(model, dict):
        p.error(f"{a.model} holds a state_dict, not a module: build the model, load_state_dict, then call export() from Python")
    model.eval()
    try:
        export(model, a.out_dir, forward=a.forward.split(","), input_channels=a.input_channels, output_channels=a.output_channels)
    except ExportError as e:
        print(f"export_dgl: {e}", file=sys.stderr)
        return 1
    print(f"wrote {a.out_dir}/model.json and model.safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
