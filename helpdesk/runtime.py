"""What a web process does once it has loaded the app, before it serves (``helpdesk.asgi``, ``helpdesk.wsgi``).

**The garbage collector.** CPython's cycle collector runs whenever allocations outnumber
deallocations by 700 (generation 0), and every tenth and hundredth run walks the older
generations — which, in a loaded Django process, hold the 150,000–190,000 long-lived objects of the
app itself (modules, models, URL patterns, templates). A queue page allocates tens of thousands
of short-lived objects (rows, template output), almost all freed by reference counting, yet it
triggered enough collections to cost 18 ms of its CPU (measured in-process on the 1M-ticket
bench desk with ``gc.callbacks``; the API list likewise 19 ms). ``gc.freeze()`` moves
everything loaded so far into a permanent generation the collector never walks, and a larger
first threshold makes collections rarer (each one still short: young objects only). Measured
the same way: 4.4 ms per queue page, 3.6 ms per API list. Cycles made while serving are still
collected.
"""

from __future__ import annotations

import gc

#: Allocations (net) between two collections of the youngest generation (CPython's default: 700).
YOUNG_THRESHOLD = 20_000


def settle() -> None:
    """Collect once, freeze what the app loaded, and make collections rarer."""
    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, gen1, gen2)
