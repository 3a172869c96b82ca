"""The queue: saved views (``views.py``), fuzzy search over it (``search.py``), watching it for
changes other desks make (``watch.py``) and the SLA clock each ticket runs on (``sla.py``).

Below the desk and above the store; nothing here imports Textual.
"""
