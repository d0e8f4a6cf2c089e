"Write README.md from nbs/index.ipynb: its markdown cells and code cells, in order (no quarto needed)."
import json, pathlib, re
root = pathlib.Path(__file__).resolve().parents[1]
nb = json.loads((root/'nbs'/'index.ipynb').read_text())

def include(m):                                   # Quarto's include shortcode, resolved from nbs/ as Quarto does
    f = (root/'nbs'/m.group(1)).resolve()
    if not f.exists(): raise SystemExit(f'tools/readme.py: {f} (included by nbs/index.ipynb) does not exist')
    return re.sub(r'^<!--.*?-->\n+', '', f.read_text(), flags=re.S).strip()

out = []
for c in nb['cells']:
    src = ''.join(c['source']).strip()
    if not src or src.startswith('#| hide'): continue
    src = re.sub(r'\{\{< include (\S+) >\}\}', include, src)
    out.append(src if c['cell_type'] == 'markdown' else f"```python\n{src}\n```")
(root/'README.md').write_text('<!-- generated from nbs/index.ipynb by tools/readme.py; edit the notebook -->\n\n' + '\n\n'.join(out) + '\n')
