"""Reads a Prometheus text exposition on stdin with the official Python client's parser
(prometheus_client.parser, not GenoBridge's code) and prints every sample as JSON:
[{"family": ..., "type": ..., "name": ..., "labels": {...}, "value": ...}, ...].
A document the parser rejects exits non-zero with its error.
"""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    out = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out.append({
                "family": family.name,
                "type": family.type,
                "name": s.name,
                "labels": s.labels,
                "value": s.value,
            })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
