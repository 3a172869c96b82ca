"""Drivers that measure the desk by running it as agents would (the replay evaluation).

They sit above the desk, with the other front ends: they construct one and call its
operations; the modules below the desk never see it.
"""
