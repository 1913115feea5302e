"""Writes tests/golden/unet_xs.safetensors: mnist-xs weights, fixed inputs, and the output, loss,
every parameter gradient and the first Adam steps' losses computed by the independent PyTorch
model of unet_torch.py in float64. Lethe's golden test compares against these values; running
the test needs no PyTorch, regenerating the file does (Debian python3-torch):

    /usr/bin/python3 tools/reference/make_unet_golden.py tests/golden/unet_xs.safetensors
"""
import sys

import torch

import safetensors_io
import unet_torch

ADAM_LR = 1e-3
ADAM_STEPS = 5


def main(path):
    torch.manual_seed(0)
    model = unet_torch.build("mnist-xs")
    with torch.no_grad():  # perturb GroupNorm's 1/0 init so its affine gradients are exercised
        for name, parameter in model.named_parameters():
            if "norm" in name:
                parameter.add_(0.1 * torch.randn_like(parameter))
    weights = {name: p.detach().clone() for name, p in model.named_parameters()}
    x = torch.randn(3, 1, 28, 28)
    t = torch.tensor([0.1, 0.5, 0.9])
    y = torch.tensor([3, 10, 7])  # 10 is the null label
    target = torch.randn(3, 1, 28, 28)

    model = model.double()
    loss_of = lambda: torch.mean((model(x.double(), t.double(), y) - target.double()) ** 2)
    output = model(x.double(), t.double(), y)
    loss = torch.mean((output - target.double()) ** 2)
    loss.backward()
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters()}

    optimizer = torch.optim.Adam(model.parameters(), lr=ADAM_LR)
    losses = []
    for _ in range(ADAM_STEPS):
        optimizer.zero_grad()
        step_loss = loss_of()
        losses.append(step_loss.item())
        step_loss.backward()
        optimizer.step()
    losses.append(loss_of().item())

    tensors = {"weights." + name: w for name, w in weights.items()}
    tensors.update({"input.x": x, "input.t": t, "input.y": y, "input.target": target,
                    "output": output.detach(), "loss": loss.detach().reshape(1),
                    "adam_losses": torch.tensor(losses, dtype=torch.float64)})
    tensors.update({"grad." + name: g for name, g in grads.items()})
    safetensors_io.save(path, tensors, {"config": "mnist-xs", "adam_lr": ADAM_LR,
                                        "generator": "tools/reference/make_unet_golden.py"})


if __name__ == "__main__":
    main(sys.argv[1])
