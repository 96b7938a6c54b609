"""``tinygrad-nb export``: a saved model.h5 as ONNX (``--onnx``) and/or a PyTorch state_dict (``--torch``).

    tinygrad-nb export --model runs/demo/model.h5 --onnx model.onnx [--layout batch_first|course]
    tinygrad-nb export --model runs/demo/model.h5 --torch model.pt

Both outputs are built in memory first and then written atomically, so a failure (a missing
package, an unsupported layer) leaves no file behind. Errors are raised: ``cli.main`` turns
them into one line and exit status 2.
"""

from __future__ import annotations

import argparse
from typing import Any

import nn
from nn.files.atomic import atomic_path
from nn.files.onnx_bridge import LAYOUTS, to_onnx
from nn.files.portable import portable_layers, takes_images
from nn.files.torch_bridge import save_torch_state_dict, to_torch
from tinygrad_nb_cli import arguments as a


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``export`` on the ``add_subparsers()`` object of the tinygrad-nb parser; returns its parser."""
    e = subparsers.add_parser("export", help="write a saved model.h5 as ONNX and/or a PyTorch state_dict")
    e.add_argument("--model", type=a.h5_file, required=True, help="a model.h5 written by train or nn.save")
    e.add_argument("--onnx", type=a.output_file((".onnx",)), help="write the model as ONNX here")
    e.add_argument("--layout", choices=LAYOUTS, default="batch_first",
                   help="ONNX input: batch_first X (m, n_x), one example per row (default), or course X (n_x, m)")
    e.add_argument("--torch", type=a.output_file((".pt", ".pth")),
                   help="write a PyTorch state_dict here (torch.save; torch.load(..., weights_only=True) reads it)")
    e.set_defaults(func=run)
    return e


def run(args: argparse.Namespace) -> int:
    """Export the model; prints one line per file written. Returns 0."""
    if args.onnx is None and args.torch is None:
        raise ValueError("nothing to write: give --onnx FILE.onnx and/or --torch FILE.pt")
    model = nn.load(args.model)
    proto = to_onnx(model, layout=args.layout) if args.onnx is not None else None
    if args.torch is not None:
        net = to_torch(model)  # before writing the ONNX file: a missing torch then leaves no file at all
    if proto is not None:
        with atomic_path(args.onnx, who="export") as tmp:
            tmp.write_bytes(proto.SerializeToString())
        print(f"wrote {args.onnx}: ONNX opset {proto.opset_import[0].version}, {args.layout} layout, "
              f"{_shapes(proto)}")
    if args.torch is not None:
        save_torch_state_dict(model, args.torch)
        layers = ", ".join(type(m).__name__ for m in net)
        feed = ("feed it the images as NCHW, X.transpose(0, 3, 1, 2)" if takes_images(portable_layers(model, "export"))
                else "feed it X.T, one example per row")
        print(f"wrote {args.torch}: PyTorch state_dict for torch.nn.Sequential({layers}); {feed}")
    return 0


def _shapes(proto: Any) -> str:
    """``X (m, 2) -> A2 (m, 1)``: the graph's input and output as the file declares them."""
    def shape(value: Any) -> str:
        return f"{value.name} ({', '.join(d.dim_param or str(d.dim_value) for d in value.type.tensor_type.shape.dim)})"
    return f"{shape(proto.graph.input[0])} -> {shape(proto.graph.output[0])}"
