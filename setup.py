"Packaging read from settings.ini (the nbdev project file)."
from configparser import ConfigParser
from setuptools import setup, find_packages

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
c = cfg['DEFAULT']
req = c.get('requirements', '').split()
extras = {k: c.get(f'{k}_requirements', '').split() for k in ('dev', 'trl', 'sweep', 'slurm', 'bench', 'track')}
scripts = [s for s in c.get('console_scripts', '').split() if s]

setup(
    name=c['lib_name'], version=c['version'], description=c['description'],
    author=c['author'], license='Apache-2.0', python_requires='>=' + c['min_python'],
    packages=find_packages(include=[c['lib_path'], c['lib_path'] + '.*']),
    include_package_data=True, package_data={c['lib_path']: ['data/*', 'data/**/*']},
    install_requires=req, extras_require=extras,
    entry_points={'console_scripts': scripts, 'nbdev': [f"{c['lib_path']}={c['lib_path']}._modidx:d"]},
    zip_safe=False,
)
