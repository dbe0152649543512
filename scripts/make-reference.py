#!/usr/bin/python3
"""PyTorch reference fixtures for simdnet's parity tests (run by hand, not in CI).

Needs Debian's python3-torch (apt-get install python3-torch; run with /usr/bin/python3).
Writes test/fixtures/pytorch-reference.json: a small nn.Sequential MLP's initial state_dict
(PyTorch layout, weight [out, in]), a batch, the loss and every gradient, and the parameters
after a few steps of each optimizer (SGD plain, with momentum and weight decay, with weight
decay alone, Nesterov; Adam with and without L2 weight decay; AdamW); and
test/fixtures/pytorch-state.safetensors, the same initial state_dict serialized by hand
following the safetensors format, which simdnet's export must reproduce byte for byte; and
test/fixtures/pytorch-heads.json: the other loss heads (BCEWithLogitsLoss, MSELoss) on a small
network, and five steps of RMSprop, Adagrad, Adam with L2 weight decay, SGD with weight decay
alone, and gradient clipping by global norm; and test/fixtures/pytorch-conv.json: a small
convolutional nn.Sequential (Conv2d with stride and padding, MaxPool2d, AvgPool2d, Flatten,
Linear) on NCHW images, its forward, loss, gradients and five steps of SGD and Adam; and
test/fixtures/pytorch-batchnorm.json: an MLP with BatchNorm1d and a CNN with BatchNorm2d, their
forward in training and evaluation mode, gradients, running statistics and five optimizer steps,
with test/fixtures/pytorch-batchnorm.safetensors, the MLP's state_dict (buffers included) by hand.
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


# safetensors by hand: 8-byte little-endian header length, the JSON header (no spaces, tensors
# in state_dict order, then __metadata__ with the CRC-32 of the data), padded with spaces to a
# multiple of 8, then the tensors' little-endian bytes (float32, or int64 for a batch count).
DTYPES = {torch.float32: ('F32', '<f4'), torch.int64: ('I64', '<i8')}


def write_safetensors(path, tensors):
    data = b''.join(v.contiguous().numpy().astype(DTYPES[v.dtype][1]).tobytes() for v in tensors.values())
    header = {}
    offset = 0
    for name, tensor in tensors.items():
        size = tensor.numel() * tensor.element_size()
        header[name] = {'dtype': DTYPES[tensor.dtype][0], 'shape': list(tensor.shape), 'data_offsets': [offset, offset + size]}
        offset += size
    header['__metadata__'] = {'format': 'pt', 'crc32': '%08x' % zlib.crc32(data)}
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((8 - len(text.encode()) % 8) % 8)
    path.write_bytes(struct.pack('<Q', len(text.encode())) + text.encode() + data)


def read_safetensors(path):
    blob = path.read_bytes()
    n = struct.unpack('<Q', blob[:8])[0]
    tensors = {}
    for name, info in json.loads(blob[8:8 + n]).items():
        if name == '__metadata__':
            continue
        begin, end = info['data_offsets']
        dtype = torch.int64 if info['dtype'] == 'I64' else torch.float32
        tensors[name] = torch.frombuffer(bytearray(blob[8 + n + begin:8 + n + end]), dtype=dtype).reshape(info['shape'])
    return tensors


def tensor_json(v):
    return {'shape': list(v.shape), 'values': v.flatten().tolist()}


def state_json(state):
    return {k: tensor_json(v) for k, v in state.items()}


def loss_and_gradients(model, bx, target, loss_fn=F.cross_entropy):
    """One forward and backward of the model on a batch: its output, the loss and every
    parameter's gradient (flattened)."""
    output = model(bx)
    batch_loss = loss_fn(output, target)
    batch_loss.backward()
    return output.detach(), batch_loss.item(), {name: p.grad.flatten().tolist() for name, p in model.named_parameters()}


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

_, loss, gradients = loss_and_gradients(model, x, y)

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


def run_optimizer(make, max_norm=None, model=None, start=None, batch=None):
    """STEPS steps of the optimizer from a model's initial state (the MLP's unless given; the
    gradients' global norm clipped to max_norm first, when given): each step's loss and the final
    state_dict."""
    m = (model or make_model)()
    m.load_state_dict(start or initial)
    bx, by = batch or (x, y)
    optimizer = make(m.parameters())
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        step_loss = F.cross_entropy(m(bx), by)
        step_loss.backward()
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(m.parameters(), max_norm)
        optimizer.step()
        losses.append(step_loss.item())
    return {'losses': losses, 'state': {k: v.flatten().tolist() for k, v in m.state_dict().items()}}


after = {name: run_optimizer(make) for name, make in OPTIMIZERS.items()}

fixtures = Path(__file__).resolve().parent.parent / 'test' / 'fixtures'
fixtures.mkdir(parents=True, exist_ok=True)
reference = {
    'torch': torch.__version__,
    'sizes': SIZES,
    'activations': ACTIVATIONS,
    'state': state_json(initial),
    'x': x.flatten().tolist(),
    'y': y.tolist(),
    'loss': loss,
    'gradients': gradients,
    'steps': STEPS,
    'after': after,
}
(fixtures / 'pytorch-reference.json').write_text(json.dumps(reference) + '\n')

write_safetensors(fixtures / 'pytorch-state.safetensors', initial)

# And the other direction: a model loads simdnet's bytes back (parsed the same way).
loaded = read_safetensors(fixtures / 'pytorch-state.safetensors')
check = make_model()
check.load_state_dict(loaded)
original = make_model()
original.load_state_dict(initial)
assert torch.equal(check(x), original(x))
print('wrote', fixtures / 'pytorch-reference.json', 'and', fixtures / 'pytorch-state.safetensors')

# --- Loss heads and the other optimizers ---------------------------------------------------------
HEAD_SIZES = [5, 4, 3]


def make_head_model():
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))


head_model = make_head_model()
head_initial = {k: v.detach().clone() for k, v in head_model.state_dict().items()}
hx = torch.randn(7, 5)
head_targets = {
    'binary-cross-entropy': (torch.rand(7, 3) > 0.5).float(),
    'binary-cross-entropy-soft': torch.rand(7, 3),
    'mse': torch.randn(7, 3) * 2,
}
HEAD_LOSSES = {
    'binary-cross-entropy': nn.BCEWithLogitsLoss(),
    'binary-cross-entropy-soft': nn.BCEWithLogitsLoss(),
    'mse': nn.MSELoss(),
}
heads = {}
for name, target in head_targets.items():
    m = make_head_model()
    m.load_state_dict(head_initial)
    _, head_loss, head_gradients = loss_and_gradients(m, hx, target, HEAD_LOSSES[name])
    heads[name] = {'targets': target.flatten().tolist(), 'loss': head_loss, 'gradients': head_gradients}

MORE_OPTIMIZERS = {
    'rmsprop': (lambda params: torch.optim.RMSprop(params, lr=1e-2), None),
    'rmsprop-momentum': (lambda params: torch.optim.RMSprop(params, lr=1e-2, alpha=0.9, momentum=0.9, weight_decay=1e-3), None),
    'adagrad': (lambda params: torch.optim.Adagrad(params, lr=0.1, lr_decay=0.01, weight_decay=1e-3, initial_accumulator_value=0.1), None),
    'adam-l2': (lambda params: torch.optim.Adam(params, lr=1e-2, weight_decay=0.05), None),
    'sgd-decay-only': (lambda params: torch.optim.SGD(params, lr=0.1, weight_decay=0.05), None),
    'sgd-clipped': (lambda params: torch.optim.SGD(params, lr=0.1), 0.03),
    'adam-clipped': (lambda params: torch.optim.Adam(params, lr=1e-2), 0.03),
}
more_after = {name: run_optimizer(make, max_norm) for name, (make, max_norm) in MORE_OPTIMIZERS.items()}

(fixtures / 'pytorch-heads.json').write_text(json.dumps({
    'torch': torch.__version__,
    'sizes': HEAD_SIZES,
    'state': state_json(head_initial),
    'x': hx.flatten().tolist(),
    'heads': heads,
    'steps': STEPS,
    'optimizers': more_after,
}) + '\n')
print('wrote', fixtures / 'pytorch-heads.json')


# --- Convolutional network -------------------------------------------------------------------------
# [2, 9, 8] images: conv 3×3 pad 1 → relu → maxpool 2 → conv (2, 3) stride 2 pad 2 → tanh →
# avgpool 2 stride 1 → flatten → linear 4. Odd sizes, a non-square kernel, stride and padding.
torch.manual_seed(2)
CONV_SHAPE = [2, 9, 8]


def make_conv_model():
    return nn.Sequential(
        nn.Conv2d(2, 5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(5, 3, (2, 3), stride=2, padding=2), nn.Tanh(), nn.AvgPool2d(2, stride=1),
        nn.Flatten(), nn.Linear(18, 4),
    )


conv_model = make_conv_model()
conv_initial = {k: v.detach().clone() for k, v in conv_model.state_dict().items()}
cx = torch.randn(3, *CONV_SHAPE)
cy = torch.tensor([3, 0, 2])
conv_logits, conv_loss, conv_gradients = loss_and_gradients(conv_model, cx, cy)
CONV_OPTIMIZERS = {
    'sgd': lambda params: torch.optim.SGD(params, lr=0.1),
    'adam': lambda params: torch.optim.Adam(params, lr=1e-2),
}
conv_after = {name: run_optimizer(make, model=make_conv_model, start=conv_initial, batch=(cx, cy))
              for name, make in CONV_OPTIMIZERS.items()}

(fixtures / 'pytorch-conv.json').write_text(json.dumps({
    'torch': torch.__version__,
    'inputShape': CONV_SHAPE,
    'state': state_json(conv_initial),
    'x': cx.flatten().tolist(),
    'y': cy.tolist(),
    'logits': conv_logits.flatten().tolist(),
    'loss': conv_loss,
    'gradients': conv_gradients,
    'steps': STEPS,
    'after': conv_after,
}) + '\n')
print('wrote', fixtures / 'pytorch-conv.json')


# --- Batch normalization ---------------------------------------------------------------------------
# A small MLP with BatchNorm1d and a small CNN with BatchNorm2d (odd image sizes, 4 channels):
# the forward in evaluation mode, the loss and every gradient in training mode,
# the state (parameters and buffers) after one training forward, and after five steps of SGD with
# momentum and of Adam with their losses and evaluation-mode logits. γ, β and the running
# statistics start away from PyTorch's defaults, so every term of the update shows. The initial
# state_dict is also written by hand as test/fixtures/pytorch-batchnorm.safetensors
# (num_batches_tracked as I64), which simdnet's export must reproduce byte for byte and which
# load_state_dict is shown to accept.
torch.manual_seed(3)
BN_IMAGE = [2, 7, 6]


# Each normalization follows an activation, not the layer's bias directly: that bias's gradient is
# zero (a shift the normalization removes), so both sides hold only rounding there, and Adam,
# which divides by the gradient's size, would step by ±lr at random.
def make_bn_mlp():
    return nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.BatchNorm1d(6), nn.Linear(6, 3))


def make_bn_cnn():
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(4), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 3 * 3, 3),
    )


def moved_from_defaults(model):
    with torch.no_grad():
        for module in model:
            if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.3, 0.3)
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.num_batches_tracked.fill_(2)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def batchnorm_fixture(make, start, bx, by):
    m = make()
    m.load_state_dict(start)
    m.eval()
    eval_logits = m(bx).detach()
    m.train()
    _, train_loss, grads = loss_and_gradients(m, bx, by)
    after_forward = state_json(m.state_dict())
    steps = {}
    for name, make_optimizer in {
        'sgd-momentum': lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
        'adam': lambda params: torch.optim.Adam(params, lr=1e-2),
    }.items():
        result = run_optimizer(make_optimizer, model=make, start=start, batch=(bx, by))
        trained = make()
        trained.load_state_dict({k: torch.tensor(v, dtype=start[k].dtype).reshape(start[k].shape)
                                 for k, v in result['state'].items()})
        trained.eval()
        result['evalLogits'] = trained(bx).detach().flatten().tolist()
        steps[name] = result
    return {
        'state': state_json(start),
        'x': bx.flatten().tolist(),
        'y': by.tolist(),
        'evalLogits': eval_logits.flatten().tolist(),
        'loss': train_loss,
        'gradients': grads,
        'afterForward': after_forward,
        'after': steps,
    }


bn_mlp_initial = moved_from_defaults(make_bn_mlp())
bn_mlp = batchnorm_fixture(make_bn_mlp, bn_mlp_initial, torch.randn(8, 5) * 2 + 1, torch.tensor([0, 1, 2, 1, 0, 2, 2, 1]))
bn_cnn_initial = moved_from_defaults(make_bn_cnn())
bn_cnn = batchnorm_fixture(make_bn_cnn, bn_cnn_initial, torch.randn(3, *BN_IMAGE) + 0.5, torch.tensor([2, 0, 1]))
(fixtures / 'pytorch-batchnorm.json').write_text(json.dumps({
    'torch': torch.__version__,
    'steps': STEPS,
    'mlp': bn_mlp,
    'cnn': {**bn_cnn, 'inputShape': BN_IMAGE},
}) + '\n')

# The MLP's initial state_dict by hand, as above, num_batches_tracked as I64.
write_safetensors(fixtures / 'pytorch-batchnorm.safetensors', bn_mlp_initial)

# load_state_dict (strict) takes those bytes, buffers included, and gives the same model.
loaded = read_safetensors(fixtures / 'pytorch-batchnorm.safetensors')
check = make_bn_mlp()
check.load_state_dict(loaded)
original = make_bn_mlp()
original.load_state_dict(bn_mlp_initial)
check.eval()
original.eval()
bn_x = torch.tensor(bn_mlp['x']).reshape(8, 5)
assert torch.equal(check(bn_x), original(bn_x))
assert check[2].num_batches_tracked.item() == 2
print('wrote', fixtures / 'pytorch-batchnorm.json', 'and', fixtures / 'pytorch-batchnorm.safetensors')
