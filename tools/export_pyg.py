"""Exports a PyTorch Geometric model as a gnn-kernels model directory: `model.json` (the layers in
forward order with their constructor arguments) and `model.safetensors` (the state_dict, by its
own names). Node.js then serves it with `loadModel(dir)`; the format is described at the top of
lib/nn/model-file.ts and in docs-drafts/exporters.md.

A model's forward code cannot be read back, so the exporter needs the order of operations:

* PyG's BasicGNN models (torch_geometric.nn.models GCN, GraphSAGE, GIN, GAT) carry it in their
  attributes (convs, act, dropout); they are converted as they are, when built with norm=None and
  jk=None (anything else is refused with the reason).
* Any other module takes `forward=[...]`: the names of its submodules in the order forward() calls
  them, with op strings between them ("relu", "elu", "dropout", "global_mean_pool", …), e.g.
  ["conv1", "relu", "conv2"]. A dict is written as given when it has an "op"
  ({"op": "leaky_relu", "negative_slope": 0.1}); {"name": "conv", "args": {...}} adds arguments
  that PyG takes in forward() rather than in the constructor (ChebConv's lambda_max).

Python:

    from export_pyg import export
    export(model, "out/my_model", forward=["conv1", "relu", "conv2"])

Command line (the file holds a whole pickled module, torch.save(model, path)):

    python tools/export_pyg.py MODEL.pt OUT_DIR [--forward conv1,relu,conv2] [--input-channels N]

Needs torch and torch_geometric; writes safetensors with the `safetensors` package when it is
installed and with the small writer below otherwise.
"""
import argparse
import json
import os
import platform
import struct
import sys

import torch

FORMAT_VERSION = 1

# Op strings accepted in `forward` (the loader's names; pooling ops read the batch vector).
OPS = {
    "relu", "elu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "identity", "dropout",
    "global_add_pool", "global_mean_pool", "global_max_pool",
}


class ExportError(ValueError):
    """The model holds something this exporter cannot describe; the message says what."""


# ----------------------------------------------------------------------------------------------
# safetensors


_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def _write_safetensors_plain(tensors, path, metadata):
    """The safetensors layout: u64 little-endian header size, JSON header (padded with spaces to a
    multiple of 8), then the raw little-endian bytes of each tensor in header order."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise ExportError(f"{name}: dtype {t.dtype} has no safetensors name")
        data = t.view(torch.uint8).numpy().tobytes() if t.numel() > 0 else b""
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    if sys.byteorder != "little":
        raise ExportError("the plain safetensors writer needs a little-endian machine; install `safetensors`")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def write_safetensors(tensors, path, metadata=None):
    """Writes name -> tensor as safetensors. Tensors that share storage (share_weights, tied
    modules) are copied: the format stores each one."""
    metadata = {"format": "pt", **(metadata or {})}
    tensors = {k: v.detach().cpu().clone().contiguous() for k, v in tensors.items()}
    try:
        from safetensors.torch import save_file
    except ImportError:
        _write_safetensors_plain(tensors, path, metadata)
        return
    save_file(tensors, path, metadata=metadata)


# ----------------------------------------------------------------------------------------------
# modules -> JSON


def _pyg():
    import torch_geometric.nn as pygnn

    return pygnn


def _act_name(act, where):
    """A torch activation module or function as an op entry."""
    if act is None:
        return None
    f = torch.nn.functional
    simple = {
        torch.nn.ReLU: "relu", torch.nn.Sigmoid: "sigmoid", torch.nn.Tanh: "tanh", torch.nn.Identity: "identity",
        f.relu: "relu", torch.relu: "relu", torch.sigmoid: "sigmoid", torch.tanh: "tanh", f.elu: "elu", f.gelu: "gelu",
    }
    for k, v in simple.items():
        if (isinstance(k, type) and isinstance(act, k)) or act is k:
            return {"op": v}
    if isinstance(act, torch.nn.ELU):
        return {"op": "elu", "alpha": float(act.alpha)}
    if isinstance(act, torch.nn.LeakyReLU):
        return {"op": "leaky_relu", "negative_slope": float(act.negative_slope)}
    if isinstance(act, torch.nn.GELU):
        if act.approximate != "none":
            raise ExportError(f"{where}: GELU(approximate={act.approximate!r}) is not supported (only the exact erf form)")
        return {"op": "gelu"}
    if isinstance(act, (torch.nn.Softmax, torch.nn.LogSoftmax)):
        if act.dim not in (-1, 1, None):
            raise ExportError(f"{where}: {type(act).__name__}(dim={act.dim}) is not supported (only the last dimension)")
        return {"op": "softmax" if isinstance(act, torch.nn.Softmax) else "log_softmax"}
    raise ExportError(f"{where}: activation {act!r} is not supported (relu, elu, leaky_relu, gelu, sigmoid, tanh, softmax)")


def _channels(v, where, what="in_channels"):
    if isinstance(v, (tuple, list)):
        raise ExportError(f"{where}: bipartite {what} {tuple(v)} is not supported (one node type: pass an int)")
    if not isinstance(v, int) or v <= 0:
        raise ExportError(f"{where}: {what} {v!r} is not a positive int (lazy -1 layers must run once before export)")
    return v


def _aggr(conv, where):
    a = conv.aggr
    if not isinstance(a, str):
        raise ExportError(f"{where}: aggr {a!r} is not supported (a single named aggregation: 'add', 'mean', 'max', …)")
    return a


def _flow(conv, args):
    args["flow"] = getattr(conv, "flow", "source_to_target")
    if args["flow"] != "source_to_target":
        raise ExportError(f"{type(conv).__name__}: flow {args['flow']!r} is not supported (source_to_target only)")


def _has(p):
    return p is not None


def _linear_json(lin, where, nested):
    """torch.nn.Linear and PyG's Linear (both [out, in] weights)."""
    if isinstance(lin, torch.nn.Linear):
        n_in, n_out = lin.in_features, lin.out_features
    else:
        n_in, n_out = lin.in_channels, lin.out_channels
    n_in = _channels(n_in, where)
    entry = {"type": "Linear"}
    args = {"in_features": n_in, "out_features": n_out, "bias": lin.bias is not None}
    if nested:
        entry.update(args)
    else:
        entry["args"] = args
    return entry


def _mlp_layers(mlp, where):
    """PyG's MLP (as BasicGNN's GIN builds it) as Sequential layers named by its state_dict keys."""
    for i, norm in enumerate(mlp.norms):
        if not isinstance(norm, torch.nn.Identity):
            raise ExportError(f"{where}.norms.{i}: {type(norm).__name__} inside an MLP is not supported (norm=None only)")
    if not mlp.plain_last:
        raise ExportError(f"{where}: MLP(plain_last=False) is not supported")
    layers = []
    n = len(mlp.lins)
    for i, lin in enumerate(mlp.lins):
        layers.append({**_linear_json(lin, f"{where}.lins.{i}", nested=True), "name": f"lins.{i}"})
        if i < n - 1 and mlp.act is not None:
            act = _act_name(mlp.act, f"{where}.act")
            layers.append({**_nested_op(act), "name": f"act{i}"})
    return layers


_OP_TYPES = {"relu": "ReLU", "elu": "ELU", "leaky_relu": "LeakyReLU", "gelu": "GELU", "sigmoid": "Sigmoid", "tanh": "Tanh",
             "softmax": "Softmax", "log_softmax": "LogSoftmax", "identity": "Identity", "dropout": "Dropout"}


def _nested_op(op):
    """An op entry as a nested module spec ({"type": "LeakyReLU", "negative_slope": 0.2})."""
    out = {"type": _OP_TYPES[op["op"]]}
    out.update({k: v for k, v in op.items() if k != "op"})
    return out


def _nested(module, where):
    """A module inside another one (a GIN's nn): flat {"type", ...args} specs."""
    pygnn = _pyg()
    if isinstance(module, torch.nn.Sequential):
        layers = []
        for name, child in module.named_children():
            layers.append({**_nested(child, f"{where}.{name}"), "name": name})
        return {"type": "Sequential", "layers": layers}
    if isinstance(module, pygnn.MLP):
        return {"type": "Sequential", "layers": _mlp_layers(module, where)}
    if isinstance(module, (torch.nn.Linear, pygnn.Linear)):
        return _linear_json(module, where, nested=True)
    if isinstance(module, torch.nn.Dropout):
        return {"type": "Dropout", "p": float(module.p)}
    if isinstance(module, torch.nn.BatchNorm1d):
        return {"type": "BatchNorm1d", **_batchnorm_args(module)}
    act = _act_name(module, where)
    return _nested_op(act)


def _batchnorm_args(bn):
    return {"num_features": bn.num_features, "eps": float(bn.eps), "momentum": bn.momentum, "affine": bn.affine,
            "track_running_stats": bn.track_running_stats}


def layer_json(module, where):
    """One top-level layer: {"type", "args"} with every constructor argument readable from it."""
    pygnn = _pyg()
    t = type(module).__name__
    a = {}
    if isinstance(module, pygnn.GCNConv):
        a = {"in_channels": _channels(module.in_channels, where), "out_channels": module.out_channels, "improved": module.improved,
             "cached": module.cached, "add_self_loops": module.add_self_loops, "normalize": module.normalize,
             "bias": _has(module.bias), "aggr": _aggr(module, where)}
        _flow(module, a)
    elif isinstance(module, (pygnn.GATConv, pygnn.GATv2Conv)):
        a = {"in_channels": _channels(module.in_channels, where), "out_channels": module.out_channels, "heads": module.heads,
             "concat": module.concat, "negative_slope": float(module.negative_slope), "dropout": float(module.dropout),
             "add_self_loops": module.add_self_loops, "edge_dim": module.edge_dim, "fill_value": module.fill_value,
             "bias": _has(module.bias), "residual": bool(getattr(module, "residual", False)), "aggr": _aggr(module, where)}
        if isinstance(module, pygnn.GATv2Conv):
            a["share_weights"] = module.share_weights
            a["bias"] = _has(module.lin_l.bias)  # GATv2's `bias` switches lin_l/lin_r's biases and the output bias together
        _flow(module, a)
    elif isinstance(module, pygnn.SAGEConv):
        a = {"in_channels": _channels(module.in_channels, where), "out_channels": module.out_channels, "aggr": _aggr(module, where),
             "normalize": module.normalize, "root_weight": module.root_weight, "project": module.project,
             "bias": _has(module.lin_l.bias)}
        _flow(module, a)
    elif isinstance(module, pygnn.GINConv):
        a = {"eps": float(module.initial_eps), "train_eps": isinstance(module.eps, torch.nn.Parameter), "aggr": _aggr(module, where),
             "nn": _nested(module.nn, f"{where}.nn")}
        _flow(module, a)
    elif isinstance(module, pygnn.GraphConv):
        a = {"in_channels": _channels(module.in_channels, where), "out_channels": module.out_channels, "aggr": _aggr(module, where),
             "bias": _has(module.lin_rel.bias)}
        _flow(module, a)
    elif isinstance(module, pygnn.SGConv):
        a = {"in_channels": _channels(module.in_channels, where), "out_channels": module.out_channels, "K": module.K,
             "cached": module.cached, "add_self_loops": module.add_self_loops, "bias": _has(module.lin.bias)}
        _flow(module, a)
    elif isinstance(module, pygnn.APPNP):
        a = {"K": module.K, "alpha": float(module.alpha), "dropout": float(module.dropout), "cached": module.cached,
             "add_self_loops": module.add_self_loops, "normalize": module.normalize}
        _flow(module, a)
    elif isinstance(module, pygnn.ChebConv):
        a = {"in_channels": _channels(module.in_channels, where), "out_channels": module.out_channels, "K": len(module.lins),
             "normalization": module.normalization, "bias": _has(module.bias)}
        _flow(module, a)
    elif isinstance(module, (torch.nn.Linear, pygnn.Linear)):
        return _linear_json(module, where, nested=False)
    elif isinstance(module, pygnn.BatchNorm):
        bn = module.module
        a = {"in_channels": bn.num_features, "eps": float(bn.eps), "momentum": bn.momentum, "affine": bn.affine,
             "track_running_stats": bn.track_running_stats, "allow_single_element": module.allow_single_element}
    elif isinstance(module, torch.nn.BatchNorm1d):
        a = _batchnorm_args(module)
    elif isinstance(module, pygnn.LayerNorm):
        a = {"in_channels": module.in_channels, "eps": float(module.eps), "affine": module.affine, "mode": module.mode}
    elif isinstance(module, torch.nn.LayerNorm):
        # torch's LayerNorm is PyG's LayerNorm(mode='node'): same formula, same weight/bias keys.
        if len(module.normalized_shape) != 1:
            raise ExportError(f"{where}: LayerNorm over {tuple(module.normalized_shape)} is not supported (the last dimension only)")
        t = "LayerNorm"
        a = {"in_channels": module.normalized_shape[0], "eps": float(module.eps), "affine": module.elementwise_affine, "mode": "node"}
        if module.elementwise_affine and module.bias is None:
            a["bias"] = False
    elif isinstance(module, torch.nn.Sequential):
        return _nested(module, where)
    else:
        raise ExportError(
            f"{where}: {type(module).__module__}.{t} is not supported (GCNConv, GATConv, GATv2Conv, SAGEConv, GINConv, GraphConv, "
            "SGConv, APPNP, ChebConv, Linear, BatchNorm, LayerNorm, torch.nn.Sequential, activations)")
    return {"type": t, "args": a}


def _first(a, *names):
    for n in names:
        if a.get(n) is not None:
            return a[n]
    return None


def _mlp_of(entry):
    a = entry.get("args") or {}
    nn = a.get("nn") or a.get("apply_func") or entry
    return nn.get("layers", [nn])


def _out_channels(entry):
    """Output width of an entry (None when it keeps its input's width or cannot tell)."""
    a = entry.get("args") or {}
    t = entry.get("type")
    if t in ("GATConv", "GATv2Conv"):
        heads = _first(a, "heads", "num_heads") or 1
        return _first(a, "out_channels", "out_feats") * (heads if a.get("concat", True) else 1)
    if t in ("GINConv", "Sequential"):
        lins = [l for l in _mlp_of(entry) if l.get("type") == "Linear"]
        return lins[-1]["out_features"] if lins else None
    return _first(a, "out_channels", "out_features", "out_feats")


def _in_channels(entry):
    a = entry.get("args") or {}
    if entry.get("type") in ("GINConv", "Sequential"):
        return _mlp_of(entry)[0].get("in_features")
    return _first(a, "in_channels", "in_features", "in_feats")


def basic_gnn_forward(model):
    """The forward entries of a PyG BasicGNN (GCN, GraphSAGE, GIN, GAT) read from its attributes."""
    from torch_geometric.nn.models.basic_gnn import BasicGNN

    name = type(model).__name__
    if not isinstance(model, BasicGNN) or name not in ("GCN", "GraphSAGE", "GIN", "GAT"):
        raise ExportError(f"{name}: only the BasicGNN models GCN, GraphSAGE, GIN and GAT are read automatically; pass forward=[...]")
    if getattr(model, "jk_mode", None) is not None:
        raise ExportError(f"{name}: jk={model.jk_mode!r} is not supported (jk=None only)")
    for i, norm in enumerate(model.norms):
        if not isinstance(norm, torch.nn.Identity):
            raise ExportError(f"{name}: norms.{i} is {type(norm).__name__}; only norm=None is supported")
    act = _act_name(model.act, f"{name}.act") if model.act is not None else None
    p = float(model.dropout.p) if isinstance(model.dropout, torch.nn.Dropout) else float(model.dropout)
    entries = []
    n = len(model.convs)
    for i in range(n):
        entries.append(f"convs.{i}")
        if i < n - 1:
            if act is not None:
                entries.append(act)
            if p > 0:
                entries.append({"op": "dropout", "p": p})
    return entries


def forward_json(model, forward, layer=None):
    """The architecture.forward list: named layers and ops in order (`layer` describes one module)."""
    layer = layer or layer_json
    out = []
    for i, item in enumerate(forward):
        where = f"forward[{i}]"
        if isinstance(item, str) and item.lower() in OPS:
            out.append({"op": item.lower()})
            continue
        if isinstance(item, dict) and "op" in item:
            if str(item["op"]).lower() not in OPS:
                raise ExportError(f"{where}: unknown op {item['op']!r} (known: {', '.join(sorted(OPS))})")
            out.append(dict(item))
            continue
        extra = {}
        if isinstance(item, dict):
            if "name" not in item:
                raise ExportError(f"{where}: a dict needs an 'op' or a 'name', got {sorted(item)}")
            extra = item.get("args") or {}
            item = item["name"]
        if not isinstance(item, str):
            raise ExportError(f"{where}: expected a submodule name, an op string or a dict, got {item!r}")
        try:
            module = model.get_submodule(item)
        except AttributeError as e:
            raise ExportError(f"{where}: {item!r} is neither a submodule of {type(model).__name__} nor an op ({', '.join(sorted(OPS))})") from e
        if isinstance(module, torch.nn.Dropout):
            out.append({"op": "dropout", "p": float(module.p)})
            continue
        if not any(True for _ in module.parameters(recurse=True)) and not any(True for _ in module.buffers()):
            try:
                out.append(_act_name(module, item))
                continue
            except ExportError:
                pass
        described = layer(module, item)
        for i_entry, e in enumerate(described if isinstance(described, list) else [described]):
            if i_entry == 0:
                e = {"name": item, **e}
                if extra:
                    e.setdefault("args", {}).update(extra)
            out.append(e)
    return out


def _versions():
    import torch_geometric

    return {"torch_geometric": torch_geometric.__version__, "torch": torch.__version__, "python": platform.python_version(),
            "exporter": "gnn-kernels tools/export_pyg.py"}


def _check_keys(state, entries):
    """Every state_dict key must belong to an exported layer, or the loader's strict load fails later."""
    names = [e["name"] for e in entries if "name" in e]
    stray = [k for k in state if not any(k.startswith(n + ".") for n in names)]
    if stray:
        raise ExportError(f"state_dict keys not reached by forward {names}: {', '.join(stray)} (add their modules to forward)")


def export(model, out_dir, *, forward=None, input_channels=None, output_channels=None, extra=None):
    """Writes out_dir/model.json and out_dir/model.safetensors for a PyG model.

    forward: the order of submodule names and op strings (see the module docstring); read from the
    model's attributes for BasicGNN models. input_channels / output_channels default to the first
    layer's input and the last layer's output widths. extra: fields merged into model.json.
    Returns the model.json dict.
    """
    if forward is None:
        forward = basic_gnn_forward(model)
    entries = forward_json(model, forward)
    return write_model(model, out_dir, entries, model.state_dict(), framework="pyg", producer=_versions(),
                       input_channels=input_channels, output_channels=output_channels, extra=extra)


def write_model(model, out_dir, entries, state, *, framework, producer, input_channels=None, output_channels=None, extra=None):
    """Writes model.json and model.safetensors from forward entries and a name -> tensor dict."""
    _check_keys(state, entries)
    layers = [e for e in entries if "type" in e]
    if input_channels is None and layers:
        input_channels = _in_channels(layers[0])
    if output_channels is None and layers:
        for e in reversed(layers):
            output_channels = _out_channels(e)
            if output_channels is not None:
                break
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(state, os.path.join(out_dir, "model.safetensors"))
    doc = {
        "format_version": FORMAT_VERSION,
        "framework": framework,
        "producer": producer,
        "input": {"channels": input_channels},
        "output": {"channels": output_channels},
        "architecture": {"class": type(model).__name__, "forward": entries},
        "parameters": {
            "file": "model.safetensors",
            "tensors": {k: {"shape": list(v.shape), "dtype": _DTYPES.get(v.dtype, str(v.dtype))} for k, v in state.items()},
            "note": "keys are model.state_dict() names; Linear weights are [out_features, in_features]",
        },
    }
    if extra:
        doc.update(extra)
    tmp = os.path.join(out_dir, ".model.json.tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(out_dir, "model.json"))
    return doc


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a torch.save(model) file (the whole module, not a state_dict)")
    p.add_argument("out_dir")
    p.add_argument("--forward", help="comma-separated submodule names and ops, e.g. conv1,relu,conv2 (BasicGNN models: omit)")
    p.add_argument("--input-channels", type=int)
    p.add_argument("--output-channels", type=int)
    a = p.parse_args(argv)
    model = torch.load(a.model, map_location="cpu", weights_only=False)
    if isinstance(model, dict):
        p.error(f"{a.model} holds a state_dict, not a module: build the model, load_state_dict, then call export() from Python")
    model.eval()
    forward = a.forward.split(",") if a.forward else None
    try:
        export(model, a.out_dir, forward=forward, input_channels=a.input_channels, output_channels=a.output_channels)
    except ExportError as e:
        print(f"export_pyg: {e}", file=sys.stderr)
        return 1
    print(f"wrote {a.out_dir}/model.json and model.safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
