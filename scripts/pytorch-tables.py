#!/usr/bin/python3
"""The two vega-datasets tables trained in PyTorch on simdnet's own split (run by hand).

    npm run build
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/pytorch-tables.py [cars|weather] [runs]

It has scripts/export-table-split.mjs write the split that simdnet's table loader makes (same
rows, same one-hot encoding, same standardization fitted on the training rows), reads it, trains
the network below `runs` times (default 5, torch seeds 0..runs-1) and prints the test metrics of
each run and their mean and standard deviation, with a trivial baseline for scale.

The protocols, for simdnet to run the same:
  cars     data/cars.json, target Miles_per_Gallon (regression), features Cylinders,
           Displacement, Horsepower, Weight_in_lbs, Acceleration, Year (decimal year), Origin
           (one-hot: Europe, Japan, USA) -> 9 inputs; records missing a value skipped (14).
           Network 9-32-1, ReLU, PyTorch's default init; mean squared error (nn.MSELoss).
  weather  data/seattle-weather.csv, target weather (classification, 5 classes: drizzle, fog,
           rain, snow, sun), features precipitation, temp_max, temp_min, wind -> 4 inputs.
           Network 4-32-5, ReLU, PyTorch's default init; softmax cross-entropy.
  Both:    split validation 0.1, test 0.2, split seed 0 (the loader's defaults); Adam, lr 0.01,
           betas (0.9, 0.999), eps 1e-8, no weight decay; batch 32, the training rows reshuffled
           every epoch, the last batch smaller; 200 epochs; metrics on the test split after the
           last epoch (MSE, MAE, R^2 = 1 - SS_res / SS_tot about the test mean; accuracy).

Measured (torch 1.13.0a0, Debian's python3-torch, one thread, Intel Xeon; mean ± sd of seeds 0..4):
  cars     test MSE 4.878 ± 0.183, MAE 1.666 ± 0.034, R^2 0.909 ± 0.003 (78 cars; always
           predicting the training mean: MSE 54.22, R^2 -0.011); 4 s for the five runs.
  weather  test accuracy 0.842 ± 0.008 (292 days; always "sun": 0.414); 14 s for the five runs.
"""
import json
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / 'node_modules' / 'vega-datasets' / 'data'
PROTOCOLS = {
    'cars': dict(file='cars.json', target='Miles_per_Gallon', task='regression',
                 features='Cylinders,Displacement,Horsepower,Weight_in_lbs,Acceleration,Year,Origin'),
    'weather': dict(file='seattle-weather.csv', target='weather', task='classification',
                    features='precipitation,temp_max,temp_min,wind'),
}
HIDDEN = 32
LR = 0.01
BATCH = 32
EPOCHS = 200
SPLIT = dict(validation='0.1', test='0.2', seed='0')


def read_safetensors(path):
    """F32 tensors and metadata of a safetensors file (the format has no dependency to need)."""
    raw = path.read_bytes()
    (length,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + length])
    metadata = header.pop('__metadata__', {})
    body = raw[8 + length:]
    tensors = {}
    for name, info in header.items():
        assert info['dtype'] == 'F32', info
        begin, end = info['data_offsets']
        tensors[name] = np.frombuffer(body[begin:end], dtype='<f4').reshape(info['shape'])
    return tensors, metadata


def export_split(protocol):
    with tempfile.TemporaryDirectory(prefix='simdnet-table-') as folder:
        return run_exporter(protocol, Path(folder) / 'split.safetensors')


def run_exporter(protocol, out):
    args = ['node', str(ROOT / 'scripts' / 'export-table-split.mjs'), str(DATA / protocol['file']), protocol['target'],
            str(out), '--features', protocol['features'], '--task', protocol['task'],
            '--validation', SPLIT['validation'], '--test', SPLIT['test'], '--seed', SPLIT['seed']]
    print(subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip())
    return read_safetensors(out)


def train_once(tensors, task, outputs, seed):
    torch.manual_seed(seed)
    x, y = torch.tensor(tensors['train.inputs']), torch.tensor(tensors['train.targets'])
    y = y.long() if task == 'classification' else y.unsqueeze(1)
    model = nn.Sequential(nn.Linear(x.shape[1], HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, outputs))
    opt = optim.Adam(model.parameters(), lr=LR)
    loss_of = F.cross_entropy if task == 'classification' else F.mse_loss
    for _ in range(EPOCHS):
        order = torch.randperm(len(x))
        for start in range(0, len(x), BATCH):
            batch = order[start:start + BATCH]
            loss = loss_of(model(x[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        return model(torch.tensor(tensors['test.inputs'])).numpy()


def regression_metrics(predicted, actual):
    error = predicted - actual
    ss_tot = ((actual - actual.mean()) ** 2).sum()
    return dict(mse=float((error ** 2).mean()), mae=float(np.abs(error).mean()), r2=float(1 - (error ** 2).sum() / ss_tot))


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else 'cars'
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    protocol = PROTOCOLS[name]
    torch.set_num_threads(1)
    tensors, metadata = export_split(protocol)
    transform = json.loads(metadata['table_transform'])
    task = transform['task']
    test_y = tensors['test.targets'].astype(np.float64)
    train_y = tensors['train.targets'].astype(np.float64)
    outputs = len(transform['classNames']) if task == 'classification' else 1
    print(f'{name}: {len(transform["featureNames"])}-{HIDDEN}-{outputs} ReLU, Adam lr {LR}, batch {BATCH}, {EPOCHS} epochs, '
          f'torch {torch.__version__}, seeds 0..{runs - 1}')
    results = []
    for seed in range(runs):
        predicted = train_once(tensors, task, outputs, seed)
        if task == 'classification':
            result = dict(accuracy=float((predicted.argmax(1) == test_y).mean()))
        else:
            result = regression_metrics(predicted[:, 0].astype(np.float64), test_y)
        results.append(result)
        print(f'  seed {seed}: ' + ', '.join(f'{k} {v:.4f}' for k, v in result.items()))
    print('  mean ± sd: ' + ', '.join(
        f'{k} {np.mean([r[k] for r in results]):.4f} ± {np.std([r[k] for r in results], ddof=1) if runs > 1 else 0:.4f}'
        for k in results[0]))
    if task == 'classification':
        majority = np.bincount(train_y.astype(int)).argmax()
        print(f'  baseline (always "{transform["classNames"][majority]}", the most frequent training class): '
              f'accuracy {(test_y == majority).mean():.4f}')
    else:
        baseline = regression_metrics(np.full_like(test_y, train_y.mean()), test_y)
        print('  baseline (the training mean): ' + ', '.join(f'{k} {v:.4f}' for k, v in baseline.items()))


if __name__ == '__main__':
    main()
