# The bare app (benchmarks/bare_app.py) served with the settings of the repository's gunicorn.conf.py (workers,
# threads, timeouts, access log…), without its two hooks, which check and prepare beta_training's app.
import runpy
from pathlib import Path

_settings = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
globals().update({name: value for name, value in _settings.items()
                  if not name.startswith("_") and name not in ("on_starting", "post_fork", "os")})
