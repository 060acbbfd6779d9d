"""results/README.md documents every field results/schema.json lists, in the section
that explains that object (a field added to the schema without a word here fails)."""

import os
import re
import unittest

import results_io

README = os.path.join(os.path.dirname(results_io.schema_path()), "README.md")

# schema.json key -> the README heading whose section explains it.
SECTION = {
    "run_top": "<run_id>.json", "run_top_open": "<run_id>.json", "run_top_peer": "<run_id>.json",
    "percentiles": "percentiles", "summary": "summary", "summary_open": "summary", "config": "config",
    "provenance": "provenance", "timer": "timer", "noise_floor": "noise_floor", "host": "host",
    "memory": "memory", "resize": "resizes", "top_k_entry": "top_k", "event": "events", "event_kinds": "events",
    "by_op_kinds": "by_op", "by_op_states": "by_op", "by_op_entry": "by_op",
    "timeline_columns": "<run_id>.timeline.csv", "timeline_optional_columns": "<run_id>.timeline.csv",
    "manifest": "manifest.json", "manifest_run": "manifest.json", "manifest_checksum_group": "manifest.json",
    "aggregate": "aggregate.json", "aggregate_group": "aggregate.json", "aggregate_stat": "aggregate.json",
    "aggregate_prefixes": "aggregate.json",
}
NOT_FIELDS = ("_doc", "run_schema", "manifest_schema", "aggregate_schema")


def sections(text):
    """{heading text: section body} for '## ' and '### ' headings (a section ends at the next heading)."""
    out, name, body = {}, None, []
    for line in text.splitlines():
        m = re.match(r"#{2,3} (\S+)", line)
        if m:
            if name:
                out[name] = "\n".join(body)
            name, body = m.group(1), []
        else:
            body.append(line)
    if name:
        out[name] = "\n".join(body)
    return out


class SchemaDocTest(unittest.TestCase):
    def test_every_schema_key_has_a_section(self):
        sc = results_io.schema()
        self.assertEqual(sorted(k for k in sc if k not in NOT_FIELDS), sorted(SECTION))

    def test_every_field_is_documented_in_its_section(self):
        sc = results_io.schema()
        with open(README, encoding="utf-8") as f:
            secs = sections(f.read())
        missing = []
        for key, heading in SECTION.items():
            self.assertIn(heading, secs, f"README has no section '{heading}'")
            names = sc[key] if isinstance(sc[key], list) else list(sc[key])
            for name in names:
                if f"`{name}`" not in secs[heading]:
                    missing.append(f"{key}.{name} (section {heading})")
        self.assertEqual(missing, [])

    def test_schema_versions_are_named(self):
        sc = results_io.schema()
        with open(README, encoding="utf-8") as f:
            text = f.read()
        for k in ("run_schema", "manifest_schema", "aggregate_schema"):
            self.assertIn(sc[k], text)


if __name__ == "__main__":
    unittest.main()
