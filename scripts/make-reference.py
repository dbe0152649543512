#!/usr/bin/python3
"""PyTorch reference fixtures for simdnet's parity tests (run by hand, not in CI).

Needs Debian's python3-torch (apt-get install python3-torch; run with /usr/bin/python3).
Writes test/fixtures/pytorch-reference.json: a small nn.Sequential MLP's initial state_dict
(PyTorch layout, weight [out, in]), a batch, the loss and every gradient, and the parameters
after a few steps of each optimizer (SGD plain, with momentum and weight decay, with weight
decay alone, Nesterov; Adam with and without L2 weight decay; AdamW); and
test/fixtures/pytorch-state.safetensors, the same initial state_dict serialized by hand
following the safetensors format, which simdnet's export must reproduce byte for byte.
Run with OPENBLAS_NUM_THREADS=1 (the committed fixtures were).
"""
import json
import struct
import zlib
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
SIZES = [6, 5, 4, 3]
ACTIVATIONS = ['tanh', 'relu']
MODULES = {'tanh': nn.Tanh, 'relu': nn.ReLU, 'sigmoid': nn.Sigmoid}


def make_model():
    layers = []
    for i in range(len(SIZES) - 1):
        layers.append(nn.Linear(SIZES[i], SIZES[i + 1]))
        if i < len(ACTIVATIONS):
            layers.append(MODULES[ACTIVATIONS[i]]())
    return nn.Sequential(*layers)


model = make_model()
initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
x = torch.randn(8, SIZES[0])
y = torch.tensor([0, 1, 2, 1, 0, 2, 2, 1])

loss = F.cross_entropy(model(x), y)
loss.backward()
gradients = {name: p.grad.detach().clone() for name, p in model.named_parameters()}

OPTIMIZERS = {
    'sgd': lambda params: torch.optim.SGD(params, lr=0.1),
    'sgd-momentum': lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-3),
    'sgd-nesterov': lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True),
    'sgd-weight-decay': lambda params: torch.optim.SGD(params, lr=0.1, weight_decay=0.05),
    'adam': lambda params: torch.optim.Adam(params, lr=1e-2),
    'adam-weight-decay': lambda params: torch.optim.Adam(params, lr=1e-2, weight_decay=0.1),
    'adamw': lambda params: torch.optim.AdamW(params, lr=1e-2, weight_decay=0.1),
}
STEPS = 5
after = {}
for name, make in OPTIMIZERS.items():
    m = make_model()
    m.load_state_dict(initial)
    optimizer = make(m.parameters())
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        step_loss = F.cross_entropy(m(x), y)
        step_loss.backward()
        optimizer.step()
        losses.append(step_loss.item())
    after[name] = {'losses': losses, 'state': {k: v.flatten().tolist() for k, v in m.state_dict().items()}}

fixtures = Path(__file__).resolve().parent.parent / 'test' / 'fixtures'
fixtures.mkdir(parents=True, exist_ok=True)
reference = {
    'torch': torch.__version__,
    'sizes': SIZES,
    'activations': ACTIVATIONS,
    'state': {k: {'shape': list(v.shape), 'values': v.flatten().tolist()} for k, v in initial.items()},
    'x': x.flatten().tolist(),
    'y': y.tolist(),
    'loss': loss.item(),
    'gradients': {k: v.flatten().tolist() for k, v in gradients.items()},
    'steps': STEPS,
    'after': after,
}
(fixtures / 'pytorch-reference.json').write_text(json.dumps(reference) + '\n')

# safetensors by hand: 8-byte little-endian header length, the JSON header (no spaces, tensors
# in state_dict order, then __metadata__ with the CRC-32 of the data), padded with spaces to a
# multiple of 8, then the tensors' little-endian float32 bytes.
data = b''.join(v.contiguous().numpy().astype('<f4').tobytes() for v in initial.values())
header = {}
offset = 0
for name, tensor in initial.items():
    size = tensor.numel() * 4
    header[name] = {'dtype': 'F32', 'shape': list(tensor.shape), 'data_offsets': [offset, offset + size]}
    offset += size
header['__metadata__'] = {'format': 'pt', 'crc32': '%08x' % zlib.crc32(data)}
text = json.dumps(header, separators=(',', ':'))
text += ' ' * ((8 - len(text.encode()) % 8) % 8)
(fixtures / 'pytorch-state.safetensors').write_bytes(struct.pack('<Q', len(text.encode())) + text.encode() + data)

# And the other direction: a model loads simdnet's bytes back (parsed the same way).
blob = (fixtures / 'pytorch-state.safetensors').read_bytes()
n = struct.unpack('<Q', blob[:8])[0]
meta = json.loads(blob[8:8 + n])
loaded = {}
for name, info in meta.items():
    if name == '__metadata__':
        continue
    begin, end = info['data_offsets']
    loaded[name] = torch.frombuffer(bytearray(blob[8 + n + begin:8 + n + end]), dtype=torch.float32).reshape(info['shape'])
check = make_model()
check.load_state_dict(loaded)
original = make_model()
original.load_state_dict(initial)
assert torch.equal(check(x), original(x))
print('wrote', fixtures / 'pytorch-reference.json', 'and', fixtures / 'pytorch-state.safetensors')
