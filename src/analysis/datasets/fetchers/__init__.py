"""One fetcher per public source (see :mod:`analysis.datasets.fetch` for the policy they share).

==========  =====================================  ==========================================
name        raw folders it refreshes               what it asks
==========  =====================================  ==========================================
worldbank   wb-population, wb-gdp                  World Bank Indicators API v2 (JSON, paged)
undl        undl-release-<date> (laid over votes)  UN Digital Library GA voting-data CSV
sipri       sipri-arms-transfers                   SIPRI trade-register CSV export
imf         imf-imts-russia                        IMF SDMX 3.0 data API, IMTS (SDMX-CSV)
==========  =====================================  ==========================================
"""
from __future__ import annotations

from analysis.datasets.fetchers.imf import IMF
from analysis.datasets.fetchers.sipri import SIPRI
from analysis.datasets.fetchers.undl import UNDL
from analysis.datasets.fetchers.worldbank import WorldBank

FETCHERS = {f.name: f for f in (WorldBank, UNDL, SIPRI, IMF)}
