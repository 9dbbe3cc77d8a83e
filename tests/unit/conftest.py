"""Make the shared test helpers in this directory importable as `testkit`.

pytest's default import mode already puts this directory on sys.path (there is no
__init__.py here); adding it explicitly keeps `import testkit` working under
`--import-mode=importlib` too.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
