// The Python that has torch, for the tests of the exported PyTorch script: $TORCH_PYTHON, Debian's /usr/bin/python3
// (a pyenv or venv python3 first on PATH may lack torch), then PATH's python3. Under CI its absence is a failure
// (.ci/run installs Debian's python3-torch), elsewhere a skip that says why.
import { spawnSync } from 'node:child_process';

export function findTorchPython(): string | undefined {
  for (const py of [process.env.TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p)) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0) return py;
  }
  return undefined;
}

export const NO_TORCH = 'no python3 with torch found (Debian: apt-get install python3-torch; or set TORCH_PYTHON)';

/** The Python that has torch and torchvision (scripts/torchvision_weights.py), if any. */
export function findTorchvisionPython(): string | undefined {
  const py = findTorchPython();
  return py && spawnSync(py, ['-c', 'import torchvision'], { stdio: 'ignore', timeout: 60_000 }).status === 0 ? py : undefined;
}

export const NO_TORCHVISION =
  'no python3 with torch and torchvision found (Debian: apt-get install python3-torchvision; or set TORCH_PYTHON)';
