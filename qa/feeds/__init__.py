"""Following feeds: the registry of feeds (and the items already read) and one poll."""
