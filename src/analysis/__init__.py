"""Russia's international isolation: curated data, metrics, charts and the report build.

Data flows one way: data/raw (immutable snapshots) -> analysis.curate -> data/curated ->
analysis.data (load + cache) -> metric modules -> charts -> notebooks -> analysis.build -> reports/.
"""

__version__ = "0.1.0"
