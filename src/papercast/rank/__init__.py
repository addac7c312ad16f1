"""Ranking that learns the reader: profile from picks, imported history and stated interests.

The weekly run calls ``load_profile`` then ``rank_papers``; after an issue, ``record_picks``.
"""

from papercast.rank.models import Profile, ProfileItem, RankedPaper
from papercast.rank.profile import load_profile, profile_from_records, record_picks
from papercast.rank.ranking import rank_papers
from papercast.rank.registry import RANKERS, create_ranker
from papercast.rank.split import Split, split_ranked

__all__ = [
    "RANKERS",
    "Profile",
    "ProfileItem",
    "RankedPaper",
    "Split",
    "create_ranker",
    "load_profile",
    "profile_from_records",
    "rank_papers",
    "record_picks",
    "split_ranked",
]
