"""The service layer: what every interface (CLI, Python API, REST APIs, UI) can do.

One module per resource, each a thin class over the store's repositories. They validate
requests, apply the resource's rules and raise :class:`sluice.errors.SluiceError`
subclasses (never HTTP errors: each interface maps them). They hold no SQL; that lives
in ``sluice.store``.
"""
