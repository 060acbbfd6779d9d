"""The one style table: a color, marker, label and LaTeX macro prefix per map.

Every figure takes its map styles from here, so a map looks the same in all of
them. Colors are the Okabe-Ito palette (its yellow darkened to read on white;
distinguishable with common color-vision deficiencies), grays, and Paul Tol's
palette for the maps added later; in-house variants get filled markers, production
maps and peers open ones. A map not listed here gets a deterministic spare style and a
warning.
"""

import sys

# name: (label, color, marker, macro prefix (letters only), in-house)
MAPS = {
    "full_rehash":    ("full_rehash",    "#D55E00", "s", "FullRehash", True),
    "go_incremental": ("go_incremental", "#0072B2", "o", "GoInc", True),
    "redis_dual":     ("redis_dual",     "#009E73", "^", "RedisDual", True),
    "overflow_slab":  ("overflow_slab",  "#CC79A7", "D", "OverflowSlab", True),
    "go_swiss":       ("go_swiss",       "#117733", "p", "GoSwiss", True),
    "linear_hashing": ("linear_hashing", "#44AA99", "8", "LinearHashing", True),
    "paced_flat":     ("paced_flat",     "#AA4499", "d", "PacedFlat", True),
    "std_unordered":  ("std::unordered_map", "#E69F00", "v", "StdUnordered", False),
    "boost_flat":     ("boost::unordered_flat_map", "#56B4E9", "<", "BoostFlat", False),
    "boost_fca":      ("boost::unordered_map", "#000000", ">", "BoostFca", False),
    "tsl_robin":      ("tsl::robin_map", "#999999", "P", "TslRobin", False),
    "absl_flat":      ("absl::flat_hash_map", "#B8A000", "X", "AbslFlat", False),
    # Peers: the real systems, run as the same workloads (treated like any map).
    "go_runtime":     ("Go 1.19 runtime map", "#332288", "h", "GoRuntime", False),
    "redis_server":   ("redis-server 7.0", "#882255", "*", "RedisServer", False),
}
ORDER = list(MAPS)
_SPARE = [("#661100", "H"), ("#DDCC77", "1"), ("#88CCEE", "2"), ("#6699CC", "3")]
_warned = set()

# Figure geometry: one paper column is ~3.4 in; a full-width figure ~7 in.
COLUMN_IN = 3.4
FULL_IN = 7.0
FONT_PT = 7.5


def _spare(name):
    if name not in _warned:
        print(f"warning: map '{name}' has no entry in scripts/style.py; using a spare style", file=sys.stderr)
        _warned.add(name)
    idx = sum(map(ord, name)) % len(_SPARE)
    return _SPARE[idx]


def label(name):
    return MAPS[name][0] if name in MAPS else name


def color(name):
    return MAPS[name][1] if name in MAPS else _spare(name)[0]


def marker(name):
    return MAPS[name][2] if name in MAPS else _spare(name)[1]


def in_house(name):
    return MAPS[name][4] if name in MAPS else False


def macro_prefix(name):
    if name in MAPS:
        return MAPS[name][3]
    return "".join(p.capitalize() for p in name.replace("-", "_").split("_") if p.isalpha()) or "Unknown"


def line_kw(name):
    """Keyword arguments for Axes.plot: one color/marker per map everywhere."""
    return dict(color=color(name), marker=marker(name), label=label(name),
                markerfacecolor=color(name) if in_house(name) else "white", markeredgecolor=color(name))


def sort_maps(names):
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def apply_rcparams(matplotlib):
    matplotlib.rcParams.update({
        "font.size": FONT_PT, "axes.titlesize": FONT_PT + 0.5, "axes.labelsize": FONT_PT,
        "legend.fontsize": FONT_PT - 1, "xtick.labelsize": FONT_PT - 0.5, "ytick.labelsize": FONT_PT - 0.5,
        "lines.linewidth": 1.0, "lines.markersize": 3.5, "axes.grid": True, "grid.alpha": 0.3,
        "grid.linewidth": 0.5, "savefig.dpi": 200, "pdf.fonttype": 42, "ps.fonttype": 42,
        "figure.constrained_layout.use": True,
    })
