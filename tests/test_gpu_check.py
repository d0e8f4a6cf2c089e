"""bench/gpu_check.py testing itself on the CPU: the same checks as on a GPU (identity, merged generation, our loop on
the `fast` preset's path, TRL + the projection callback), on the smoke model in float32 with a few tiny steps."""
import importlib.util, json
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_runs_on_cpu(tmp_path):
    pytest.importorskip('trl')
    spec = importlib.util.spec_from_file_location('gpu_check', ROOT/'bench'/'gpu_check.py')
    gc = importlib.util.module_from_spec(spec); spec.loader.exec_module(gc)
    rc = gc.main(['--device', 'cpu', '--dtype', 'float32', '--models', 'smoke', '--steps', '2', '--trl-steps', '2',
                  '--max-new', '8', '--prompts', '2', '--G', '4', '--problems', 'tiny', '--out', str(tmp_path)])
    res = json.loads((tmp_path/'gpu_check.json').read_text())
    assert rc == 0, [c for c in res['checks'] if not c['ok']]
    assert [c['check'].split(': ', 1)[1] for c in res['checks']] == [
        'identity at δS = 0 (float32)', 'merged-weight generation', 'our loop, `fast` preset path, none + erase',
        'TRL GRPOTrainer + ProjectionCallback(erase)']
    assert set(res['timing']['smoke']) == {'ours none', 'ours erase', 'TRL + callback (erase)'}
    assert all((tmp_path/'smoke'/'fast'/arm/'s41'/'summary.json').exists() for arm in ('none', 'erase-refresh1'))   # refreshed every step


def test_gpu_check_refuses_cuda_without_a_gpu(capsys):
    torch = pytest.importorskip('torch')
    if torch.cuda.is_available(): pytest.skip('this machine has a GPU')
    spec = importlib.util.spec_from_file_location('gpu_check', ROOT/'bench'/'gpu_check.py')
    gc = importlib.util.module_from_spec(spec); spec.loader.exec_module(gc)
    assert gc.main(['--models', 'smoke']) == 2
    assert 'no CUDA device' in capsys.readouterr().err
