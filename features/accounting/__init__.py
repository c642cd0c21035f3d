"""Carbon accounting: the footprint (scopes 1 and 2, process emissions, removals), emission
factors and energy prices."""
