#!/usr/bin/python3
"""Writes harness/results_schema.h from results/schema.json (the one definition of
the results files): schema version strings and the field/column lists the
harness writes, so C++ never restates them.

    gen_schema_header.py results/schema.json > results_schema.h
"""
import json
import sys


def cxx_array(name, items):
    body = ", ".join(json.dumps(i) for i in items)
    return f"inline constexpr std::array<std::string_view, {len(items)}> {name} = {{{body}}};"


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        s = json.load(f)
    out = [
        "// Generated from results/schema.json by tools/gen_schema_header.py: do not edit.",
        "#pragma once",
        "",
        "#include <array>",
        "#include <string_view>",
        "",
        "namespace rehashlab::schema {",
        "",
        f"inline constexpr std::string_view kRunSchema = {json.dumps(s['run_schema'])};",
        f"inline constexpr std::string_view kManifestSchema = {json.dumps(s['manifest_schema'])};",
        f"inline constexpr std::string_view kAggregateSchema = {json.dumps(s['aggregate_schema'])};",
        cxx_array("kTimelineColumns", s["timeline_columns"]),
        cxx_array("kSummaryFields", list(s["summary"])),
        cxx_array("kSummaryOpenFields", list(s["summary_open"])),
        cxx_array("kRunTopFields", list(s["run_top"])),
        cxx_array("kManifestFields", list(s["manifest"])),
        cxx_array("kManifestRunFields", list(s["manifest_run"])),
        cxx_array("kAggregatePrefixes", s["aggregate_prefixes"]),
        "",
        "}  // namespace rehashlab::schema",
    ]
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
