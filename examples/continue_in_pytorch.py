"""Train here, then carry on in PyTorch: the planar "flower", 4 tanh units, float64.

    python examples/continue_in_pytorch.py                    # 300 iterations here, 300 in PyTorch
    python examples/continue_in_pytorch.py --iterations 50

``nn.fit`` trains for a while; ``to_torch`` moves the model to a ``torch.nn.Sequential`` with
the same W[l] and b[l]; torch's SGD (same learning rate) and BCELoss carry on from there.
The first cost PyTorch computes is the cost of the trained model here, to 1e-12 in float64;
at the end ``from_torch`` brings the weights back for ``nn.accuracy``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

import nn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=300, help="iterations here, and as many in PyTorch")
    parser.add_argument("--lr", type=float, default=1.2, help="the learning rate alpha, in both")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("torch") is None:
        print("continue_in_pytorch: PyTorch is not installed (pip install torch); nothing to do")
        return 0
    import torch

    X, Y, _ = nn.datasets.planar()  # X (2, 400), Y (1, 400), float64
    model = nn.MLP([2, 4, 1], hidden="tanh", init="small_random", rng=2)
    every = max(args.iterations // 3, 1)
    nn.fit(model, X, Y, lr=args.lr, num_iterations=args.iterations, print_every=every)
    cost_here = nn.binary_cross_entropy(model(X), Y).item()  # the cost of the trained model

    net = nn.to_torch(model)  # the same W[l], b[l], float64
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr)
    bce = torch.nn.BCELoss()
    Xt, Yt = torch.from_numpy(X.T), torch.from_numpy(Y.T)  # PyTorch: one example per row
    costs = []
    for i in range(args.iterations):
        optimizer.zero_grad()
        J = bce(net(Xt), Yt)
        J.backward()
        optimizer.step()
        costs.append(J.item())
        if i % every == 0 or i == args.iterations - 1:
            print(f"PyTorch: cost after iteration {i}: {costs[-1]}")

    print(f"cost here after {args.iterations} iterations: {cost_here!r}")
    print(f"first cost in PyTorch:              {costs[0]!r}")
    difference = abs(costs[0] - cost_here)
    print(f"difference: {difference:.3g} (float64)")
    back = nn.from_torch(net)
    print(f"after {args.iterations} more in PyTorch: cost {bce(net(Xt), Yt).item():.6f}, "
          f"train accuracy {nn.accuracy(back, X, Y):.3f}")
    return 0 if difference <= 1e-12 else 1


if __name__ == "__main__":
    sys.exit(main())
