"""The top floor: pages that gather every domain (home, site map, main navigation) and the legal pages of a
State service. Nothing below imports it."""
