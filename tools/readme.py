"Write README.md from nbs/index.ipynb: its markdown cells and code cells, in order (no quarto needed)."
import json, pathlib
root = pathlib.Path(__file__).resolve().parents[1]
nb = json.loads((root/'nbs'/'index.ipynb').read_text())
out = []
for c in nb['cells']:
    src = ''.join(c['source']).strip()
    if not src or src.startswith('#| hide'): continue
    out.append(src if c['cell_type'] == 'markdown' else f"```python\n{src}\n```")
(root/'README.md').write_text('<!-- generated from nbs/index.ipynb by tools/readme.py; edit the notebook -->\n\n' + '\n\n'.join(out) + '\n')
