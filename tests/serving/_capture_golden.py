"""Maintainer tool: print the server's answers to rest_cases.CASES as golden/rest.json, for review.
python tests/serving/_capture_golden.py http://127.0.0.1:PORT > tests/serving/golden/rest.json"""

import json
import sys

from conftest import http_json
from rest_cases import CASES

base = sys.argv[1]
out = {}
for name, method, path, body in CASES:
    status, doc = http_json(base + path, body=body, method=method)
    out[name] = {"status": status, "body": doc}
print(json.dumps(out, indent=1, sort_keys=True))
